"""Incremental monitor refresh on real Delta tables: only new rows are read, old windows stay untouched,
late labels recompute only their windows' quality, small windows get no verdict."""

import datetime as dt

import pyarrow as pa
import pytest

from lakegate.lake import Lake
from lakegate.monitoring import MonitorTables, explode_records, reference_profile, refresh
from lakegate.monitoring.increments import IncrementError
from tests.monitoring_data import requests

pytestmark = pytest.mark.integration

T0 = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.timezone.utc)
HOUR = dt.timedelta(hours=1)
TABLES = MonitorTables.for_endpoint("dev", "triage")


@pytest.fixture
def lake(tmp_path):
    return Lake(tmp_path / "lake")


@pytest.fixture(scope="module")
def references():
    held_out = explode_records(requests(T0 - 48 * HOUR, 1500, seed=11))
    return {"1": reference_profile(held_out, ["amount", "age", "score"], ["region"], bins=20)}


def run(lake, references, labels=None):
    return refresh(lake, "dev", "triage", references, labels=labels, slices=["region"], granularities=["1 hour"],
                   min_rows=100)


def rows_of(lake, table, start):
    rows = [r for r in lake.read_arrow(table).to_pylist() if r["window"]["start"] == start]
    return sorted(rows, key=lambda r: (str(r["slice_key"]), str(r["slice_value"]), r["column_name"],
                                       r.get("drift_type", "")))


def test_refresh_reads_only_new_rows_and_leaves_old_windows_untouched(lake, references):
    lake.write_arrow(TABLES.inference, requests(T0, 300, spacing=dt.timedelta(seconds=10), errors=3))
    first = run(lake, references)
    assert (first.rows_read, first.records_read, first.inference_version) == (303, 600, 0)
    assert {t[1] for t in first.windows_touched} == {int(T0.timestamp() * 1e6)}
    old_profile, old_drift = rows_of(lake, TABLES.profile_metrics, T0), rows_of(lake, TABLES.drift_metrics, T0)
    table_row = next(r for r in old_profile if r["column_name"] == ":table" and r["slice_key"] is None)
    assert table_row["count"] == 600 and table_row["request_count"] == 303 and table_row["precision"] is None

    lake.write_arrow(TABLES.inference, requests(T0 + 2 * HOUR, 200, shift=1.5, seed=5, prefix="b"))
    second = run(lake, references)
    assert (second.rows_read, second.records_read, second.inference_version) == (200, 400, 1)
    assert [t[1] for t in second.windows_touched] == [int((T0 + 2 * HOUR).timestamp() * 1e6)]
    assert rows_of(lake, TABLES.profile_metrics, T0) == old_profile  # the old window: not recomputed
    assert rows_of(lake, TABLES.drift_metrics, T0) == old_drift
    shifted = {r["drift_type"]: r for r in rows_of(lake, TABLES.drift_metrics, T0 + 2 * HOUR)
               if r["column_name"] == "amount" and r["slice_key"] is None}
    assert set(shifted) == {"BASELINE"}  # 11:00 has no rows, so there is no consecutive window to compare
    assert shifted["BASELINE"]["population_stability_index"] > 0.25

    nothing = run(lake, references)
    assert nothing.rows_read == 0 and nothing.windows_touched == () and set(nothing.table_versions.values()) == {None}


def test_late_labels_recompute_only_their_windows_quality(lake, references):
    lake.write_arrow(TABLES.inference, requests(T0, 150, spacing=dt.timedelta(seconds=20)))
    lake.write_arrow(TABLES.inference, requests(T0 + HOUR, 150, spacing=dt.timedelta(seconds=20), prefix="b"))
    run(lake, references)
    untouched = rows_of(lake, TABLES.profile_metrics, T0 + HOUR)
    records = explode_records(requests(T0, 150, spacing=dt.timedelta(seconds=20)))
    labels = pa.table({"record_key": records["record_key"], "label": records["prediction"],
                       "label_available_at": [T0 + 30 * HOUR] * records.num_rows})
    late = run(lake, references, labels)
    assert late.rows_read == 0 and [t[1] for t in late.windows_touched] == [int(T0.timestamp() * 1e6)]
    whole = next(r for r in rows_of(lake, TABLES.profile_metrics, T0)
                 if r["column_name"] == ":table" and r["slice_key"] is None)
    assert whole["label_coverage"] == 1.0 and whole["precision"] == 1.0 and whole["false_negative_rate"] == 0.0
    assert rows_of(lake, TABLES.profile_metrics, T0 + HOUR) == untouched
    assert run(lake, references, labels).windows_touched == ()  # the same labels again: nothing new


def test_late_rows_rewrite_their_window_and_the_next_ones_consecutive_drift(lake, references):
    lake.write_arrow(TABLES.inference, requests(T0, 150, spacing=dt.timedelta(seconds=20)))
    lake.write_arrow(TABLES.inference, requests(T0 + HOUR, 150, spacing=dt.timedelta(seconds=20), prefix="b"))
    run(lake, references)
    before = {r["drift_type"]: r["count_delta"] for r in rows_of(lake, TABLES.drift_metrics, T0 + HOUR)
              if r["column_name"] == ":table" and r["slice_key"] is None}
    lake.write_arrow(TABLES.inference, requests(T0 + dt.timedelta(minutes=55), 50, prefix="late"))
    result = run(lake, references)
    assert result.rows_read == 50 and [t[1] for t in result.windows_touched] == [int(T0.timestamp() * 1e6)]
    after = {r["drift_type"]: r["count_delta"] for r in rows_of(lake, TABLES.drift_metrics, T0 + HOUR)
             if r["column_name"] == ":table" and r["slice_key"] is None}
    assert after["CONSECUTIVE"] == before["CONSECUTIVE"] - 100 and after["BASELINE"] == before["BASELINE"]


def test_windows_below_the_minimum_get_profile_rows_but_no_verdict(lake, references):
    lake.write_arrow(TABLES.inference, requests(T0, 20, shift=3.0))  # 40 records: below min_rows=100
    run(lake, references)
    profile = [r for r in rows_of(lake, TABLES.profile_metrics, T0) if r["slice_key"] is None]
    assert {r["column_name"]: r["count"] for r in profile}[":table"] == 40
    assert all(r["latency_p99_ms"] is None and r["error_rate"] is None for r in profile)
    drift = [r for r in rows_of(lake, TABLES.drift_metrics, T0) if r["column_name"] == "amount"]
    assert drift and all(r["ks_test"] is None and r["population_stability_index"] is None for r in drift)


def test_a_rewritten_inference_history_is_refused_not_double_counted(lake, references):
    lake.write_arrow(TABLES.inference, requests(T0, 10))
    run(lake, references)
    lake.table(TABLES.inference).delete("request_id = 'r1'")
    with pytest.raises(IncrementError, match="removed rows"):
        run(lake, references)


def test_a_refresh_that_dies_before_its_last_commit_is_redone_whole(tmp_path, references, monkeypatch):
    first, second = requests(T0, 150, spacing=dt.timedelta(seconds=20)), requests(T0 + HOUR, 80, prefix="b")
    clean = Lake(tmp_path / "clean")
    for batch in (first, second):
        clean.write_arrow(TABLES.inference, batch)
        run(clean, references)

    crashed = Lake(tmp_path / "crashed")
    crashed.write_arrow(TABLES.inference, first)
    run(crashed, references)
    crashed.write_arrow(TABLES.inference, second)

    def die(*args, **kwargs):
        raise OSError("disk gone")

    with monkeypatch.context() as patch:
        patch.setattr("lakegate.monitoring.state.save_states", die)
        with pytest.raises(OSError):
            run(crashed, references)  # records and metric rows written, the state commit lost
    redone = run(crashed, references)
    assert redone.rows_read == second.num_rows  # the watermark had not moved: the same rows again
    for table in (TABLES.records, TABLES.profile_metrics, TABLES.drift_metrics):
        key = "record_key" if table == TABLES.records else None
        rows = [sorted(lake.read_arrow(table).to_pylist(), key=lambda r: str(r[key]) if key else str(r))
                for lake in (clean, crashed)]
        assert rows[0] == rows[1], table  # nothing counted twice


def test_each_model_version_gets_its_own_rows_and_one_without_a_reference_is_named(lake, references):
    lake.write_arrow(TABLES.inference, requests(T0, 120, spacing=dt.timedelta(seconds=20)))
    lake.write_arrow(TABLES.inference, requests(T0, 60, model_version="2", prefix="v2"))
    result = run(lake, references)
    assert result.models_without_reference == ("2",)
    assert result.rows_read == 180 and result.records_read == 240  # only model 1's records are profiled
    assert {r["model_id"] for r in lake.read_arrow(TABLES.profile_metrics).to_pylist()} == {"1"}
