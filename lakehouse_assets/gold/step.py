"""Gold's `dbt build` as a Databricks step (engine kind `databricks`; docs/decisions/0037): both
sides of the step `lakehouse.dbt_gold`.

The orchestrator resolves the silver versions to read (a missing silver table fails before any
cluster starts, as locally) and dagster-dbt's selection for the Dagster subset. Inside the task,
dagster-dbt's `DbtCliResource` runs `dbt build` on a copy of the wheel's dbt project against the
cluster's Spark (dbt-spark's `session` method: `SparkSession.builder.getOrCreate()`, which is
Spark Connect where `SPARK_REMOTE` is set); dagster-dbt's own event translation, with the manifest
this build wrote, turns each model's result into a materialization and each test into a check, with
the local run's metadata keys plus the gold lineage of run.py. The task never parses the project
twice and ships no manifest: dbt writes one into the run's target folder.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DbtProject
# what DbtCliResource.cli(context=...) selects (dagster-dbt 0.29.27's asset_utils: recheck on upgrade)
from dagster_dbt.asset_utils import (
    DAGSTER_DBT_EXCLUDE_METADATA_KEY,
    DAGSTER_DBT_SELECT_METADATA_KEY,
    DAGSTER_DBT_SELECTOR_METADATA_KEY,
    get_subset_selection_for_context,
)

from lakegate.lake import Lake
from lakegate.steps import StepCheck, StepResult
from lakehouse_assets.gold.resources import DBT_PROJECT_DIR, make_dbt_resource
from lakehouse_assets.gold.run import (
    GoldRunInputs,
    dbt_process_environment,
    gold_materialization_metadata,
    gold_models,
    silver_inputs_of,
)
from lakehouse_assets.gold.translator import LakegateDbtTranslator

INDIRECT_SELECTION_ENV = "DBT_INDIRECT_SELECTION"
FAILED_STATUSES = {"error", "fail", "runtime error"}


class GoldBuildFailed(RuntimeError):
    """dbt build failed in the task: a model errored or an error-severity test failed."""


def gold_step_parameters(context: dg.AssetExecutionContext, manifest: dict, inputs: GoldRunInputs) -> dict:
    """What the task is told: the pinned silver versions, the gold tables that exist, and the dbt
    selection (and indirect selection) dagster-dbt would use for this Dagster subset."""
    selection, indirect = get_subset_selection_for_context(
        context=context, manifest=manifest, select=context.op.tags.get(DAGSTER_DBT_SELECT_METADATA_KEY),
        exclude=context.op.tags.get(DAGSTER_DBT_EXCLUDE_METADATA_KEY),
        selector=context.op.tags.get(DAGSTER_DBT_SELECTOR_METADATA_KEY),
        dagster_dbt_translator=LakegateDbtTranslator(), current_dbt_indirect_selection_env=None)
    return {"silver_versions": inputs.silver_versions, "gold_tables": list(inputs.gold_tables),
            "dbt_arguments": selection, "indirect_selection": indirect,
            "checks": sorted(key.to_user_string() for key in context.selected_asset_check_keys)}


def _plain(metadata: dict[str, Any]) -> dict[str, Any]:
    """Metadata values as the plain JSON values a step reports (lakegate/steps.py)."""
    return {key: value.value if isinstance(value, dg.MetadataValue) else value for key, value in metadata.items()}


def _failure_summary(invocation) -> str:
    """The failed models and tests from run_results.json, or dbt's own error when it wrote none."""
    try:
        results = invocation.get_artifact("run_results.json").get("results", [])
    except OSError:
        results = []
    failed = [f"{r['unique_id']}: {r['status']} ({r.get('message') or 'no message'})"
              for r in results if str(r.get("status")).lower() in FAILED_STATUSES]
    return "; ".join(failed) or str(invocation.get_error())


def build_gold(lake: Lake, catalog: str, parameters: dict) -> StepResult:
    """Runs `dbt build` in this process' environment (a Databricks task) and returns its results."""
    inputs = GoldRunInputs(spark_remote=os.environ.get("SPARK_REMOTE", ""), lake_root=str(lake.root.resolve()),
                           catalog=catalog, silver_versions=parameters["silver_versions"],
                           gold_tables=tuple(parameters["gold_tables"]))
    environment = inputs.env()
    if parameters["indirect_selection"]:
        environment[INDIRECT_SELECTION_ENV] = parameters["indirect_selection"]
    with tempfile.TemporaryDirectory(prefix="lakegate-dbt-") as folder:
        # a copy: the wheel's folder may be read-only, and dbt writes target/ and logs/ beside its project
        project_dir = Path(shutil.copytree(DBT_PROJECT_DIR, Path(folder) / "dbt_project",
                                           ignore=shutil.ignore_patterns("target", "logs")))
        dbt = make_dbt_resource(DbtProject(project_dir=project_dir, profiles_dir=project_dir))
        with dbt_process_environment(environment):
            invocation = dbt.cli(["build", *parameters["dbt_arguments"]], raise_on_error=False)
        events = list(invocation.stream_raw_events())
        if not invocation.is_successful():
            raise GoldBuildFailed(f"dbt build failed: {_failure_summary(invocation)}")
        manifest = json.loads((invocation.target_path / "manifest.json").read_text())
    return _step_result(events, manifest, inputs, lake, set(parameters["checks"]))


def _step_result(events: list, manifest: dict, inputs: GoldRunInputs, lake: Lake, checks: set[str]) -> StepResult:
    translator = LakegateDbtTranslator()
    uids = {model: uid for uid, model in gold_models(manifest).items()}
    materialized: dict[str, dict] = {}
    results: list[StepCheck] = []
    for event in events:
        for dagster_event in event.to_default_asset_events(manifest=manifest, dagster_dbt_translator=translator):
            if isinstance(dagster_event, dg.AssetMaterialization):
                model = dagster_event.asset_key.path[-1]
                gold = gold_materialization_metadata(inputs, lake, model, silver_inputs_of(manifest, uids[model]))
                materialized[dagster_event.asset_key.to_user_string()] = _plain({**dagster_event.metadata, **gold})
            elif isinstance(dagster_event, dg.AssetCheckEvaluation):
                key = dagster_event.asset_check_key
                if key.to_user_string() in checks:  # dbt's indirect selection may run others: observations locally
                    results.append(StepCheck(key.name, dagster_event.passed, dagster_event.severity.value,
                                             _plain(dagster_event.metadata), key.asset_key.to_user_string()))
    if not materialized:
        raise GoldBuildFailed("dbt build materialized no gold model (a checks-only run is not supported on Databricks)")
    first, *others = sorted(materialized)
    return StepResult(materialized[first], tuple(results), asset=first,
                      other_assets={asset: materialized[asset] for asset in others},
                      messages=(f"dbt build on {inputs.catalog} (lake {inputs.lake_root}), "
                                f"silver versions {inputs.silver_versions}",))
