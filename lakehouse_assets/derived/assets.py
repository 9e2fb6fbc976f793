"""Derived gold assets: one per declared table, materialized when its sources change."""

import time

import dagster as dg

from lakegate.engine import SparkEngine
from lakegate.lake import LakeResource, lineage_metadata
from lakehouse_assets.contracts import ContractViolation, table_schema
from lakehouse_assets.derived.build import SourceMissing, build_derived
from lakehouse_assets.derived.table import GOLD_SCHEMA, DerivedTable
from lakehouse_assets.derived.tables import DERIVED_TABLES


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
        metadata={"dagster/column_schema": table_schema(table.columns, unique=table.key)},
        automation_condition=dg.AutomationCondition.eager() & dg.AutomationCondition.all_deps_blocking_checks_passed(),
    )
    def _asset(lake: LakeResource, spark: SparkEngine) -> dg.MaterializeResult:
        started = time.perf_counter()
        try:
            result = build_derived(spark.session(), lake.lake(), lake.catalog, table)
        except SourceMissing as exc:
            raise dg.Failure(description=str(exc)) from None
        except ContractViolation as exc:
            raise exc.failure() from None
        return dg.MaterializeResult(
            metadata={
                "dagster/table_name": dg.MetadataValue.text(result.table),
                "dagster/row_count": dg.MetadataValue.int(result.rows),
                "seconds": dg.MetadataValue.float(round(time.perf_counter() - started, 3)),
                **lineage_metadata({result.table: result.version}, result.inputs),
            }
        )

    return _asset


derived_assets = [build_derived_asset(t) for t in DERIVED_TABLES.values()]
