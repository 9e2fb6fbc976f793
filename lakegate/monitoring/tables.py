"""The two metric tables, with Lakehouse Monitoring's column names, and their row builders.

`<catalog>.monitoring.<endpoint>_profile_metrics`: one row per window, granularity, model_id,
slice and column; the `:table` row of each carries the model-level figures (row count, live
quality, SLA). `<catalog>.monitoring.<endpoint>_drift_metrics`: one row per window, granularity,
model_id, slice, column and drift_type (BASELINE against the model version's reference profile,
CONSECUTIVE against the previous window). What of Databricks' schema is left out, and which
columns are Lakegate's own, is in docs/decisions/0022-monitor-drift-metrics.md.
"""

from __future__ import annotations

import pyarrow as pa

from lakegate.monitoring.drift import column_drift, no_drift_verdict
from lakegate.monitoring.profile import NumericProfile, Profile
from lakegate.monitoring.quality import QUALITY_FIELDS, SLA_FIELDS
from lakegate.monitoring.windows import window_bounds
from lakegate.serving.inference_log import inference_table_name

TABLE_COLUMN = ":table"  # Lakehouse Monitoring's column_name for model- and table-level figures
BASELINE, CONSECUTIVE = "BASELINE", "CONSECUTIVE"
FREQUENT_ITEMS = 10

_TS = pa.timestamp("us", tz="UTC")
WINDOW_TYPE = pa.struct([("start", _TS), ("end", _TS)])
TEST_TYPE = pa.struct([("statistic", pa.float64()), ("pvalue", pa.float64())])
_KEY_FIELDS = [
    pa.field("window", WINDOW_TYPE, nullable=False),
    pa.field("granularity", pa.string(), nullable=False),
    pa.field("model_id", pa.string()),
    pa.field("slice_key", pa.string()),
    pa.field("slice_value", pa.string()),
    pa.field("column_name", pa.string(), nullable=False),
    pa.field("data_type", pa.string()),
    pa.field("logging_table_commit_version", pa.int64()),  # the inference table version last read
]
PROFILE_METRICS_SCHEMA = pa.schema([
    *_KEY_FIELDS,
    pa.field("count", pa.int64()),
    pa.field("num_nulls", pa.int64()),
    pa.field("percent_null", pa.float64()),
    pa.field("avg", pa.float64()),
    pa.field("min", pa.float64()),
    pa.field("max", pa.float64()),
    pa.field("stddev", pa.float64()),
    pa.field("distinct_count", pa.int64()),
    pa.field("frequent_items", pa.list_(pa.struct([("item", pa.string()), ("count", pa.int64())]))),
    *(pa.field(name, pa.float64()) for name in QUALITY_FIELDS),
    pa.field("request_count", pa.int64()),
    *(pa.field(name, pa.float64()) for name in SLA_FIELDS[1:]),
])
DRIFT_METRICS_SCHEMA = pa.schema([
    *_KEY_FIELDS,
    pa.field("window_cmp", WINDOW_TYPE),  # NULL for BASELINE: the reference profile has no window
    pa.field("drift_type", pa.string(), nullable=False),
    pa.field("count_delta", pa.float64()),
    pa.field("avg_delta", pa.float64()),
    pa.field("percent_null_delta", pa.float64()),
    pa.field("js_distance", pa.float64()),
    pa.field("ks_test", TEST_TYPE),
    pa.field("chi_squared_test", TEST_TYPE),
    pa.field("tv_distance", pa.float64()),
    pa.field("l_infinity_distance", pa.float64()),
    pa.field("wasserstein_distance", pa.float64()),
    pa.field("population_stability_index", pa.float64()),
])


def metric_table_names(catalog: str, endpoint: str) -> tuple[str, str]:
    """(`_profile_metrics`, `_drift_metrics`) for an endpoint, named as its inference table is."""
    base = inference_table_name(catalog, endpoint).split(".")[-1].removesuffix("_inference_log")
    return f"{catalog}.monitoring.{base}_profile_metrics", f"{catalog}.monitoring.{base}_drift_metrics"


def _key(window_start: int, granularity: str, model_id, slice_key, slice_value, column: str, data_type, version):
    start, end = window_bounds(window_start, granularity)
    return {"window": {"start": start, "end": end}, "granularity": granularity, "model_id": model_id,
            "slice_key": slice_key, "slice_value": slice_value, "column_name": column, "data_type": data_type,
            "logging_table_commit_version": version}


def _data_type(column) -> str:
    return "double" if isinstance(column, NumericProfile) else "string"


def profile_rows(key: tuple, profile: Profile, model_figures: dict, version: int | None) -> list[dict]:
    """The `:table` row (row count plus quality and SLA figures) and one row per profiled column."""
    granularity, start, model_id, slice_key, slice_value = key
    empty = dict.fromkeys([*QUALITY_FIELDS, *SLA_FIELDS])
    rows = [{**_key(start, granularity, model_id, slice_key, slice_value, TABLE_COLUMN, None, version),
             "count": profile.num_rows, **empty, **{k: model_figures.get(k) for k in empty}}]
    for name, column in profile.columns.items():
        summary = column.summary()
        total = summary["count"]
        rows.append({**_key(start, granularity, model_id, slice_key, slice_value, name, _data_type(column), version),
                     **summary, "percent_null": summary["num_nulls"] / total if total else None,
                     "frequent_items": _frequent_items(column), **empty})
    return rows


def _frequent_items(column) -> list[dict] | None:
    if isinstance(column, NumericProfile):
        return None
    pairs = sorted(zip(column.categories, column.counts[:-1].tolist()), key=lambda p: (-p[1], p[0]))
    return [{"item": item, "count": count} for item, count in pairs[:FREQUENT_ITEMS] if count > 0]


def drift_rows(key: tuple, profile: Profile, base: Profile | None, drift_type: str, base_start: int | None,
               verdict: bool, version: int | None) -> list[dict]:
    """Rows for one comparison; `verdict` False (a window below the minimum size) leaves the metrics NULL."""
    if base is None:
        return []
    granularity, start, model_id, slice_key, slice_value = key
    window_cmp = None if base_start is None else dict(zip(("start", "end"), window_bounds(base_start, granularity)))
    head = {"window_cmp": window_cmp, "drift_type": drift_type}
    rows = [{**_key(start, granularity, model_id, slice_key, slice_value, TABLE_COLUMN, None, version), **head,
             "count_delta": float(profile.num_rows - base.num_rows), "avg_delta": None, "percent_null_delta": None,
             **no_drift_verdict()}]
    for name, column in profile.columns.items():
        now, then = column.summary(), base.columns[name].summary()
        rows.append({**_key(start, granularity, model_id, slice_key, slice_value, name, _data_type(column), version),
                     **head, "count_delta": float(now["count"] - then["count"]),
                     "avg_delta": _delta(now["avg"], then["avg"]),
                     "percent_null_delta": _delta(_share(now), _share(then)),
                     **(column_drift(base.columns[name], column) if verdict else no_drift_verdict())})
    return rows


def _share(summary: dict) -> float | None:
    return summary["num_nulls"] / summary["count"] if summary["count"] else None


def _delta(now, then):
    return None if now is None or then is None else now - then


def to_table(rows: list[dict], schema: pa.Schema) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=schema)

