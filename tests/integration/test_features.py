"""Feature store on the real engine and Delta: point-in-time correctness, the created-timestamp
cutoff, the online store and its parity check."""

import datetime as dt
import sqlite3

import pyarrow as pa
import pytest

from lakegate.lake import Lake
from ml_assets.features.definitions import FEATURE_VIEWS
from ml_assets.features.offline import materialize_view
from ml_assets.features.online import OnlineStore, materialize_online
from ml_assets.features.parity import check_parity
from ml_assets.features.training_set import build_training_set
from ml_assets.usecases import CLAIMS_TRIAGE

pytestmark = pytest.mark.integration
UTC = dt.timezone.utc
D = dt.date


def claims_table(rows):
    """rows: (claim_id, member, provider, submission_date, amount)."""
    return pa.table({
        "claim_id": [r[0] for r in rows], "member_token": [r[1] for r in rows], "provider_id": [r[2] for r in rows],
        "service_date": [r[3] - dt.timedelta(days=2) for r in rows], "submission_date": [r[3] for r in rows],
        "diagnosis_code": ["E11.9"] * len(rows), "procedure_code": ["99213"] * len(rows),
        "amount": [float(r[4]) for r in rows], "channel": ["edi"] * len(rows),
    })


CLAIMS = [
    ("C1", "mA", "P1", D(2026, 1, 1), 50),
    ("C2", "mA", "P1", D(2026, 1, 10), 100),
    ("C3", "mA", "P2", D(2026, 2, 1), 200),
    ("C4", "mA", "P1", D(2026, 5, 1), 400),
    ("C5", "mB", "P1", D(2026, 2, 1), 70),
]
# Outcomes: C1 decided 2026-01-20 (reviewed), C2 decided 2026-02-05 (not), C3 2026-02-10, C5 2026-03-01.
OUTCOMES = [("C1", 1, dt.datetime(2026, 1, 20, 10, tzinfo=UTC)), ("C2", 0, dt.datetime(2026, 2, 5, 10, tzinfo=UTC)),
            ("C3", 1, dt.datetime(2026, 2, 10, 10, tzinfo=UTC)), ("C4", 0, dt.datetime(2026, 5, 20, 10, tzinfo=UTC)),
            ("C5", 0, dt.datetime(2026, 3, 1, 10, tzinfo=UTC))]


@pytest.fixture
def lake(home):
    lake = Lake(home / "lake")
    lake.write_arrow("dev.silver.claims", claims_table(CLAIMS), mode="overwrite")
    lake.write_arrow("dev.silver.claim_outcomes", pa.table({
        "claim_id": [o[0] for o in OUTCOMES], "needs_review": pa.array([o[1] for o in OUTCOMES], pa.int32()),
        "decided_at": pa.array([o[2] for o in OUTCOMES], pa.timestamp("us", tz="UTC")),
    }), mode="overwrite")
    lake.write_arrow("dev.silver.members", pa.table({
        "member_token": ["mA", "mB"], "age_band": ["50-64", "18-34"],
        "chronic_conditions": [["diabetes", "chf"], []], "chronic_condition_count": pa.array([2, 0], pa.int32()),
        "enrollment_date": [D(2020, 1, 1), D(2025, 12, 1)],
    }), mode="overwrite")
    lake.write_arrow("dev.silver.providers", pa.table({
        "provider_id": ["P1", "P2"], "specialty": ["cardiology", "oncology"], "network_status": ["in", "out"],
    }), mode="overwrite")
    return lake


CLAIMS_VIEWS = [FEATURE_VIEWS[v] for v in CLAIMS_TRIAGE.feature_views]


def build_views(spark, lake, now):
    for view in CLAIMS_VIEWS:
        materialize_view(spark, lake, "dev", view, now=now)


def training_rows(spark, lake):
    views = [FEATURE_VIEWS[v] for v in CLAIMS_TRIAGE.feature_views]
    result = build_training_set(spark, lake, "dev", CLAIMS_TRIAGE, views)
    return {r["claim_id"]: r for r in lake.read_arrow(result.table).to_pylist()}, result


def test_point_in_time_features(spark, lake):
    build_views(spark, lake, now=dt.datetime(2026, 6, 1, tzinfo=UTC))
    rows, result = training_rows(spark, lake)
    assert set(rows) == {"C1", "C2", "C3", "C4", "C5"}
    # C1: nothing before it; its own day's claim is never visible to it.
    assert rows["C1"]["member_claims_90d"] is None and rows["C1"]["member_prior_decided"] is None
    # C3 (2026-02-01): C1 and C2 within the 90 days before; C1 decided (reviewed) before, C2 decided after.
    assert rows["C3"]["member_claims_90d"] == 2 and rows["C3"]["member_amount_90d"] == 150.0
    assert rows["C3"]["member_prior_decided"] == 1 and rows["C3"]["member_prior_review_rate"] == 1.0
    # C4 (2026-05-01): C1 and C2 have left the window (the expiry rows make this exact); C3 is 89 days back.
    assert rows["C4"]["member_claims_90d"] == 1 and rows["C4"]["member_amount_90d"] == 200.0
    assert rows["C4"]["member_prior_decided"] == 3 and rows["C4"]["member_prior_review_rate"] == pytest.approx(2 / 3)
    # Provider P1 on 2026-05-01: C1, C2, C5 more than 90 days back... C5 is 89 days back.
    assert rows["C4"]["provider_claims_90d"] == 1
    assert rows["C3"]["provider_in_network"] == 0 and rows["C3"]["provider_specialty"] == "oncology"
    assert rows["C4"]["member_has_diabetes"] == 1 and rows["C5"]["member_has_diabetes"] == 0
    assert rows["C3"]["label"] == 1 and result.rows == 5
    assert set(result.inputs) >= {"dev.silver.claims", "dev.features.member_claims_90d"}


def test_a_value_created_after_the_claim_never_reaches_its_row(spark, lake):
    build_views(spark, lake, now=dt.datetime(2026, 6, 1, tzinfo=UTC))
    # A late correction arrives in June: C2's amount was 1,000, not 100. The rebuild appends new
    # versions of the affected rows, created now (June), for events back in January.
    corrected = [c if c[0] != "C2" else ("C2", "mA", "P1", D(2026, 1, 10), 1000) for c in CLAIMS]
    lake.write_arrow("dev.silver.claims", claims_table(corrected), mode="overwrite")
    result = materialize_view(spark, lake, "dev", FEATURE_VIEWS["member_claims_90d"], now=dt.datetime(2026, 6, 2, tzinfo=UTC))
    assert result.appended_rows > 0 and not result.first_build
    stored = lake.read_arrow("dev.features.member_claims_90d").to_pylist()
    backfilled = [r for r in stored if r["created_timestamp"] == dt.datetime(2026, 6, 2, tzinfo=UTC)]
    assert backfilled and all(r["event_timestamp"] < dt.datetime(2026, 6, 2, tzinfo=UTC) for r in backfilled)
    rows, _ = training_rows(spark, lake)
    assert rows["C3"]["member_amount_90d"] == 150.0  # the June backfill is invisible to a February claim


def test_a_rebuild_with_nothing_new_appends_nothing(spark, lake):
    view = FEATURE_VIEWS["member_review_history"]
    first = materialize_view(spark, lake, "dev", view, now=dt.datetime(2026, 6, 1, tzinfo=UTC))
    again = materialize_view(spark, lake, "dev", view, now=dt.datetime(2026, 6, 3, tzinfo=UTC))
    assert first.first_build and first.appended_rows == first.total_rows > 0
    assert again.appended_rows == 0 and again.total_rows == first.total_rows


def test_online_store_serves_latest_values_and_parity_catches_a_corrupt_row(spark, lake, home):
    build_views(spark, lake, now=dt.datetime(2026, 6, 1, tzinfo=UTC))
    views = CLAIMS_VIEWS
    path = home / "online" / "features.sqlite"
    materialize_online(lake, "dev", views, path, as_of=dt.datetime(2026, 6, 1, tzinfo=UTC))
    store = OnlineStore(path, views)
    june = dt.datetime(2026, 6, 1, tzinfo=UTC).timestamp()
    values = store.lookup({"member_token": "mA", "provider_id": "P2"}, now=june)
    # As of June 1: C3 (Feb 1) left the window on May 2, C4 (May 1) is in it.
    assert values["member_claims_90d"] == 1 and values["member_amount_90d"] == 400.0
    assert values["member_prior_decided"] == 4 and values["provider_in_network"] == 0
    assert store.lookup({"member_token": "nobody", "provider_id": "P1"}, now=june)["member_claims_90d"] is None
    # TTL: a year later the 90-day values are too old to serve.
    assert store.lookup({"member_token": "mA"}, now=june + 365 * 86400)["member_claims_90d"] is None

    assert check_parity(lake, "dev", store, views).passed
    with sqlite3.connect(path) as db:
        db.execute('UPDATE "member_claims_90d" SET member_amount_90d = 1.0 WHERE entity_key = ?', ("mA",))
    store.refresh()
    broken = check_parity(lake, "dev", store, views)
    assert not broken.passed
    assert {"view": "member_claims_90d", "key": "mA", "feature": "member_amount_90d", "online": 1.0, "offline": 400.0} in broken.mismatches


def test_views_whose_offline_table_is_not_built_are_left_out_and_fail_parity_for_a_model_that_needs_them(spark, lake, home):
    build_views(spark, lake, now=dt.datetime(2026, 6, 1, tzinfo=UTC))  # the claims views only
    machine = [view for view in FEATURE_VIEWS.values() if view not in CLAIMS_VIEWS]
    path = home / "online" / "features.sqlite"
    result = materialize_online(lake, "dev", [*CLAIMS_VIEWS, *machine], path, as_of=dt.datetime(2026, 6, 1, tzinfo=UTC))
    assert set(result.not_built) == {view.name for view in machine} and set(result.rows) == {v.name for v in CLAIMS_VIEWS}
    assert check_parity(lake, "dev", OnlineStore(path, CLAIMS_VIEWS), CLAIMS_VIEWS).passed
    needs_machine = check_parity(lake, "dev", OnlineStore(path, machine[:1]), machine[:1])
    assert needs_machine.mismatches == [{"view": machine[0].name, "problem": "view missing from the online store"}]


def test_as_of_join_prefers_the_latest_event_not_the_latest_visible_row(spark):
    """A backfill of an old event, visible later, must not displace a newer event's value."""
    from ml_assets.features.pit import ROW_ID, as_of_join

    view = FEATURE_VIEWS["provider_claims_90d"]
    t = lambda m, d: dt.datetime(2026, m, d, tzinfo=UTC)  # noqa: E731
    features = spark.createDataFrame(
        [("P1", t(1, 10), t(1, 10), 1), ("P1", t(2, 1), t(2, 1), 2), ("P1", t(1, 10), t(3, 1), 9)],
        "provider_id string, event_timestamp timestamp, created_timestamp timestamp, provider_claims_90d long",
    )
    rows = spark.createDataFrame(
        [("r1", "P1", t(1, 20)), ("r2", "P1", t(3, 5)), ("r3", "P1", t(1, 5)), ("r4", "P2", t(3, 5))],
        f"{ROW_ID} string, provider_id string, event_timestamp timestamp",
    )
    got = {r[ROW_ID]: r["provider_claims_90d"] for r in as_of_join(rows, features, view).collect()}
    assert got == {"r1": 1, "r2": 2, "r3": None, "r4": None}
