"""Databricks' payload-table rows as the canary judge reads inference-log rows (lakegate/serving/payload_table.py)."""

import datetime as dt

import pyarrow as pa

from lakegate.serving.payload_table import as_inference_rows

METADATA = pa.map_(pa.string(), pa.string())


def payload(*rows: tuple[str, str, int, int]) -> pa.Table:
    """rows: (model_name, model_version, status_code, execution_time_ms)."""
    return pa.table({
        "databricks_request_id": [f"r{i}" for i in range(len(rows))],
        "timestamp_ms": [1_796_000_000_000 + i for i in range(len(rows))],
        "status_code": pa.array([r[2] for r in rows], pa.int32()),
        "execution_time_ms": pa.array([r[3] for r in rows], pa.int64()),
        "response": ['{"predictions": [1]}'] * len(rows),
        "request_metadata": pa.array([[("endpoint_name", "claims-triage"), ("model_name", r[0]), ("model_version", r[1])]
                                      for r in rows], METADATA),
    })


def test_rows_are_named_by_their_served_entity_and_other_models_are_left_out():
    names = {("prod.claims.triage_model", "1"): "triage_model-1", ("prod.claims.triage_model", "2"): "triage_model-2"}
    rows = as_inference_rows(payload(("prod.claims.triage_model", "1", 200, 12), ("prod.claims.triage_model", "2", 500, 40),
                                     ("prod.claims.triage_model", "3", 200, 9)), names)
    assert rows.column("served_entity").to_pylist() == ["triage_model-1", "triage_model-2"]
    assert rows.column("status_code").to_pylist() == [200, 500] and rows.column("latency_ms").to_pylist() == [12.0, 40.0]
    assert rows.column("timestamp").to_pylist()[0] == dt.datetime.fromtimestamp(1_796_000_000, dt.timezone.utc)
    assert rows.column("scores").null_count == rows.column("record_keys").null_count == 2  # not in the payload


def test_an_empty_window_gives_no_rows():
    assert as_inference_rows(payload(), {("m", "1"): "m-1"}).num_rows == 0
