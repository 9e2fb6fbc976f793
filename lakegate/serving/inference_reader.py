"""A canary's observations on the local runtime: Lakegate's own inference log
(`<catalog>.serving.<endpoint>_inference_log`), read by the step's window. Apart from inference_log.py,
which serving workers import: a reader needs the lake, a worker never does."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.dataset as ds

from lakegate.lake import Lake
from lakegate.serving.inference_log import inference_table_name


def inference_observer(lake: Lake, catalog: str, endpoint: str):
    """observe(canary, incumbent, since) → rows of both served entities logged at or after `since`
    (epoch seconds). None until the table exists (the first drain creates it)."""
    table = inference_table_name(catalog, endpoint)

    def observe(canary: str, incumbent: str, since: float) -> pa.Table | None:
        if not lake.exists(table):
            return None
        start = pa.scalar(dt.datetime.fromtimestamp(since, dt.timezone.utc), pa.timestamp("us", tz="UTC"))
        wanted = (ds.field("timestamp") >= start) & ds.field("served_entity").isin([canary, incumbent])
        return lake.table(table).to_pyarrow_dataset().to_table(filter=wanted)

    return observe
