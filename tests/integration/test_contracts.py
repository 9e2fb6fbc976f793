"""Data contracts on the real engine: a silver build whose rows break the table's contract writes
nothing (silver and quarantine keep their versions), and says which table, column and rule."""

import dataclasses

import dagster as dg
import pytest
from pyspark.sql import functions as F

from lakegate.engine import SparkEngine
from lakegate.lake import Lake
from lakegate.lake_resource import LakeResource
from lakegate.platform import Platform
from lakehouse_assets.bronze.ingest import ingest_source
from lakehouse_assets.contracts import ContractViolation
from lakehouse_assets.expectations import Expectation
from lakehouse_assets.silver.assets import build_silver_asset
from lakehouse_assets.silver.build import build_silver
from lakehouse_assets.silver.tables import SILVER_TABLES
from lakehouse_assets.sources import SOURCES
from tests.integration.landing import claim, land, member

pytestmark = pytest.mark.integration
KEY = b"test-key-0123456789abcdef"
CLAIMS = SILVER_TABLES["claims"]


def build(home, spark, table=CLAIMS):
    lake = Lake(home / "lake")
    ingest_source(lake, "dev", SOURCES["claims"], home / "landing", home / "rejected")
    return build_silver(spark, lake, "dev", table, KEY), lake


def versions(lake):
    return lake.version("dev.silver.claims"), lake.version("dev.quarantine.claims")


def days_as_text(bronze, source, key):
    """A conform bug of the kind neither the engine nor Delta refuses: a number written as text."""
    return CLAIMS.conform(bronze, source, key).withColumn("days_to_submit", F.col("days_to_submit").cast("string"))


def test_a_wrong_type_stops_the_write_and_both_tables_keep_their_version(home, spark):
    land(home, "claims", "a.csv", [claim("C1"), claim("C2", amount="-3")])
    first, lake = build(home, spark)
    before = (versions(lake), lake.read_arrow("dev.silver.claims").to_pylist())
    land(home, "claims", "b.csv", [claim("C3")])
    with pytest.raises(ContractViolation) as raised:
        build(home, spark, dataclasses.replace(CLAIMS, conform=days_as_text))
    message = str(raised.value)
    assert message.startswith("dev.silver.claims: data contract violated (column days_to_submit: dtype('LongType()')")
    assert "expected column 'days_to_submit' to have type LongType(), got StringType()" in message
    assert message.endswith("nothing was written")
    assert (versions(lake), lake.read_arrow("dev.silver.claims").to_pylist()) == before


def test_a_row_outside_the_contract_stops_the_write(home, spark):
    """The expectation that kept negative amounts out is relaxed to warn: the contract still holds."""
    relaxed = tuple(dataclasses.replace(e, action="warn") if e.name == "amount_non_negative" else e
                    for e in CLAIMS.expectations)
    land(home, "claims", "a.csv", [claim("C1"), claim("C2", amount="-3")])
    with pytest.raises(ContractViolation) as raised:
        build(home, spark, dataclasses.replace(CLAIMS, expectations=relaxed))
    assert [(v.column, v.rule) for v in raised.value.violations] == [
        ("amount", "greater_than_or_equal_to(0) (dataframe_check)")]
    assert not Lake(home / "lake").exists("dev.silver.claims")


def test_missing_keys_and_unknown_codes_are_named(home, spark):
    """Without the expectations that drop them, each defect meets its contract rule."""
    members = SILVER_TABLES["members"]
    land(home, "members", "m.csv", [member("M1"), member("", region="atlantis")])
    lake = Lake(home / "lake")
    ingest_source(lake, "dev", SOURCES["members"], home / "landing", home / "rejected")
    no_drops = dataclasses.replace(members, expectations=(Expectation("always", "true", "warn"),))
    with pytest.raises(ContractViolation) as raised:
        build_silver(spark, lake, "dev", no_drops, KEY)
    assert {(v.column, v.rule) for v in raised.value.violations} == {
        ("member_token", "not_nullable (series_contains_nulls)"),
        ("region", "isin(['north', 'south', 'east', 'west', 'central']) (dataframe_check)"),
    }


def test_the_silver_asset_fails_with_the_violations_and_materializes_nothing(home, spark, monkeypatch):
    land(home, "claims", "a.csv", [claim("C1")])
    ingest_source(Lake(home / "lake"), "dev", SOURCES["claims"], home / "landing", home / "rejected")
    broken = dataclasses.replace(CLAIMS, conform=days_as_text)
    monkeypatch.setitem(SILVER_TABLES, "claims", broken)  # the silver step finds its table by name
    asset = build_silver_asset(broken)
    result = dg.materialize([asset], resources={"platform": Platform(), "lake": LakeResource(platform=Platform()), "spark": SparkEngine()},
                            raise_on_error=False)
    assert not result.success and not result.get_asset_materialization_events()
    failure = next(e for e in result.all_events if e.is_step_failure).step_failure_data.user_failure_data
    assert "dev.silver.claims: data contract violated" in failure.description
    assert failure.metadata["contract_violations"].value[0]["column"] == "days_to_submit"
