"""The manufacturer's lakehouse on the real engine, through Dagster in-process, built once from
generated dirty data: landing → bronze → silver (+ quarantine, conservation) → prediction points and
labels → feature views → the point-in-time training set, and its lineage down to the sensor files."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib

import dagster as dg
import numpy as np
import pandas as pd
import pytest
from pyspark.sql import functions as F
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score

from lakegate.lake import Lake
from lakegate.lineage import trace
from lakegate.run import materialize
from lakehouse_assets.contracts import ContractViolation
from lakehouse_assets.derived.build import build_derived
from lakehouse_assets.domains.machines import gold
from lakehouse_assets.domains.machines.sources import SOURCES
from lakehouse_assets.synthetic.machines import generate_machines
from ml_assets.features.machine_request import machine_request_features
from ml_assets.training.columns import check_schema, labels, to_model_input
from ml_assets.usecases import MACHINE_FAILURE

pytestmark = pytest.mark.integration
UTC = dt.timezone.utc
TRAINING_SET = "dev.ml.machine_failure_training_set"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    home = tmp_path_factory.mktemp("machines")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LAKEGATE_HOME", str(home))
        mp.setenv("LAKEGATE_PII_HMAC_KEY", "machine-test-key-0123456789")
        report = generate_machines(home / "landing", machines=40, days=75, seed=5, dirty=0.03)
        from tests.local_graph import local_graph

        defs = local_graph()

        outcome = materialize(defs, f'+key:"ml/{MACHINE_FAILURE.name}_training_set"', instance=dg.DagsterInstance.ephemeral())
        yield home, report, outcome, Lake(home / "lake")


def table(lake: Lake, name: str) -> pd.DataFrame:
    return lake.read_arrow(name).to_pandas()


def test_the_run_succeeds_and_rows_are_conserved(built):
    _, report, outcome, _ = built
    assert outcome.success, outcome.failure
    checks = {(c.asset_key.to_user_string(), c.check_name): c for c in outcome.checks}
    for source in SOURCES:
        assert checks[(f"bronze/{source}", "bronze_row_conservation")].passed
        assert checks[(f"silver/{source}", "silver_row_conservation")].passed
    landed = checks[("bronze/sensor_readings", "bronze_row_conservation")].metadata
    assert landed["landed_rows"].value == report.rows["sensor_readings"] and landed["rejected_files"].value == 2
    failed = {name for (asset, name), c in checks.items() if asset == "silver/sensor_readings" and not c.passed}
    assert {"expect_readings_numeric", "expect_read_at_valid", "expect_vibration_mm_s_non_negative"} <= failed


def test_quarantine_keeps_dirty_rows_and_the_technician_is_only_a_token(built):
    home, _, _, lake = built
    quarantined = table(lake, "dev.quarantine.sensor_readings")
    assert len(quarantined) and quarantined["failed_expectations"].map(len).min() >= 1
    raw = set(table(lake, "dev.bronze.maintenance_events")["technician_id"].dropna())
    assert raw and all(t.startswith("EMP") for t in raw)
    for layer in ("silver", "quarantine"):
        jobs = table(lake, f"dev.{layer}.maintenance_events")
        assert "technician_id" not in jobs.columns and "technician_token" in jobs.columns
        assert not raw & set(jobs.astype(str).to_numpy().ravel())
    assert sorted(p.name for p in (home / "rejected" / "sensor_readings").iterdir() if not p.name.endswith(".json")) == [
        "sensor_readings_broken_00001.csv.gz", "sensor_readings_empty_00001.csv"]


def test_prediction_points_take_the_latest_reading_before_six(built):
    _, _, _, lake = built
    days = table(lake, "dev.gold.machine_days")
    readings = table(lake, "dev.silver.sensor_readings")
    assert days["machine_day_id"].is_unique and (days["predicted_at"].dt.hour == 6).all()
    lag = days["predicted_at"] - days["reading_at"]
    assert ((lag >= pd.Timedelta(0)) & (lag < pd.Timedelta(hours=12))).all()
    sample = days.sample(50, random_state=1)
    for row in sample.itertuples():
        mine = readings[(readings["machine_id"] == row.machine_id) & (readings["read_at"] <= row.predicted_at)]
        latest = mine.loc[mine["read_at"].idxmax()]
        assert (latest["read_at"], latest["temperature_c"]) == (row.reading_at, row.temperature_c)


def test_labels_say_when_they_became_known(built):
    _, _, _, lake = built
    labels_ = table(lake, "dev.gold.machine_failure_labels")
    failures = table(lake, "dev.silver.failure_events")
    now = table(lake, "dev.silver.sensor_readings")["read_at"].max()
    assert 0.03 < labels_["fails_within_7d"].mean() < 0.3 and (labels_["label_available_at"] <= now).all()
    for row in labels_.sample(200, random_state=2).itertuples():
        mine = failures[(failures["machine_id"] == row.machine_id) & (failures["failed_at"] > row.predicted_at)
                        & (failures["failed_at"] <= row.predicted_at + pd.Timedelta(days=7))]
        assert row.fails_within_7d == int(len(mine) > 0)
        known = mine["reported_at"].min() if len(mine) else row.predicted_at + pd.Timedelta(days=9)
        assert row.label_available_at == known and row.label_available_at > row.predicted_at
    unlabeled = set(table(lake, "dev.gold.machine_days")["machine_day_id"]) - set(labels_["machine_day_id"])
    assert unlabeled  # the last days' windows have not closed yet


def test_sensor_features_are_yesterdays_statistics(built):
    """A training row at 06:00 sees the statistics of the day before, never the day itself."""
    _, _, _, lake = built
    rows = table(lake, TRAINING_SET)
    readings = table(lake, "dev.silver.sensor_readings")
    readings["day"] = readings["read_at"].dt.floor("D")
    daily = readings.groupby(["machine_id", "day"])["vibration_mm_s"].agg(["mean", "max"])
    checked = 0
    for row in rows.sample(80, random_state=3).itertuples():
        yesterday = row.event_timestamp.floor("D") - pd.Timedelta(days=1)
        if (row.machine_id, yesterday) in daily.index:
            want = daily.loc[(row.machine_id, yesterday)]
            assert row.vibration_mean_24h == pytest.approx(want["mean"]) and row.vibration_max_24h == want["max"]
            checked += 1
    assert checked > 50
    after_first_day = rows[rows["event_timestamp"] > rows["event_timestamp"].min() + pd.Timedelta(days=1)]
    assert after_first_day["days_since_maintenance"].ge(0).all() and after_first_day["machine_age_years"].gt(0).all()
    assert after_first_day["model_type"].notna().all()


def test_the_training_set_is_what_training_takes_and_it_predicts(built):
    _, _, _, lake = built
    data = lake.read_arrow(TRAINING_SET)
    check_schema(data.schema, MACHINE_FAILURE)  # training's own check: key, label, request and feature columns
    assert data.num_rows == len(table(lake, "dev.gold.machine_failure_labels"))
    data = data.sort_by([("event_timestamp", "ascending"), ("machine_day_id", "ascending")])
    x, y = machine_request_features(to_model_input(data, MACHINE_FAILURE)), labels(data).to_numpy()
    text = [c for c in x.columns if x[c].dtype == object]
    x[text] = x[text].apply(lambda c: c.astype("category").cat.codes)
    cut = int(len(x) * 0.7)
    model = HistGradientBoostingClassifier(max_iter=150, learning_rate=0.05, random_state=0).fit(x[:cut], y[:cut])
    assert roc_auc_score(y[cut:], model.predict_proba(x[cut:])[:, 1]) > 0.7


def test_lineage_runs_from_the_training_set_to_the_landed_sensor_files(built):
    home, _, _, lake = built
    node = trace(lake, TRAINING_SET, lake.version(TRAINING_SET))
    bronze = {}

    def walk(n):
        if n.table.startswith("dev.bronze."):
            bronze[n.table] = n
        for i in n.inputs:
            walk(i)

    walk(node)
    assert set(bronze) == {f"dev.bronze.{s}" for s in SOURCES}
    files = bronze["dev.bronze.sensor_readings"].files
    # 11 weekly files (75 days), the truncated re-export and the header-only file; the unreadable two are rejected
    assert len(files) == 13 and sum(f["path"].startswith("sensor_readings/sensor_readings_000") for f in files) == 11
    for f in files:
        landed = home / "landing" / f["path"]
        assert f["content_hash"] == hashlib.sha256(landed.read_bytes()).hexdigest()
    via_points = next(i for i in node.inputs if i.table == "dev.gold.machine_days")
    assert {i.table for i in via_points.inputs} == {"dev.silver.sensor_readings", "dev.silver.machines"}


def test_a_derived_table_that_breaks_its_contract_keeps_its_version(built, spark):
    _, _, _, lake = built
    before = lake.version("dev.gold.machine_days")

    def wrong_plant(tables):
        return gold.machine_days(tables).withColumn("plant", F.lit("atlantis"))

    with pytest.raises(ContractViolation, match=r"dev.gold.machine_days: data contract violated \(column plant: isin"):
        build_derived(spark, lake, "dev", dataclasses.replace(gold.MACHINE_DAYS, transformation=wrong_plant))
    assert lake.version("dev.gold.machine_days") == before
