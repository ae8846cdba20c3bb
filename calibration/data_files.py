"""Read a CSV (delimiter and encoding detected) or Parquet file into a DataFrame, within the
size limits, with a specific message for unreadable input."""

from __future__ import annotations

import csv
import io
import itertools
import os
import re
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from calibration import sizecheck
from calibration.data_quality import _fail
from calibration.limits import LimitError, limits


def read_table(source: str | Path | bytes | io.IOBase, name: str | None = None) -> pd.DataFrame:
    """Read a CSV (delimiter and encoding detected) or Parquet file into a DataFrame.

    Raises :class:`DataError` with a specific message for unreadable input.
    """
    label = name or (str(source) if isinstance(source, str | Path) else "upload")
    raw = _read_bytes(source, label)
    if not raw.strip():
        raise _fail(label, "the file is empty")
    if raw[:4] == b"PAR1" or label.lower().endswith((".parquet", ".pq")):
        return _read_parquet(raw, label)
    return _read_csv(raw, label)


def _read_bytes(source: Any, label: str) -> bytes:
    if isinstance(source, bytes):
        return source
    if isinstance(source, str | Path):
        try:
            with Path(source).open("rb") as handle:
                _within_limits(label, lambda: limits().check(
                    "max_data_mb", os.fstat(handle.fileno()).st_size / 2**20, "the file has"))
                return handle.read()
        except OSError as error:
            raise _fail(label, f"cannot read the file: {error.strerror}") from None
    return source.read()


def _within_limits(label: str, check: Callable[[], None]) -> None:
    try:
        check()
    except LimitError as error:
        raise _fail(label, str(error)) from None


def _read_parquet(raw: bytes, label: str) -> pd.DataFrame:
    try:
        shape, _ = sizecheck.parquet_shape(raw)
    except Exception as error:  # pyarrow raises several unrelated types
        raise _fail(label, f"not a readable Parquet file ({type(error).__name__}: {error})") \
            from None
    _within_limits(label, lambda: sizecheck.check(shape, "the file has"))
    try:
        return sizecheck.read_parquet(raw, "the file has")
    except LimitError as error:
        raise _fail(label, str(error)) from None
    except Exception as error:  # pyarrow raises several unrelated types
        raise _fail(label, f"not a readable Parquet file ({type(error).__name__}: {error})") \
            from None


def _decode(raw: bytes) -> tuple[str, str]:
    for encoding in ("utf-8-sig", "utf-16") if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else (
            "utf-8-sig",):
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return raw.decode("cp1252", errors="replace"), "cp1252"


def _read_csv(raw: bytes, label: str) -> pd.DataFrame:
    text, encoding = _decode(raw)
    sample = text[:65536]
    try:
        delimiter = csv.Sniffer().sniff(sample.split("\n", 20)[0] + "\n", ",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    _within_limits(label, lambda: sizecheck.check(sizecheck.csv_shape(text, delimiter),
                                                  "the file has"))
    # index_col=False: without it pandas silently turns the first column(s) into the index
    # when the first data row has more fields than the header, shifting every value.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", pd.errors.ParserWarning)
        try:
            frame = pd.read_csv(io.StringIO(text), sep=delimiter, low_memory=False,
                                skipinitialspace=True, index_col=False)
        except (pd.errors.ParserError, ValueError) as error:
            raise _fail(label, _csv_error_message(error, delimiter)) from None
    if any(issubclass(w.category, pd.errors.ParserWarning) for w in caught):
        _check_first_row(text, delimiter, len(frame.columns), label)
    frame.columns = [str(c).strip() for c in frame.columns]
    frame.attrs["encoding"] = encoding
    frame.attrs["delimiter"] = delimiter
    return frame


def _csv_error_message(error: Exception, delimiter: str) -> str:
    shown = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}.get(delimiter, delimiter)
    fields = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(error))
    if fields:
        want, line, saw = fields.groups()
        return (f"not a readable CSV file: row {line} has {saw} fields but the header has "
                f"{want} (separator: {shown}); check the separator and quotes in that row")
    return f"not a readable CSV file ({shown}-separated): {error}"


def _check_first_row(text: str, delimiter: str, n_columns: int, label: str) -> None:
    """Refuse a first data row with more non-blank fields than the header."""
    try:
        records = list(itertools.islice(csv.reader(io.StringIO(text), delimiter=delimiter), 2))
    except csv.Error:
        return
    if len(records) == 2 and any(v.strip() for v in records[1][n_columns:]):
        raise _fail(label, f"not a readable CSV file: row 2 has {len(records[1])} fields but "
                    f"the header has {n_columns}; check the separator and quotes in that row")
