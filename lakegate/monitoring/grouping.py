"""Rows grouped by window, model_id and slice, vectorised with Arrow's group_by."""

from __future__ import annotations

from typing import Iterator, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lakegate.monitoring.windows import window_starts

WHOLE = (None, None)  # the whole population: slice_key and slice_value NULL, as on Databricks


def groups(table: pa.Table, granularity: str, slices: Sequence[str] = ()) -> Iterator[tuple[tuple, pa.Table]]:
    """((granularity, window start µs, model_id, slice_key, slice_value), rows) for the whole population
    and for each value of each slicing column (a NULL value is a slice of its own)."""
    if table.num_rows == 0:
        return
    base = {"__start": pa.array(window_starts(table["timestamp"], granularity)), "__model": table["model_id"],
            "__row": pa.array(np.arange(table.num_rows))}
    for slice_key in [None, *slices]:
        keyed = pa.table(base if slice_key is None else {**base, "__slice": pc.cast(table[slice_key], pa.string())})
        columns = [c for c in keyed.column_names if c != "__row"]
        grouped = keyed.group_by(columns, use_threads=False).aggregate([("__row", "list")])
        for row in grouped.to_pylist():
            value = row.get("__slice") if slice_key is not None else None
            key = (granularity, row["__start"], row["__model"], slice_key, value)
            yield key, table.take(pa.array(row["__row_list"]))
