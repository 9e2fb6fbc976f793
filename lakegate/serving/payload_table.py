"""A canary's observations on Databricks Model Serving: the endpoint's inference table
`<catalog>.<schema>.<endpoint>_payload`, which Databricks fills from `auto_capture_config` (legacy
inference-table columns: `timestamp_ms`, `status_code`, `execution_time_ms`, `response`,
`request_metadata` with `model_name` and `model_version`), read as the rows the canary judge reads
from Lakegate's own inference log (gates/canary_health.py).

What the payload table cannot give, the judge reports as not judged rather than failed: the served
model answers flags only (no `scores`, so no score shift) and the request carries no record keys
(so no precision or recall against outcomes). Errors, caller errors and latency are judged; the
latency is the model's execution time, as Databricks measures it.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from lakegate.lake import Lake
from lakegate.serving.governed import catalog_of

COLUMNS = ["databricks_request_id", "timestamp_ms", "status_code", "execution_time_ms", "response", "request_metadata"]


def payload_observer(lake: Lake, endpoints, endpoint: str):
    """observe(canary, incumbent, since) → rows of both served entities that Databricks captured for
    requests arriving at or after `since` (epoch seconds); None until the table exists. `endpoints`
    is the DatabricksEndpoints the rollout changes (it names the table and the served entities)."""

    def observe(canary: str, incumbent: str, since: float) -> pa.Table | None:
        served = endpoints.get(endpoint)
        table = endpoints.inference_table(endpoint, catalog_of(served))
        if not lake.exists(table):
            return None
        wanted = {(e.entity_name, str(e.entity_version)): e.name for e in served.config.served_entities
                  if e.name in (canary, incumbent)}
        rows = lake.table(table).to_pyarrow_dataset().to_table(
            columns=COLUMNS, filter=ds.field("timestamp_ms") >= int(since * 1000))
        return as_inference_rows(rows, wanted)

    return observe


def as_inference_rows(rows: pa.Table, entity_names: dict[tuple[str, str], str]) -> pa.Table:
    """Payload rows as inference-log rows (request_id, timestamp, served_entity, status_code,
    latency_ms, response, scores, record_keys), keeping only the models of `entity_names`."""
    metadata = rows.column("request_metadata")
    models = pc.map_lookup(metadata, "model_name", "first").to_pylist()
    versions = pc.map_lookup(metadata, "model_version", "first").to_pylist()
    served = [entity_names.get((model, version)) for model, version in zip(models, versions)]
    keep = pa.array([name is not None for name in served], pa.bool_())
    empty_lists = pa.nulls(rows.num_rows, pa.list_(pa.float64()))
    table = pa.table({
        "request_id": rows.column("databricks_request_id"),
        "timestamp": pc.cast(pc.multiply(rows.column("timestamp_ms"), 1000), pa.timestamp("us", tz="UTC")),
        "served_entity": pa.array(served, pa.string()),
        "status_code": pc.cast(rows.column("status_code"), pa.int32()),
        "latency_ms": pc.cast(rows.column("execution_time_ms"), pa.float64()),
        "response": rows.column("response"),
        "scores": empty_lists,
        "record_keys": pa.nulls(rows.num_rows, pa.list_(pa.string())),
    })
    return table.filter(keep)
