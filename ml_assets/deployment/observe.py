"""What a canary step reads: the endpoint's inference-table rows since the step began, and the use
case's outcomes that have arrived (labels for precision and recall)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds

from lakegate.lake import Lake
from lakegate.serving.endpoints import EndpointManager
from lakegate.serving.inference_log import inference_table_name
from lakegate.serving.payload_table import payload_observer
from ml_assets.spec import LabelSpec


def canary_observer(on_databricks: bool, endpoints: EndpointManager, lake: Lake, catalog: str, endpoint: str):
    """Where a canary step's rows come from: the payload table Databricks captures on Model Serving,
    Lakegate's own inference log on the local runtime."""
    return payload_observer(lake, endpoints, endpoint) if on_databricks else inference_observer(lake, catalog, endpoint)


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


def outcomes_reader(lake: Lake, catalog: str, label: LabelSpec):
    """The label table as pandas (`record_key`, `label`, `available_at`), or None before it exists."""
    name = f"{catalog}.{label.table}"

    def outcomes() -> pd.DataFrame | None:
        if not lake.exists(name):
            return None
        frame = lake.read_arrow(name, columns=[label.key, label.column, label.available_at]).to_pandas()
        return frame.rename(columns={label.key: "record_key", label.column: "label", label.available_at: "available_at"})

    return outcomes
