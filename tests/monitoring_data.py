"""Synthetic inference-table rows for the monitor's tests: requests with features, scores and keys."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pyarrow as pa

from lakegate.serving.inference_log import INFERENCE_LOG_SCHEMA

FEATURES = ("amount", "age", "region")
REGIONS = ("north", "south", "east", "west")


def requests(start: dt.datetime, n: int, model_version: str = "1", seed: int = 0, shift: float = 0.0,
             per_request: int = 2, spacing: dt.timedelta = dt.timedelta(seconds=1), prefix: str = "r",
             errors: int = 0) -> pa.Table:
    """`n` answered requests from `start`, `spacing` apart, then `errors` failed ones."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n + errors):
        ts = start + i * spacing
        ok = i < n
        data = [[round(float(rng.normal(100 + shift * 30, 30)), 3), int(rng.integers(18, 90)),
                 str(rng.choice(REGIONS))] for _ in range(per_request)]
        scores = [float(rng.uniform()) for _ in range(per_request)]
        rows.append({
            "request_id": f"{prefix}{i}", "timestamp": ts, "date": ts.date(), "endpoint": "triage",
            "served_entity": "triage-1", "model_name": "dev.claims.triage_model", "model_version": model_version,
            "status_code": 200 if ok else 503, "error_code": None if ok else "UNAVAILABLE",
            "latency_ms": float(rng.gamma(2.0, 3.0)), "n_rows": per_request if ok else 0,
            "features": json.dumps({"columns": list(FEATURES), "data": data}) if ok else None,
            "response": json.dumps({"predictions": [int(s > 0.5) for s in scores]}) if ok else None,
            "scores": scores if ok else None,
            "record_keys": [f"{prefix}{i}-{j}" for j in range(per_request)] if ok else None,
        })
    return pa.Table.from_pylist(rows, schema=INFERENCE_LOG_SCHEMA)
