"""Derived gold assets: one per declared table, materialized when its sources change."""

import dagster as dg

from lakegate.cost.estimate import declared_estimate
from lakegate.engine import SparkEngine
from lakegate.lake_resource import LakeResource
from lakehouse_assets.contracts import ContractViolation, table_schema
from lakehouse_assets.derived.build import SourceMissing
from lakehouse_assets.derived.table import GOLD_SCHEMA, DerivedTable
from lakehouse_assets.derived.tables import DERIVED_TABLES
from lakehouse_assets.steps import DERIVED_SECONDS, DERIVED_TABLE


def derived_key(table: DerivedTable) -> dg.AssetKey:
    return dg.AssetKey([GOLD_SCHEMA, table.name])


def build_derived_asset(table: DerivedTable) -> dg.AssetsDefinition:
    @dg.asset(
        key=derived_key(table),
        deps=[dg.AssetKey(source.split(".")) for source in table.sources],
        description=table.description,
        group_name="gold",
        kinds={"delta", "spark"},
        owners=[table.owner],
        tags={"layer": "gold"},
        metadata={"dagster/column_schema": table_schema(table.columns, unique=table.key),
                  **declared_estimate(DERIVED_SECONDS)},
        automation_condition=dg.AutomationCondition.eager() & dg.AutomationCondition.all_deps_blocking_checks_passed(),
    )
    def _asset(context: dg.AssetExecutionContext, lake: LakeResource, spark: SparkEngine):
        try:
            yield from spark.run_step(context, lake, DERIVED_TABLE, {"table": table.name})
        except SourceMissing as exc:  # in process; in a Databricks task these are the task's error
            raise dg.Failure(description=str(exc)) from None
        except ContractViolation as exc:
            raise exc.failure() from None

    return _asset


derived_assets = [build_derived_asset(t) for t in DERIVED_TABLES.values()]
