"""Metric table rows: Lakehouse Monitoring's names, `:table` rows, NULL verdicts below the minimum."""

import numpy as np
import pyarrow as pa
import pytest

from lakegate.monitoring.profile import reference_profile
from lakegate.monitoring.state import key_predicate
from lakegate.monitoring.tables import (BASELINE, DRIFT_METRICS_SCHEMA, PROFILE_METRICS_SCHEMA, TABLE_COLUMN,
                                        drift_rows, metric_table_names, profile_rows, to_table)
from lakegate.monitoring.windows import window_starts

DATABRICKS_DRIFT = ["window", "granularity", "model_id", "slice_key", "slice_value", "column_name", "window_cmp",
                    "drift_type", "js_distance", "ks_test", "chi_squared_test", "tv_distance",
                    "l_infinity_distance", "wasserstein_distance", "population_stability_index"]
DATABRICKS_PROFILE = ["window", "granularity", "model_id", "slice_key", "slice_value", "column_name", "count",
                      "num_nulls", "avg", "min", "max", "stddev", "distinct_count", "percent_null", "frequent_items"]


@pytest.fixture
def profiles():
    rng = np.random.default_rng(0)
    rows = pa.table({"x": rng.normal(size=500), "c": rng.choice(["a", "b"], 500)})
    reference = reference_profile(rows, ["x"], ["c"], bins=10)
    window = reference.empty().observe(pa.table({"x": rng.normal(1, 1, 80), "c": ["a"] * 80}))
    start = int(window_starts(pa.array([0], pa.timestamp("us", tz="UTC")), "1 hour")[0])
    return reference, window, ("1 hour", start, "3", None, None)


def test_names_follow_lakehouse_monitoring():
    assert metric_table_names("prod", "claims-triage") == ("prod.monitoring.claims_triage_profile_metrics",
                                                         "prod.monitoring.claims_triage_drift_metrics")
    assert set(DATABRICKS_DRIFT) <= set(DRIFT_METRICS_SCHEMA.names)
    assert set(DATABRICKS_PROFILE) <= set(PROFILE_METRICS_SCHEMA.names)


def test_profile_rows_have_a_table_row_with_the_model_figures(profiles):
    _, window, key = profiles
    table = to_table(profile_rows(key, window, {"precision": 0.5, "request_count": 40}, 7), PROFILE_METRICS_SCHEMA)
    rows = {r["column_name"]: r for r in table.to_pylist()}
    assert set(rows) == {TABLE_COLUMN, "x", "c"}
    assert rows[TABLE_COLUMN]["count"] == 80 and rows[TABLE_COLUMN]["precision"] == 0.5
    assert rows["x"]["precision"] is None and rows["x"]["data_type"] == "double"
    assert rows["c"]["frequent_items"] == [{"item": "a", "count": 80}] and rows["c"]["distinct_count"] == 1
    assert {r["logging_table_commit_version"] for r in rows.values()} == {7}


def test_drift_rows_carry_metrics_only_with_a_verdict(profiles):
    reference, window, key = profiles
    judged = {r["column_name"]: r for r in to_table(drift_rows(key, window, reference, BASELINE, None, True, 1),
                                                    DRIFT_METRICS_SCHEMA).to_pylist()}
    assert judged["x"]["ks_test"]["statistic"] > 0.2 and judged["x"]["population_stability_index"] > 0.25
    assert judged["c"]["js_distance"] > 0 and judged["x"]["window_cmp"] is None
    assert judged[TABLE_COLUMN]["count_delta"] == 80 - 500
    unjudged = {r["column_name"]: r for r in drift_rows(key, window, reference, BASELINE, None, False, 1)}
    assert unjudged["x"]["ks_test"] is None and unjudged["c"]["js_distance"] is None
    assert unjudged["x"]["avg_delta"] == judged["x"]["avg_delta"] is not None  # facts stay, verdicts go


def test_key_predicate_groups_windows_and_quotes_names():
    predicate = key_predicate({("1 hour", 10, "o'k"), ("1 hour", 20, "o'k"), ("1 day", 0, "2")}, "window.start")
    assert predicate == ("(granularity = '1 day' AND model_id = '2' AND arrow_cast(window.start, 'Int64') IN (0)) OR "
                         "(granularity = '1 hour' AND model_id = 'o''k' AND arrow_cast(window.start, 'Int64') IN (10, 20))")
