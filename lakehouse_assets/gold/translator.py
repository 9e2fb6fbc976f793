"""How dbt nodes of the gold project become Dagster assets and checks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtProject

from lakegate.cost.estimate import declared_estimate

GOLD_GROUP = "gold"
GOLD_KINDS = {"dbt", "spark", "delta"}
# How long one `dbt build` job run of gold is declared to take before it has history (docs/cost.md).
GOLD_SECONDS = 600


class LakegateDbtTranslator(DagsterDbtTranslator):
    """dbt source `silver.<table>` is the asset ["silver", <table>]; model <m> is ["gold", <m>].

    Models are in group "gold" with kinds dbt, spark and delta; dbt tests are asset checks
    (error-severity tests are blocking checks with ERROR severity). A gold model is materialized
    automatically once its silver inputs have been updated and their blocking checks passed.
    """

    def __init__(self, settings: DagsterDbtTranslatorSettings | None = None):
        super().__init__(settings or DagsterDbtTranslatorSettings(enable_asset_checks=True))

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        return dg.AssetKey([GOLD_GROUP, dbt_resource_props.get("alias") or dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return GOLD_GROUP if dbt_resource_props["resource_type"] == "model" else None

    def get_automation_condition(
        self, dbt_resource_props: Mapping[str, Any]
    ) -> dg.AutomationCondition | None:
        if dbt_resource_props["resource_type"] != "model":
            return None
        return dg.AutomationCondition.eager() & dg.AutomationCondition.all_deps_blocking_checks_passed()

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        if unique_id.startswith("model."):
            # dagster-dbt already gives {"dbt", <adapter type>}: spark here.
            spec = spec.merge_attributes(kinds=GOLD_KINDS - set(spec.kinds), metadata=declared_estimate(GOLD_SECONDS))
        return spec
