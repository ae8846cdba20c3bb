"""Exports: spreadsheet-safe CSV (config files, SQL and the report live in their own
modules)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
ID_COLUMNS = ("account_id",)
"""Written verbatim: an id is a join key, and ``'=A-1`` would no longer join ``=A-1``."""


def neutralise_formulas(frame: pd.DataFrame, verbatim: tuple[str, ...] = ID_COLUMNS
                        ) -> pd.DataFrame:
    """Copy where text cells that a spreadsheet would run as a formula get a leading ``'``.

    Only text columns are touched; numbers (including negative numbers) stay numbers. The
    ``verbatim`` columns (account ids) are left exactly as they are so the file joins back
    to the source data: open it in a spreadsheet with that column imported as text, or use
    the account name column, which is neutralised, to read it.
    """
    out = frame.copy()
    for column in out.columns:
        if column in verbatim:
            continue
        values = out[column]
        if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
            text = values.astype("string")
            risky = text.str.startswith(FORMULA_PREFIXES).fillna(False)
            if risky.any():
                out[column] = values.astype(object).where(~risky, "'" + text.astype(object))
    return out


def csv_bytes(frame: pd.DataFrame, verbatim: tuple[str, ...] = ID_COLUMNS) -> bytes:
    """Spreadsheet-safe UTF-8 CSV bytes (ids verbatim, see :func:`neutralise_formulas`)."""
    return neutralise_formulas(frame, verbatim).to_csv(index=False).encode("utf-8")


def write_csv(frame: pd.DataFrame, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write a spreadsheet-safe CSV; refuses to replace an existing file unless asked."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} already exists (use --force to overwrite)")
    path.write_bytes(csv_bytes(frame))
    return path
