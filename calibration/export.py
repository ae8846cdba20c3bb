"""Exports: spreadsheet-safe CSV (config files, SQL and the report live in their own
modules)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Copy where text cells that a spreadsheet would run as a formula get a leading ``'``.

    Only text columns are touched; numbers (including negative numbers) stay numbers.
    """
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
            text = values.astype("string")
            risky = text.str.startswith(FORMULA_PREFIXES).fillna(False)
            if risky.any():
                out[column] = values.astype(object).where(~risky, "'" + text.astype(object))
    return out


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """Spreadsheet-safe UTF-8 CSV bytes."""
    return neutralise_formulas(frame).to_csv(index=False).encode("utf-8")


def write_csv(frame: pd.DataFrame, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write a spreadsheet-safe CSV; refuses to replace an existing file unless asked."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} already exists (use --force to overwrite)")
    path.write_bytes(csv_bytes(frame))
    return path
