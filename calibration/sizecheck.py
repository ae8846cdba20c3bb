"""Measure a data file's shape *before* reading it, and refuse it when it breaks a limit.

A 320 KB Parquet file can hold 40 million rows and a 52 MB CSV line 52 million empty
columns: reading first and checking after would already have spent the memory. Parquet
shapes come from the file footer (no data pages are read), and the data is then decoded
batch by batch under the memory budget; CSV shapes come from counting separators in the
header line and line breaks in the text (an upper bound on rows: a quoted cell may hold a
line break).
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from calibration.limits import Limits, limits

BYTES_PER_CELL = 8  # the least a cell takes in memory (a number; text takes more)


@dataclass(frozen=True)
class Shape:
    """What a file will become in memory, known before reading it."""

    rows: int
    columns: int
    data_bytes: int  # decompressed size of the data
    row_bound: bool = False  # rows is an upper bound (CSV line count)

    @property
    def memory_estimate(self) -> int:
        """Bytes the table needs at least once read."""
        return max(self.data_bytes, self.rows * self.columns * BYTES_PER_CELL)


def parquet_shape(raw: bytes):
    """Shape and Arrow schema of a Parquet file from its footer (raises on a bad file)."""
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(io.BytesIO(raw)).metadata
    size = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    return Shape(meta.num_rows, meta.num_columns, size), meta.schema.to_arrow_schema()


def read_parquet(raw: bytes, what: str, budget: Limits | None = None) -> pd.DataFrame:
    """Read a Parquet file whose shape passed :func:`check`, refusing it when its decoded
    data would pass the session memory budget.

    A dictionary-encoded column can decode to millions of times its size on disk (one long
    string repeated), so the footer's sizes do not bound memory. When their upper bound
    (values x column chunk size) is within the budget, the file is read as usual; otherwise
    its text columns are read still dictionary-encoded, their decoded size is computed
    exactly, and only then decoded. Raises :class:`~calibration.limits.LimitError`.
    """
    import pyarrow.parquet as pq

    budget = budget or limits()
    allowed = budget.session_memory_mb * 2**20
    parquet = pq.ParquetFile(io.BytesIO(raw))
    if sum(_decoded_bounds(parquet.metadata).values()) <= allowed:
        table = parquet.read()
    else:
        table = _read_counting_text(raw, allowed, what, budget)
    return nested_as_text(table.to_pandas(), parquet.schema_arrow)


def _decoded_bounds(meta) -> dict[str, int]:
    """Top-level column -> an upper bound of its decoded bytes, from the footer alone."""
    bounds: dict[str, int] = {}
    for group in range(meta.num_row_groups):
        row_group = meta.row_group(group)
        for index in range(row_group.num_columns):
            chunk = row_group.column(index)
            size = chunk.total_uncompressed_size
            if chunk.has_dictionary_page:  # any value may be the longest dictionary entry
                size = max(chunk.num_values, 1) * size
            top = chunk.path_in_schema.split(".")[0]
            bounds[top] = bounds.get(top, 0) + size
    return bounds


def _read_counting_text(raw: bytes, allowed: int, what: str, budget: Limits):
    import pyarrow.parquet as pq

    footer = pq.ParquetFile(io.BytesIO(raw))
    text_leaves = [column.path for column in footer.schema
                   if column.physical_type == "BYTE_ARRAY"]
    table = pq.ParquetFile(io.BytesIO(raw), read_dictionary=text_leaves).read()
    used = sum(_decoded_size(chunk) for column in table.columns for chunk in column.chunks)
    if used > allowed:
        raise budget.refusal("session_memory_mb", f"{what} data that decodes to "
                             f"{used / 2**20:,.0f} MB")
    return table.cast(footer.schema_arrow)


def _decoded_size(array) -> int:
    """Bytes ``array`` takes once its dictionaries are decoded (nested types included)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = array.type
    if pa.types.is_dictionary(kind):
        lengths = pc.take(pc.binary_length(array.dictionary), array.indices)
        return int(pc.sum(lengths).as_py() or 0) + 8 * len(array)
    if pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_map(kind):
        return 8 * len(array) + _decoded_size(array.flatten())
    if pa.types.is_struct(kind):
        return len(array) + sum(_decoded_size(array.field(i)) for i in range(kind.num_fields))
    return array.nbytes


def csv_shape(text: str, delimiter: str) -> Shape:
    """Shape of a CSV text: header fields by separator count, rows by line count."""
    end = text.find("\n")
    header = text if end < 0 else text[:end]
    columns = header.count(delimiter) + 1
    lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    return Shape(max(lines - 1, 0), columns, len(text), row_bound=True)


def check(shape: Shape, what: str, budget: Limits | None = None) -> None:
    """Raise :class:`~calibration.limits.LimitError` when ``shape`` breaks a limit.

    ``what`` starts the message, e.g. "the file has".
    """
    budget = budget or limits()
    rows_what = f"{what} {'up to ' if shape.row_bound else ''}".rstrip()
    budget.check("max_columns", shape.columns, what)
    budget.check("max_rows", shape.rows, rows_what)
    budget.check("max_cells", shape.rows * max(shape.columns, 1), rows_what)
    budget.check("max_data_mb", shape.data_bytes / 2**20, what)
    budget.check("session_memory_mb", shape.memory_estimate / 2**20,
                 f"{what} data that needs an estimated")


def nested_as_text(frame: pd.DataFrame, schema) -> pd.DataFrame:
    """List, struct and map columns (per the Arrow ``schema``) become JSON text, so they show
    and count as categories instead of breaking pages that expect plain values."""
    import pyarrow as pa

    for field in schema:
        if pa.types.is_nested(field.type) and field.name in frame.columns:
            frame[field.name] = frame[field.name].map(_json_text)
    return frame


def _json_text(value: Any) -> Any:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return json.dumps(value, default=_plain, ensure_ascii=False)


def _plain(value: Any) -> Any:
    return value.tolist() if isinstance(value, np.ndarray) else str(value)
