"""The judged window's figures, read back from the monitor's metric tables: what the checks judge is
what the tables say (the dashboard and Databricks SQL read the same rows)."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from gates.monitoring import FeatureDrift, WindowFigures, finite
from lakegate.monitoring.tables import BASELINE, TABLE_COLUMN
from ml_assets.training.reference import SCORE

NOT_FEATURES = {TABLE_COLUMN, SCORE}  # the model's output drifts too, but is not one of its inputs


def _rows(table: pa.Table, model_id: str, granularity: str) -> pa.Table:
    """The whole-population rows (slice_key NULL) of one model version at one granularity."""
    mask = pc.and_(pc.and_(pc.equal(table["model_id"], model_id), pc.equal(table["granularity"], granularity)),
                   pc.is_null(table["slice_key"]))
    return table.filter(mask)


def _start(row: dict) -> str:
    return row["window"]["start"].isoformat()


def feature_drift(row: dict) -> FeatureDrift:
    """One drift_metrics row as the verdict reads it: KS for numeric columns, chi-squared for categorical."""
    test = row["ks_test"] or row["chi_squared_test"] or {}
    return FeatureDrift(row["column_name"], finite(row["population_stability_index"]), finite(row["js_distance"]),
                        finite(test.get("pvalue")))


def judged(row: dict) -> bool:
    """Whether a drift row carries a verdict (NULL metrics: a window too small, or no values)."""
    return any(row[name] is not None for name in ("population_stability_index", "js_distance", "ks_test",
                                                  "chi_squared_test"))


def judged_window(profile: pa.Table, drift: pa.Table, model_id: str, granularity: str,
                  min_rows: int) -> WindowFigures | None:
    """The latest window of `model_id` with at least `min_rows` scored rows, else the latest window
    (whose verdicts will be 'none'), else None when the version has no window yet."""
    windows = [r for r in _rows(profile, model_id, granularity).to_pylist() if r["column_name"] == TABLE_COLUMN]
    if not windows:
        return None
    windows.sort(key=_start)
    full = [w for w in windows if (w["count"] or 0) >= min_rows]
    chosen = (full or windows)[-1]
    start = chosen["window"]["start"]
    features = tuple(
        feature_drift(r) for r in ([] if drift is None else _rows(drift, model_id, granularity).to_pylist())
        if r["window"]["start"] == start and r["drift_type"] == BASELINE and r["column_name"] not in NOT_FEATURES
        and judged(r))
    rows = int(chosen["count"] or 0)
    coverage = finite(chosen.get("label_coverage")) or 0.0
    return WindowFigures(
        model_version=model_id, window=(start.isoformat(), chosen["window"]["end"].isoformat()), rows=rows,
        drift=features, labelled=round(coverage * rows), precision=finite(chosen.get("precision")),
        recall=finite(chosen.get("recall")), p99_latency_ms=finite(chosen.get("latency_p99_ms")),
        error_rate=finite(chosen.get("error_rate")))
