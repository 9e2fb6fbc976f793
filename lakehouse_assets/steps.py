"""The lakehouse's Spark steps (lakegate/steps.py), by name, registered on import: what the derived gold
assets run, in process or as a Databricks task."""

from __future__ import annotations

from pyspark.sql import SparkSession

from lakegate.lake import Lake, lineage_metadata
from lakegate.steps import StepResult, step
from lakehouse_assets.derived.build import build_derived
from lakehouse_assets.derived.tables import DERIVED_TABLES

DERIVED_TABLE = "lakehouse.derived_table"


@step(DERIVED_TABLE)
def derived_table(spark: SparkSession, lake: Lake, catalog: str, parameters: dict) -> StepResult:
    """Builds the derived gold table `parameters["table"]` (a DERIVED_TABLES name)."""
    result = build_derived(spark, lake, catalog, DERIVED_TABLES[parameters["table"]])
    return StepResult({"dagster/table_name": result.table, "dagster/row_count": result.rows,
                       **lineage_metadata({result.table: result.version}, result.inputs)})
