"""The data-quality report: every problem found while loading data (what, where, which rows,
what happens to them), and the error that carries it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

MAX_LISTED_ROWS = 20
Severity = Literal["error", "warning", "info"]


# --------------------------------------------------------------------------- report
@dataclass(frozen=True)
class Issue:
    """One data problem: what, where (column, rows) and what happens to those rows.

    ``excluded`` marks issues whose rows were left out of the table; no row is counted by
    two such issues, so rows read = rows used + the ``n_rows`` of the excluding issues.
    """

    severity: Severity
    message: str
    column: str | None = None
    rows: tuple[int, ...] = ()
    n_rows: int = 0
    excluded: bool = False

    def describe(self) -> str:
        """One line: message plus the first listed rows."""
        where = f"column {self.column!r}: " if self.column else ""
        listed = ""
        if self.rows:
            more = f" and {self.n_rows - len(self.rows):,} more" if self.n_rows > len(
                self.rows) else ""
            listed = f" (rows {', '.join(str(r) for r in self.rows)}{more})"
        return f"{self.severity.upper()}: {where}{self.message}{listed}"


@dataclass
class QualityReport:
    """Everything found while loading: errors block use, warnings and notes inform."""

    source: str
    n_rows_read: int = 0
    n_rows_used: int = 0
    n_accounts: int = 0
    issues: list[Issue] = field(default_factory=list)

    @property
    def errors(self) -> list[Issue]:
        """Issues that make the data unusable until fixed."""
        return [i for i in self.issues if i.severity == "error"]

    @property
    def n_rows_excluded(self) -> int:
        """Rows left out by the issues above (each row counted once)."""
        return sum(i.n_rows for i in self.issues if i.excluded)

    @property
    def ok(self) -> bool:
        """True when there is no error."""
        return not self.errors

    def add(self, severity: Severity, message: str, column: str | None = None,
            mask: np.ndarray | None = None, row_numbers: np.ndarray | None = None,
            *, excluded: bool = False) -> None:
        """Record an issue; ``mask`` selects the affected rows of ``row_numbers``."""
        rows: tuple[int, ...] = ()
        n_rows = 0
        if mask is not None and row_numbers is not None:
            hit = row_numbers[mask]
            n_rows = int(hit.size)
            rows = tuple(int(r) for r in hit[:MAX_LISTED_ROWS])
        self.issues.append(Issue(severity, message, column, rows, n_rows, excluded))

    def describe(self) -> str:
        """Plain-text report for the CLI."""
        head = (f"{self.source}: {self.n_rows_read:,} rows read, {self.n_rows_used:,} used, "
                f"{self.n_accounts:,} accounts")
        return "\n".join([head, *(f"  {i.describe()}" for i in self.issues)])

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "source": self.source, "n_rows_read": self.n_rows_read,
            "n_rows_used": self.n_rows_used, "n_accounts": self.n_accounts,
            "issues": [
                {"severity": i.severity, "column": i.column, "message": i.message,
                 "rows": list(i.rows), "n_rows": i.n_rows, "excluded": i.excluded}
                for i in self.issues
            ],
        }


class DataError(ValueError):
    """Data that cannot be used; carries the full report."""

    def __init__(self, report: QualityReport) -> None:
        self.report = report
        super().__init__(report.describe())


def _fail(source: str, message: str, column: str | None = None) -> DataError:
    report = QualityReport(source)
    report.add("error", message, column)
    return DataError(report)
