"""The lakehouse's Spark steps (lakegate/steps.py), by name, registered on import: what the silver,
derived gold and (on Databricks) dbt gold assets run, in process or as a Databricks task."""

from __future__ import annotations

from pathlib import Path

from pyspark.sql import SparkSession

from lakegate.environment import PiiConfig
from lakegate.lake import Lake, TableName, lineage_metadata
from lakegate.pii import resolve_hmac_key
from lakegate.steps import StepResult, step
from lakehouse_assets.derived.build import build_derived
from lakehouse_assets.derived.tables import DERIVED_TABLES
from lakehouse_assets.silver.build import build_silver
from lakehouse_assets.silver.checks import silver_checks
from lakehouse_assets.silver.tables import SILVER_TABLES

DERIVED_TABLE = "lakehouse.derived_table"
DBT_GOLD = "lakehouse.dbt_gold"
SILVER_TABLE = "lakehouse.silver_table"
# How long each step's job run is declared to take before it has history (the cost estimate's
# fallback, docs/cost.md): a small job cluster, a day of claims.
DERIVED_SECONDS, SILVER_SECONDS = 300, 600


@step(SILVER_TABLE)
def silver_table(spark: SparkSession, lake: Lake, catalog: str, parameters: dict) -> StepResult:
    """Bronze → silver and quarantine of `parameters["table"]` (the assets `parameters["assets"]`), with
    the expectation, conservation and quarantine-share checks; the PII key as `parameters["pii"]` says."""
    pii = parameters["pii"]
    key = resolve_hmac_key(PiiConfig(hmac_key_env=pii["hmac_key_env"], allow_generated_key=pii["allow_generated_key"]),
                           Path(pii["home"]))
    table = SILVER_TABLES[parameters["table"]]
    result = build_silver(spark, lake, catalog, table, key)
    names = {layer: str(TableName(catalog, layer, table.name)) for layer in ("bronze", "silver", "quarantine")}
    read = {names["bronze"]: result.bronze_version}
    warnings = (f"{table.name}: silver and quarantine were from different builds (a run died between their "
                "commits); both rewritten from one bronze version",) if result.healed_torn_pair else ()
    return StepResult(
        {"dagster/table_name": names["silver"], "dagster/row_count": result.silver_rows,
         "bronze_rows": result.bronze_rows, "superseded_rows": result.superseded_rows,
         "healed_torn_pair": result.healed_torn_pair, **lineage_metadata({names["silver"]: result.silver_version}, read)},
        checks=silver_checks(result, parameters["max_quarantine_share"]), warnings=warnings, asset=parameters["assets"]["silver"],
        other_assets={parameters["assets"]["quarantine"]: {
            "dagster/table_name": names["quarantine"], "dagster/row_count": result.quarantined_rows,
            **lineage_metadata({names["quarantine"]: result.quarantine_version}, read)}})


@step(DERIVED_TABLE)
def derived_table(spark: SparkSession, lake: Lake, catalog: str, parameters: dict) -> StepResult:
    """Builds the derived gold table `parameters["table"]` (a DERIVED_TABLES name)."""
    result = build_derived(spark, lake, catalog, DERIVED_TABLES[parameters["table"]])
    return StepResult({"dagster/table_name": result.table, "dagster/row_count": result.rows,
                       **lineage_metadata({result.table: result.version}, result.inputs)})


@step(DBT_GOLD)
def dbt_gold(spark: SparkSession, lake: Lake, catalog: str, parameters: dict) -> StepResult:
    """`dbt build` of the gold project inside a Databricks task (lakehouse_assets/gold/step.py); dbt opens
    the cluster's Spark session itself, so `spark` is unused."""
    # imported here, not at the top: dagster-dbt takes 1.5 s to import, which every other step's task
    # would pay at its start
    from lakehouse_assets.gold.step import build_gold

    return build_gold(lake, catalog, parameters)
