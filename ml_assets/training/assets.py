"""The candidate model asset of a use case, made from its spec: train on its training set, log to
MLflow, register it in the environment's catalog with the alias `challenger`. The logic is in plain
functions (run.py), imported when the asset runs: scikit-learn, MLflow and matplotlib load with a
training, not with the graph's definitions (every `lakegate` command and the Dagster code location
load those)."""

import dagster as dg

from lakegate.lake import lineage_metadata
from lakegate.lake_resource import LakeResource
from lakegate.platform import Platform
from lakegate.registry_resource import MlflowRegistry
from ml_assets import keys
from ml_assets.spec import UseCase


def build_model_asset(use_case: UseCase) -> dg.AssetsDefinition:
    @dg.asset(
        key=keys.model_key(use_case),
        deps=[keys.training_set_key(use_case)],
        group_name=keys.group(use_case),
        kinds={"mlflow", "scikit-learn"},
        owners=[use_case.owner],
        tags=keys.tags(use_case, keys.TRAINING),
        automation_condition=dg.AutomationCondition.eager(),
        description=f"The candidate {use_case.name} model: {use_case.description} Trained on the newest version of "
        "its point-in-time training set (train on the oldest events, threshold chosen on the next, tested on the "
        f"newest), logged to MLflow with its evaluation, model card and provenance, registered as "
        f"`<catalog>.{use_case.model.registry_schema}.{use_case.model.name}` with the alias `challenger`; who trained "
        "it is recorded in the audit ledger against its artifact hash. It serves nobody until the gates move `champion`.",
    )
    def _model(context: dg.AssetExecutionContext, lake: LakeResource, platform: Platform,
               mlflow: MlflowRegistry) -> dg.MaterializeResult:
        return _train(context, lake, platform, mlflow, use_case)

    return _model


def _train(context: dg.AssetExecutionContext, lake: LakeResource, platform: Platform, mlflow: MlflowRegistry,
           use_case: UseCase) -> dg.MaterializeResult:
    from ml_assets.training.evaluation import METRICS  # when it runs (the module docstring says why)
    from ml_assets.training.run import train_and_register

    catalog = lake.catalog
    registry = mlflow.registry()
    outcome = train_and_register(
        lake.lake(),
        registry,
        use_case,
        catalog,
        experiment=mlflow.experiment_name(use_case.name),
        dagster_run_id=context.run.run_id,
        ledger=platform.ledger(),
    )
    logged, trained, ref = outcome.logged, outcome.trained, outcome.training_set
    context.log.info(f"registered {logged.model_uri} (alias {logged.alias}), run {logged.run_url}")
    metadata: dict = {
        "mlflow/run_id": dg.MetadataValue.text(logged.run_id),
        "mlflow/run_url": dg.MetadataValue.url(logged.run_url),
        "mlflow/model_uri": dg.MetadataValue.text(logged.model_uri),
        "mlflow/registered_model": dg.MetadataValue.text(logged.registered_name),
        "mlflow/version": dg.MetadataValue.int(int(logged.version)),
        "mlflow/alias": dg.MetadataValue.text(logged.alias),
        "artifact_sha256": dg.MetadataValue.text(outcome.artifact_sha256 or ""),
        "trained_by": dg.MetadataValue.text(outcome.principal),
        "training_set/table": dg.MetadataValue.text(ref.table),
        "training_set/version": dg.MetadataValue.int(ref.version),
        "threshold": dg.MetadataValue.float(trained.threshold.threshold),
        "threshold/rule": dg.MetadataValue.text(trained.threshold.rule),
        "duration_seconds": dg.MetadataValue.float(round(outcome.seconds["total"], 3)),
        "durations": dg.MetadataValue.json({k: round(v, 3) for k, v in outcome.seconds.items()}),
        **lineage_metadata({}, {ref.table: ref.version}),
    }
    for part, rows in trained.row_counts().items():
        metadata[f"rows/{part}"] = dg.MetadataValue.int(rows)
    for name in METRICS:
        if name not in ("rows",):
            metadata[f"test/{name}"] = dg.MetadataValue.float(float(trained.metrics["test"][name]))
    metadata["validation/roc_auc"] = dg.MetadataValue.float(trained.metrics["validation"]["roc_auc"])
    metadata["validation/pr_auc"] = dg.MetadataValue.float(trained.metrics["validation"]["pr_auc"])
    return dg.MaterializeResult(metadata=metadata, data_version=dg.DataVersion(f"{logged.registered_name}/{logged.version}"))
