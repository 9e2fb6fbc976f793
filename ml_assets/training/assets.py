"""The candidate model asset: train claims triage on its training set, log to MLflow, register it in
the environment's catalog with the alias `challenger`. The logic is in plain functions (run.py)."""

import dagster as dg

from lakegate.lake import LakeResource, lineage_metadata
from lakegate.ledger import Ledger
from lakegate.platform import Platform
from lakegate.registry import MlflowRegistry
from ml_assets.training.evaluation import METRICS
from ml_assets.training.run import train_and_register
from ml_assets.usecases import CLAIMS_TRIAGE

CLAIMS_TRIAGE_MODEL = dg.AssetKey(["ml", "claims_triage_model"])
CLAIMS_TRIAGE_TRAINING_SET = dg.AssetKey(["ml", "claims_triage_training_set"])


@dg.asset(
    key=CLAIMS_TRIAGE_MODEL,
    deps=[CLAIMS_TRIAGE_TRAINING_SET],
    group_name="ml",
    kinds={"mlflow", "scikit-learn"},
    owners=[CLAIMS_TRIAGE.owner],
    tags={"lakegate/use_case": CLAIMS_TRIAGE.name},
    automation_condition=dg.AutomationCondition.eager(),
)
def claims_triage_model(context: dg.AssetExecutionContext, lake: LakeResource, platform: Platform, mlflow: MlflowRegistry) -> dg.MaterializeResult:
    """The candidate claims-triage model: which submitted claims need clinical review.

    Trained on the newest version of the point-in-time training set (train on the oldest claims,
    threshold chosen on the next, tested on the newest), logged to MLflow with its evaluation,
    model card and provenance, and registered as `<catalog>.claims.triage_model` with the alias
    `challenger`, and who trained it is recorded in the audit ledger against its artifact hash (the
    record segregation of duties reads). It does not serve anyone until the promotion gates move
    `champion` to it.
    """
    catalog = lake.catalog
    registry = mlflow.registry(home=platform.home_path)
    outcome = train_and_register(
        lake.lake(),
        registry,
        CLAIMS_TRIAGE,
        catalog,
        experiment=mlflow.experiment_name(CLAIMS_TRIAGE.name),
        dagster_run_id=context.run_id,
        ledger=Ledger.for_home(platform.home_path, platform.env()),
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


training_assets = [claims_triage_model]
