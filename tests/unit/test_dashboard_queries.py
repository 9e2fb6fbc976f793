"""The dashboard's queries on small Delta tables: one granularity, slice and version per query, the
window range cut in the scan, unknown figures kept unknown, and the table version said."""

import datetime as dt

import pyarrow as pa
import pytest

from lakegate.dashboard import pipeline
from lakegate.dashboard.facts import ModelFacts, QuarantineSource
from lakegate.dashboard.queries import ALL_VERSIONS, WHOLE, Selection, drift_cells, slices, table_rows, versions
from lakegate.dashboard.reads import latest, row_count
from lakegate.lake import Lake
from tests.dashboard_data import START, table_rows as synthetic_rows, write_metric_tables

FEATURES = ["f0", "f1", "f2"]
HOURS = 72


@pytest.fixture
def lake(tmp_path):
    return Lake(tmp_path / "lake")


@pytest.fixture
def tables(lake):
    return write_metric_tables(lake, "dev", "triage", HOURS, FEATURES, versions=("1", "2"))


def test_rows_are_one_versions_whole_population_within_the_days_asked(lake, tables):
    snapshot, rows = table_rows(lake, tables.profile_metrics, Selection("1 hour", "2", days=1))
    assert snapshot.version == lake.version(tables.profile_metrics) and "as of Delta version" in snapshot.as_of()
    assert len(rows) == 24 and {r["model_id"] for r in rows} == {"2"}
    assert rows[-1]["start"] == (START + dt.timedelta(hours=HOURS - 1)).isoformat()
    expected = synthetic_rows(HOURS, "2", seed=1).to_pylist()[-1]
    assert rows[-1]["precision"] == expected["precision"] and rows[-1]["latency_p99_ms"] == expected["latency_p99_ms"]


def test_a_window_without_labels_stays_unknown_not_zero(lake, tables):
    _, rows = table_rows(lake, tables.profile_metrics, Selection("1 hour", "1", days=3))
    unknown = [r for r in rows if r["precision"] is None]
    assert len(unknown) == HOURS // 5 + 1 and all(r["recall"] is not None for r in unknown)


def test_the_slice_and_all_versions_filters_select_only_their_rows(lake, tables):
    _, sliced = table_rows(lake, tables.profile_metrics, Selection("1 hour", ALL_VERSIONS, "region=north", days=3))
    assert len(sliced) == 2 * HOURS
    assert [r["model_id"] for r in sliced[:2]] == ["1", "2"]  # ordered by window, then version
    assert slices(lake, tables.profile_metrics, "1 hour") == [WHOLE, "region=north"]
    assert versions(lake, tables.profile_metrics, "1 hour") == ["1", "2"]
    _, daily = table_rows(lake, tables.profile_metrics, Selection("1 day", "1"))
    assert daily == []  # never another granularity's rows in its place


def test_drift_cells_read_one_metric_and_leave_features_without_it_empty(lake, tables):
    _, cells = drift_cells(lake, tables.drift_metrics, Selection("1 hour", "1", days=1, metric="psi"), frozenset())
    assert len(cells) == 24 * len(FEATURES)
    assert {c["feature"] for c in cells if c["value"] is None} == {"f1"}  # categorical: no PSI
    _, pvalues = drift_cells(lake, tables.drift_metrics, Selection("1 hour", "1", days=1), frozenset({"f2"}))
    assert {c["feature"] for c in pvalues} == {"f0", "f1"} and all(0 <= c["value"] <= 1 for c in pvalues)


def test_a_missing_table_is_said_not_guessed(lake):
    snapshot, rows = table_rows(lake, "dev.monitoring.none_profile_metrics", Selection("1 hour", "1"))
    assert rows == [] and not snapshot.exists and "does not exist yet" in snapshot.as_of()


def test_row_counts_come_from_the_log_and_quarantine_share_is_held_over_all(lake):
    lake.write_arrow("dev.silver.claims", pa.table({"x": list(range(90))}))
    lake.write_arrow("dev.silver.claims", pa.table({"x": list(range(8))}))
    lake.write_arrow("dev.quarantine.claims", pa.table({"x": list(range(2))}))
    assert row_count(lake, "dev.silver.claims") == latest(lake, "dev.silver.claims").rows.num_rows == 98
    facts = ModelFacts("uc", "", "triage", {"prod": "prod.s.m"}, "dev", ("dev.silver.claims", "dev.gold.none"),
                       (QuarantineSource("claims", "dev.silver.claims", "dev.quarantine.claims"),), None)
    [share] = pipeline.quarantine_shares(lake, facts)
    assert share["share"] == 2 / 100 and share["quarantined_rows"] == 2
    fresh = {t["table"]: t for t in pipeline.freshness(lake, facts, dt.datetime.now(dt.timezone.utc))}
    assert fresh["dev.silver.claims"]["version"] == 1 and fresh["dev.gold.none"]["version"] is None


def test_each_filter_has_one_default_and_a_year_is_reached_with_daily_windows_only():
    from lakegate.dashboard.pages import NotFound, selection

    facts = ModelFacts("uc", "", "triage", {"prod": "prod.s.m"}, "dev", (), (), None)
    assert selection(None, facts, {"version": "1"}) == Selection("1 hour", "1", WHOLE, 7, "pvalue")
    assert selection(None, facts, {"version": "1", "granularity": "1 day", "days": "365"}).days == 365
    for bad in ({"days": "365"}, {"granularity": "1 week"}, {"metric": "auc"}):
        with pytest.raises(NotFound):
            selection(None, facts, {"version": "1", **bad})
