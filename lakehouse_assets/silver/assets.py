"""Silver assets: typed, deduplicated, pseudonymized tables, each with its quarantine table.

Each expectation's counts are an asset check on the silver table (WARN: the action already
handled the rows). A fail-action expectation stops the materialization before anything is written.
Row conservation is a blocking ERROR check: bronze = silver + quarantined + superseded. The
table's data contract is its column schema in the UI, and is checked before anything is written:
a violation fails the materialization and both tables keep their previous versions.
"""


import time

import dagster as dg

from lakegate.engine import SparkEngine
from lakegate.lake import LakeResource, lineage_metadata
from lakegate.platform import Platform
from lakehouse_assets.bronze.assets import OWNERS, bronze_key
from lakehouse_assets.contracts import ContractViolation, table_schema
from lakehouse_assets.expectations import ExpectationFailed
from lakehouse_assets.silver.build import SilverResult, build_silver
from lakehouse_assets.silver.table import SilverTable
from lakehouse_assets.silver.tables import SILVER_TABLES

SILVER_ROW_CONSERVATION = "silver_row_conservation"
QUARANTINE_SHARE = "quarantine_share_within_policy"


def expectation_check_name(expectation_name: str) -> str:
    return f"expect_{expectation_name}"


def _check_specs(table: SilverTable, key: dg.AssetKey) -> list[dg.AssetCheckSpec]:
    specs = [
        dg.AssetCheckSpec(
            expectation_check_name(e.name),
            asset=key,
            description=f"[{e.action}] {e.sql}",
            blocking=e.action == "fail",
        )
        for e in table.expectations
    ]
    specs.append(dg.AssetCheckSpec(SILVER_ROW_CONSERVATION, asset=key, blocking=True, description="bronze rows = silver + quarantined + superseded duplicates"))
    specs.append(dg.AssetCheckSpec(QUARANTINE_SHARE, asset=key, description="share of bronze rows quarantined is within the environment's policy"))
    return specs


def _check_results(table: SilverTable, key: dg.AssetKey, result: SilverResult, max_share: float):
    for r in result.expectations:
        e = r.expectation
        yield dg.AssetCheckResult(
            asset_key=key,
            check_name=expectation_check_name(e.name),
            passed=r.failed_rows == 0,
            severity=dg.AssetCheckSeverity.ERROR if e.action == "fail" else dg.AssetCheckSeverity.WARN,
            metadata={"action": e.action, "expression": e.sql, "failed_rows": r.failed_rows, "total_rows": r.total_rows},
        )
    accounted = result.silver_rows + result.quarantined_rows + result.superseded_rows
    yield dg.AssetCheckResult(
        asset_key=key,
        check_name=SILVER_ROW_CONSERVATION,
        passed=accounted == result.bronze_rows,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "bronze_rows": result.bronze_rows,
            "silver_rows": result.silver_rows,
            "quarantined_rows": result.quarantined_rows,
            "superseded_rows": result.superseded_rows,
        },
    )
    share = result.quarantined_rows / result.bronze_rows if result.bronze_rows else 0.0
    yield dg.AssetCheckResult(
        asset_key=key,
        check_name=QUARANTINE_SHARE,
        passed=share <= max_share,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"quarantine_share": round(share, 5), "max_quarantine_share": max_share},
    )


def build_silver_asset(table: SilverTable) -> dg.AssetsDefinition:
    silver_key = dg.AssetKey(["silver", table.name])
    quarantine_key = dg.AssetKey(["quarantine", table.name])

    @dg.multi_asset(
        name=f"silver_{table.name}",
        specs=[
            dg.AssetSpec(
                silver_key,
                deps=[bronze_key(table.name)],
                description=table.description,
                group_name="silver",
                kinds={"delta", "spark"},
                owners=OWNERS,
                tags={"layer": "silver", "pii": "pseudonymized"},
                metadata={"dagster/column_schema": table_schema(table.columns, unique=table.key)},
                automation_condition=dg.AutomationCondition.eager(),
            ),
            dg.AssetSpec(
                quarantine_key,
                deps=[bronze_key(table.name)],
                description=f"{table.name} rows dropped by expectations, as landed but with personal data minimized "
                "as in silver (raw personal columns replaced by their silver forms, such as keyed tokens and age "
                "bands), with the names of every expectation each failed. The raw row stays in bronze "
                "(_source_file, _row_number).",
                group_name="silver",
                kinds={"delta", "spark"},
                owners=OWNERS,
                tags={"layer": "quarantine", "pii": "pseudonymized"},
                automation_condition=dg.AutomationCondition.eager(),
            ),
        ],
        check_specs=_check_specs(table, silver_key),
    )
    def _asset(context: dg.AssetExecutionContext, platform: Platform, lake: LakeResource, spark: SparkEngine):
        started = time.perf_counter()
        try:
            result = build_silver(spark.session(), lake.lake(), lake.catalog, table, platform.pii_hmac_key())
        except ExpectationFailed as exc:
            raise dg.Failure(description=str(exc), metadata={"failed_expectations": dg.MetadataValue.json(exc.failures)}) from None
        except ContractViolation as exc:
            raise exc.failure() from None
        seconds = round(time.perf_counter() - started, 3)
        if result.healed_torn_pair:
            context.log.warning(f"{table.name}: silver and quarantine were from different builds (a run died "
                                "between their commits); both rewritten from one bronze version")
        silver_name, quarantine_name = lake.name("silver", table.name), lake.name("quarantine", table.name)
        read = {lake.name("bronze", table.name): result.bronze_version}
        yield dg.MaterializeResult(
            asset_key=silver_key,
            metadata={
                "dagster/table_name": dg.MetadataValue.text(silver_name),
                "dagster/row_count": dg.MetadataValue.int(result.silver_rows),
                "bronze_rows": result.bronze_rows,
                "superseded_rows": result.superseded_rows,
                "healed_torn_pair": dg.MetadataValue.bool(result.healed_torn_pair),
                "seconds": dg.MetadataValue.float(seconds),
                **lineage_metadata({silver_name: result.silver_version}, read),
            },
        )
        yield dg.MaterializeResult(
            asset_key=quarantine_key,
            metadata={
                "dagster/table_name": dg.MetadataValue.text(quarantine_name),
                "dagster/row_count": dg.MetadataValue.int(result.quarantined_rows),
                **lineage_metadata({quarantine_name: result.quarantine_version}, read),
            },
        )
        yield from _check_results(table, silver_key, result, platform.env().expectations.max_quarantine_share)

    return _asset


silver_assets = [build_silver_asset(t) for t in SILVER_TABLES.values()]
