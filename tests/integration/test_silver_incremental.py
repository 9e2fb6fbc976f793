"""Incremental silver (decision 0042): a build after new bronze rows writes what a full build writes."""

import datetime as dt
import shutil

import pyarrow as pa
import pytest

from lakegate.lake import Lake
from lakehouse_assets.bronze.ingest import ingest_source
from lakehouse_assets.silver.build import build_silver
from lakehouse_assets.silver.tables import SILVER_TABLES
from lakehouse_assets.sources import SOURCES
from tests.integration.landing import claim, land

pytestmark = pytest.mark.integration
KEY = b"test-key-0123456789abcdef"
NOW = dt.datetime(2026, 3, 1, 12, tzinfo=dt.timezone.utc)


def ingest(home, lake):
    ingest_source(lake, "dev", SOURCES["claims"], home / "landing", home / "rejected")


def build(lake, spark, now=NOW):
    return build_silver(spark, lake, "dev", SILVER_TABLES["claims"], KEY, now=now)


def tables(lake):
    silver = sorted(lake.read_arrow("dev.silver.claims").to_pylist(), key=lambda r: r["claim_id"])
    quarantine = lake.read_arrow("dev.quarantine.claims").drop(["quarantined_at"]).to_pylist()
    return silver, sorted(quarantine, key=lambda r: (r["_source_file"], r["_row_number"]))


def counts(result):
    return (result.bronze_rows, result.silver_rows, result.quarantined_rows, result.superseded_rows,
            {r.expectation.name: (r.failed_rows, r.total_rows) for r in result.expectations})


def land_first(home):
    land(home, "claims", "a.csv", [
        claim("C1", amount="100.00", updated_at="2026-01-15 09:00:00"),
        claim("C2", amount="200.00", updated_at="2026-01-20 09:00:00"),
        claim("C3", amount="300.00", updated_at="2026-01-20 09:00:00"),
        claim("C4", amount="-4"),  # dropped
        claim("C5", amount="50.00"), claim("C5", amount="55.00", updated_at="2026-01-16 09:00:00"),
    ])


def land_second(home):
    land(home, "claims", "b.csv", [
        claim("C1", amount="110.00", updated_at="2026-02-01 09:00:00"),  # newer: replaces
        claim("C2", amount="190.00", updated_at="2026-01-10 09:00:00"),  # older: superseded itself
        claim("C3", amount="333.00", updated_at="2026-01-20 09:00:00"),  # same time, later arrival: replaces
        claim("C6", amount="60.00"), claim("C6", amount="66.00", updated_at="2026-02-02 09:00:00"),  # new key twice
        claim("C7", amount="abc"),  # dropped
    ])


def test_a_build_after_new_rows_evaluates_only_them_and_equals_a_full_build(home, spark, tmp_path):
    lake = Lake(home / "lake")
    land_first(home)
    ingest(home, lake)
    assert not build(lake, spark).incremental
    land_second(home)
    ingest(home, lake)
    incremental = build(lake, spark)
    assert incremental.incremental

    full_home = tmp_path / "full"
    shutil.copytree(home / "landing", full_home / "landing")
    full_lake = Lake(full_home / "lake")
    ingest(full_home, full_lake)
    full = build(full_lake, spark)
    assert not full.incremental
    assert counts(incremental) == counts(full)
    assert incremental.bronze_rows == 12 and incremental.quarantined_rows == 2
    assert incremental.silver_rows + incremental.quarantined_rows + incremental.superseded_rows == 12
    silver, quarantine = tables(lake)
    assert (silver, [{**q, "_ingested_at": None} for q in quarantine]) == (
        tables(full_lake)[0], [{**q, "_ingested_at": None} for q in tables(full_lake)[1]])
    amounts = {r["claim_id"]: r["amount"] for r in silver}
    assert amounts == {"C1": 110.0, "C2": 200.0, "C3": 333.0, "C5": 55.0, "C6": 66.0}


def test_unchanged_bronze_writes_nothing_and_reports_the_same_counts(home, spark):
    lake = Lake(home / "lake")
    land_first(home)
    ingest(home, lake)
    first = build(lake, spark)
    again = build(lake, spark)
    assert again.incremental and counts(again) == counts(first)
    assert (again.silver_version, again.quarantine_version) == (first.silver_version, first.quarantine_version)


def test_a_new_day_rebuilds_from_every_row(home, spark):
    lake = Lake(home / "lake")
    land_first(home)
    ingest(home, lake)
    build(lake, spark)
    next_day = build(lake, spark, now=NOW + dt.timedelta(days=1))
    assert not next_day.incremental and next_day.silver_version == 1


def test_rows_that_did_not_arrive_after_the_last_build_force_a_full_build(home, spark):
    lake = Lake(home / "lake")
    land_first(home)
    ingest(home, lake)
    first = build(lake, spark)
    # An appended row stamped as ingested before the previous build's rows: not "after" them.
    bronze = lake.read_arrow("dev.bronze.claims")
    early = bronze.slice(0, 1)
    early = early.set_column(early.schema.get_field_index("_ingested_at"), "_ingested_at",
                             pa.array([dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)], early.schema.field("_ingested_at").type))
    early = early.set_column(early.schema.get_field_index("_source_file"), "_source_file", pa.array(["claims/late.csv"]))
    lake.write_arrow("dev.bronze.claims", early)
    rebuilt = build(lake, spark)
    assert not rebuilt.incremental
    assert rebuilt.bronze_rows == first.bronze_rows + 1 and rebuilt.superseded_rows == first.superseded_rows + 1
