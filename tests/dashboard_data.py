"""Synthetic monitor metric tables (Lakehouse Monitoring's schemas) for the dashboard's unit tests and
bench: hourly windows × features, with known figures, built column-wise so a year takes seconds."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from lakegate.lake import Lake
from lakegate.monitoring import DRIFT_METRICS_SCHEMA, PROFILE_METRICS_SCHEMA, TABLE_COLUMN, MonitorTables

HOUR = dt.timedelta(hours=1)
START = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
STEP = {"1 hour": HOUR, "1 day": dt.timedelta(days=1)}


def _windows(starts: list[dt.datetime], granularity: str = "1 hour") -> pa.Array:
    return pa.array([{"start": s, "end": s + STEP[granularity]} for s in starts],
                    PROFILE_METRICS_SCHEMA.field("window").type)


def _table(schema: pa.Schema, columns: dict) -> pa.Table:
    n = len(next(iter(columns.values())))
    return pa.table({f.name: columns.get(f.name, pa.nulls(n, f.type)) for f in schema}, schema=schema)


def table_rows(hours: int, version: str = "1", slice_: tuple[str, str] | None = None, seed: int = 0,
               granularity: str = "1 hour") -> pa.Table:
    """One `:table` row per window (`hours` of them): counts, quality (NULL where no label came) and SLA."""
    rng = np.random.default_rng(seed)
    starts = [START + i * STEP[granularity] for i in range(hours)]
    precision = rng.uniform(0.3, 0.9, hours)
    precision[::5] = np.nan  # every fifth window has no label yet: unknown, never zero
    columns = {"window": _windows(starts, granularity), "granularity": pa.array([granularity] * hours),
               "model_id": pa.array([version] * hours), "column_name": pa.array([TABLE_COLUMN] * hours),
               "count": pa.array(rng.integers(50, 500, hours)), "request_count": pa.array(rng.integers(50, 500, hours)),
               "precision": pa.array(precision, from_pandas=True), "recall": pa.array(rng.uniform(0.2, 0.8, hours)),
               "false_positive_rate": pa.array(rng.uniform(0, 0.3, hours)),
               "false_negative_rate": pa.array(rng.uniform(0, 0.5, hours)),
               "label_coverage": pa.array(rng.uniform(0, 1, hours)), "latency_p50_ms": pa.array(rng.uniform(1, 3, hours)),
               "latency_p99_ms": pa.array(rng.uniform(5, 30, hours)), "error_rate": pa.array(rng.uniform(0, 0.02, hours))}
    if slice_ is not None:
        columns.update(slice_key=pa.array([slice_[0]] * hours), slice_value=pa.array([slice_[1]] * hours))
    return _table(PROFILE_METRICS_SCHEMA, columns)


def column_rows(hours: int, features: list[str], version: str = "1", granularity: str = "1 hour") -> pa.Table:
    """The per-feature profile rows of every window (count, nulls, mean), as the monitor writes them."""
    n = hours * len(features)
    starts = [START + i * STEP[granularity] for i in range(hours) for _ in features]
    return _table(PROFILE_METRICS_SCHEMA, {
        "window": _windows(starts, granularity), "granularity": pa.array([granularity] * n),
        "model_id": pa.array([version] * n), "column_name": pa.array([f for _ in range(hours) for f in features]),
        "count": pa.array(np.full(n, 200)), "num_nulls": pa.array(np.zeros(n, np.int64)),
        "avg": pa.array(np.linspace(0, 1, n))})


def drift_rows(hours: int, features: list[str], version: str = "1", seed: int = 0, granularity: str = "1 hour") -> pa.Table:
    """BASELINE drift per window and feature: even-numbered features numeric (KS, PSI), odd categorical (chi², JS)."""
    rng = np.random.default_rng(seed)
    n = hours * len(features)
    starts = [START + i * STEP[granularity] for i in range(hours) for _ in features]
    names = [f for _ in range(hours) for f in features]
    numeric = np.array([features.index(f) % 2 == 0 for f in names])
    pvalues = rng.uniform(0, 1, n)
    test = DRIFT_METRICS_SCHEMA.field("ks_test").type
    tests = [{"statistic": 0.1, "pvalue": float(p)} for p in pvalues]
    return _table(DRIFT_METRICS_SCHEMA, {
        "window": _windows(starts, granularity), "granularity": pa.array([granularity] * n),
        "model_id": pa.array([version] * n), "column_name": pa.array(names), "drift_type": pa.array(["BASELINE"] * n),
        "ks_test": pa.array([t if k else None for t, k in zip(tests, numeric)], test),
        "chi_squared_test": pa.array([None if k else t for t, k in zip(tests, numeric)], test),
        "population_stability_index": pa.array(np.where(numeric, rng.uniform(0, 0.4, n), np.nan), from_pandas=True),
        "js_distance": pa.array(np.where(numeric, np.nan, rng.uniform(0, 0.3, n)), from_pandas=True)})


def write_metric_tables(lake: Lake, catalog: str, endpoint: str, hours: int, features: list[str],
                        versions: tuple[str, ...] = ("1",)) -> MonitorTables:
    tables = MonitorTables.for_endpoint(catalog, endpoint)
    for i, version in enumerate(versions):
        lake.write_arrow(tables.profile_metrics, table_rows(hours, version, seed=i))
        lake.write_arrow(tables.profile_metrics, table_rows(hours, version, ("region", "north"), seed=10 + i))
        lake.write_arrow(tables.drift_metrics, drift_rows(hours, features, version, seed=i))
    return tables
