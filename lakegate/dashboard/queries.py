"""The metric tables' queries behind the model page: one granularity, one slice and one version per
query, filtered in the scan and aggregated here, so the browser only draws what it is sent.

Rows come back as plain dicts with ISO window starts; a figure the table leaves NULL (unknown:
too few labels, a window too small) stays None and is drawn as a gap, never as zero.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from lakegate.dashboard.reads import Snapshot, latest
from lakegate.lake import Lake
from lakegate.monitoring.tables import BASELINE, TABLE_COLUMN

QUALITY = ("precision", "recall", "false_positive_rate", "false_negative_rate")
SLA = ("latency_p50_ms", "latency_p99_ms", "error_rate")
WHOLE = "all rows"  # the slice filter's default: the whole population (slice_key NULL)
ALL_VERSIONS = "all"
# (heatmap metric, the drift table's column(s) it reads): one scale per metric, never mixed.
DRIFT_METRICS = {"pvalue": ("ks_test", "chi_squared_test"), "psi": ("population_stability_index",),
                 "js": ("js_distance",)}


@dataclass(frozen=True)
class Selection:
    """A page's filters, each with one default (the CLI's policy gives the granularity's)."""

    granularity: str
    version: str  # a model_id, or ALL_VERSIONS
    slice: str = WHOLE  # "key=value" or WHOLE
    days: int = 7  # windows shown: those starting within this many days of the latest
    metric: str = "pvalue"


NULL_VALUE = "(null)"  # a slice of the records whose slice column is empty


def _slice_filter(choice: str) -> ds.Expression:
    if choice == WHOLE:
        return ds.field("slice_key").is_null()
    key, _, value = choice.partition("=")
    matches = ds.field("slice_value").is_null() if value == NULL_VALUE else ds.field("slice_value") == value
    return (ds.field("slice_key") == key) & matches


def _window_filter(sel: Selection, column: str) -> ds.Expression:
    where = (ds.field("granularity") == sel.granularity) & (ds.field("column_name") == column)
    return where if sel.version == ALL_VERSIONS else where & (ds.field("model_id") == sel.version)


def _since(snapshot: Snapshot, days: int) -> pa.Table | None:
    """The snapshot's rows whose window starts within `days` of its latest window start."""
    rows = snapshot.rows
    if rows is None or rows.num_rows == 0:
        return rows
    starts = pc.struct_field(rows["window"], "start")
    cutoff = pc.subtract(pc.max(starts), pa.scalar(dt.timedelta(days=days), pa.duration("us")))
    return rows.filter(pc.greater(starts, cutoff))


def _dicts(rows: pa.Table | None, fields: tuple[str, ...]) -> list[dict]:
    if rows is None or rows.num_rows == 0:
        return []
    starts = pc.struct_field(rows["window"], "start")
    order = pc.sort_indices(pa.table({"s": starts, "m": rows["model_id"]}), [("s", "ascending"), ("m", "ascending")])
    rows, starts = rows.take(order), starts.take(order)
    out = {"start": [t.isoformat() for t in starts.to_pylist()], "model_id": rows["model_id"].to_pylist()}
    out.update({name: rows[name].to_pylist() for name in fields})
    return [dict(zip(out, values)) for values in zip(*out.values())]


def table_rows(lake: Lake, profile_table: str, sel: Selection) -> tuple[Snapshot, list[dict]]:
    """The `:table` rows of the profile metrics (row count, live quality, SLA) for the selection."""
    fields = ("count", "label_coverage", *QUALITY, "request_count", *SLA)
    where = _window_filter(sel, TABLE_COLUMN) & _slice_filter(sel.slice)
    snapshot = latest(lake, profile_table, ["window", "model_id", *fields], where)
    return snapshot, _dicts(_since(snapshot, sel.days), fields)


def slices(lake: Lake, profile_table: str, granularity: str) -> list[str]:
    """The slice filter's choices: WHOLE first, then every key=value the monitor wrote."""
    where = (ds.field("granularity") == granularity) & (ds.field("column_name") == TABLE_COLUMN) \
        & ds.field("slice_key").is_valid()
    rows = latest(lake, profile_table, ["slice_key", "slice_value"], where).rows
    if rows is None:
        return [WHOLE]
    pairs = rows.group_by(["slice_key", "slice_value"]).aggregate([]).to_pylist()
    return [WHOLE, *sorted(f"{p['slice_key']}={NULL_VALUE if p['slice_value'] is None else p['slice_value']}"
                           for p in pairs)]


def versions(lake: Lake, profile_table: str, granularity: str) -> list[str]:
    where = (ds.field("granularity") == granularity) & (ds.field("column_name") == TABLE_COLUMN)
    rows = latest(lake, profile_table, ["model_id"], where).rows
    if rows is None or rows.num_rows == 0:
        return []
    return sorted(pc.unique(rows["model_id"].drop_null()).to_pylist(), key=lambda v: (len(v), v))


def drift_cells(lake: Lake, drift_table: str, sel: Selection, not_features: frozenset[str]) -> tuple[Snapshot, list[dict]]:
    """Feature × window cells of one drift metric against the reference profile (BASELINE)."""
    sources = DRIFT_METRICS[sel.metric]
    where = (ds.field("granularity") == sel.granularity) & (ds.field("drift_type") == BASELINE) \
        & _slice_filter(sel.slice) & ~ds.field("column_name").isin(pa.array(sorted(not_features), pa.string()))
    if sel.version != ALL_VERSIONS:
        where = where & (ds.field("model_id") == sel.version)
    snapshot = latest(lake, drift_table, ["window", "model_id", "column_name", *sources], where)
    rows = _since(snapshot, sel.days)
    if rows is None or rows.num_rows == 0:
        return snapshot, []
    return snapshot, [{"start": r["start"], "model_id": r["model_id"], "feature": r["column_name"],
                       "value": _metric(r, sources)} for r in _dicts(rows, ("column_name", *sources))]


def _metric(row: dict, sources: tuple[str, ...]) -> float | None:
    for name in sources:
        value = row.get(name)
        if isinstance(value, dict):
            value = value.get("pvalue")
        if value is not None:
            return float(value)
    return None


def latest_window(rows: list[dict], version: str | None = None) -> dict | None:
    """The last row (of `version` when given): what a panel's figures say."""
    chosen = [r for r in rows if version in (None, ALL_VERSIONS) or r["model_id"] == version]
    return chosen[-1] if chosen else None
