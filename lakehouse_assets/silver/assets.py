"""Silver assets: typed, deduplicated, pseudonymized tables, each with its quarantine table.

Each expectation's counts are an asset check on the silver table (WARN: the action already
handled the rows). A fail-action expectation stops the materialization before anything is written.
Row conservation is a blocking ERROR check: bronze = silver + quarantined + superseded. The
table's data contract is its column schema in the UI, and is checked before anything is written:
a violation fails the materialization and both tables keep their previous versions.
"""

import dagster as dg

from lakegate.cost.estimate import declared_estimate
from lakegate.engine import SparkEngine
from lakegate.lake_resource import LakeResource
from lakegate.platform import Platform
from lakehouse_assets.bronze.assets import OWNERS, bronze_key
from lakehouse_assets.contracts import ContractViolation, table_schema
from lakehouse_assets.expectations import ExpectationFailed
from lakehouse_assets.silver.checks import QUARANTINE_SHARE, SILVER_ROW_CONSERVATION, expectation_check_name
from lakehouse_assets.silver.table import SilverTable
from lakehouse_assets.silver.tables import SILVER_TABLES
from lakehouse_assets.steps import SILVER_SECONDS, SILVER_TABLE

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
                metadata={"dagster/column_schema": table_schema(table.columns, unique=table.key),
                          **declared_estimate(SILVER_SECONDS)},
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
        env = platform.env()
        # a Databricks task gets the key from the cluster's secret-backed variable, never a generated one
        pii = {"hmac_key_env": env.pii.hmac_key_env, "home": str(platform.home_path),
               "allow_generated_key": env.pii.allow_generated_key and spark.in_process}
        parameters = {"table": table.name, "pii": pii, "max_quarantine_share": env.expectations.max_quarantine_share,
                      "assets": {"silver": silver_key.to_user_string(), "quarantine": quarantine_key.to_user_string()}}
        try:
            yield from spark.run_step(context, lake, SILVER_TABLE, parameters)
        except ExpectationFailed as exc:  # in process; in a Databricks task these are the task's error
            raise dg.Failure(description=str(exc), metadata={"failed_expectations": dg.MetadataValue.json(exc.failures)}) from None
        except ContractViolation as exc:
            raise exc.failure() from None

    return _asset


silver_assets = [build_silver_asset(t) for t in SILVER_TABLES.values()]
