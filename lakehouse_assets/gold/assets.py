"""The gold layer: dbt models over silver, run by dagster-dbt on the environment's Spark engine."""


import json
from collections.abc import Iterator
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from lakegate.engine import SparkEngine
from lakegate.lake_resource import LakeResource
from lakehouse_assets.gold.project import GOLD_DBT_PROJECT
from lakehouse_assets.gold.run import (
    GoldRunInputs,
    dbt_process_environment,
    gold_materialization_metadata,
    gold_models,
    prune_run_dirs,
    silver_inputs_of,
)
from lakehouse_assets.gold.step import gold_step_parameters
from lakehouse_assets.steps import DBT_GOLD
from lakehouse_assets.gold.translator import LakegateDbtTranslator

GOLD_MANIFEST: dict[str, Any] = json.loads(GOLD_DBT_PROJECT.manifest_path.read_text())
GOLD_TRANSLATOR = LakegateDbtTranslator()

# Gold model -> the silver tables it reads (from the dbt graph).
_MODEL_INPUTS = {
    model: silver_inputs_of(GOLD_MANIFEST, uid) for uid, model in gold_models(GOLD_MANIFEST).items()
}


@dbt_assets(
    manifest=GOLD_MANIFEST,
    project=GOLD_DBT_PROJECT,
    dagster_dbt_translator=GOLD_TRANSLATOR,
    name="gold_dbt_assets",
)
def gold_dbt_assets(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    spark: SparkEngine,
    lake: LakeResource,
) -> Iterator[Any]:
    """Gold tables of the dbt project, built by `dbt build` (models, then their tests); what each
    model means is its description in the project (models/gold/gold.yml), shown on its asset.
    On engine kind `databricks` the same build runs as a job run (step.py).

    No gold column holds personal data. Each gold table is the Delta table <catalog>.gold.<model>;
    its materialization records the Delta version written and the silver versions read, which dbt
    reads pinned (time travel) to exactly those versions.
    """
    the_lake = lake.lake()
    needed = {t for key in context.selected_asset_keys for t in _MODEL_INPUTS[key.path[-1]]}
    if not spark.in_process:  # a Databricks job run of the same dbt build (step.py); the task's results
        inputs = GoldRunInputs.resolve(GOLD_MANIFEST, the_lake, lake.catalog, "", needed)
        yield from spark.run_step(context, lake, DBT_GOLD, gold_step_parameters(context, GOLD_MANIFEST, inputs))
        return
    inputs = GoldRunInputs.resolve(GOLD_MANIFEST, the_lake, lake.catalog, spark.remote_url(), needed)
    context.log.info(
        f"dbt build on {lake.catalog} (lake {inputs.lake_root}), silver versions {inputs.silver_versions}"
    )
    with dbt_process_environment(inputs.env()):
        invocation = dbt.cli(["build"], context=context)
    try:
        for event in invocation.stream():
            if isinstance(event, dg.Output):
                model = context.asset_key_for_output(event.output_name).path[-1]
                extra = gold_materialization_metadata(inputs, the_lake, model, _MODEL_INPUTS[model])
                event = event.with_metadata({**event.metadata, **extra})
            yield event
    finally:
        prune_run_dirs(invocation.target_path.parent, prefix=context.op_execution_context.op.name)
