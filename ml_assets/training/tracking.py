"""Log a trained model to MLflow (params, metrics, images, model card, model, dataset inputs,
provenance tags) and register it as `catalog.schema.model` with the alias `challenger`.

The logged model is self-contained: the request feature function is pickled by value (cloudpickle),
so loading it needs scikit-learn, pandas and numpy, not this repository. Its source is also stored
beside the model (extra_files) so a reader can see the code that computes the features.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from lakegate.registry import REFERENCE_PROFILE_ARTIFACT, Registry, Tags  # first: sets MLflow's telemetry off before mlflow loads
from ml_assets.features.request_functions import module_of
from ml_assets.training.model import request_feature_function
from ml_assets.spec import UseCase
from ml_assets.training import plots
from ml_assets.training.evaluation import METRICS, prefixed
from ml_assets.training.model_card import CardFacts, render
from ml_assets.training.provenance import Provenance
from ml_assets.training.train import EVALUATED, TrainedModel

ALIAS = "challenger"
MODEL_ARTIFACT = "model"
CARD = "model_card.md"
# Logged with every run, so gates and the tests can insist on them.
REQUIRED_METRICS = tuple(f"{part}_{m}" for part in EVALUATED for m in METRICS) + ("threshold", "train_rows", "train_base_rate")
REQUIRED_TAGS = (Tags.GIT_COMMIT, Tags.REQUIREMENTS_LOCK_SHA256, Tags.DAGSTER_RUN_ID, Tags.PRINCIPAL,
                 Tags.USE_CASE, Tags.TRAINING_SET_TABLE, Tags.TRAINING_SET_VERSION)
ARTIFACTS = (CARD, *(f"evaluation/{name}" for name in plots.PNG_FILES), "evaluation/feature_importance.csv")
# What the served model needs, pinned to what trained it (skips MLflow's slow requirement inference).
REQUIREMENTS = ("mlflow", "scikit-learn", "pandas", "numpy", "scipy", "cloudpickle")


@dataclass(frozen=True)
class TrainingSetRef:
    table: str
    version: int
    location: str
    upstream: dict[str, int | None]  # the tables and versions its Delta commit says it was built from
    schema: dict[str, str]  # column → Arrow type, for the MLflow dataset schema


@dataclass(frozen=True)
class Registered:
    """What training logged and registered: the run, and the new model version with its alias."""

    run_id: str
    experiment_id: str
    run_url: str
    registered_name: str
    version: str
    alias: str
    model_uri: str  # models:/<name>/<version>
    logged_model_uri: str  # models:/<logged model id>
    metrics: dict[str, float]


def log_and_register(registry: Registry, experiment: str, trained: TrainedModel, training_set: TrainingSetRef,
                     registered_name: str, provenance: Provenance) -> Registered:
    import mlflow

    use_case = trained.use_case
    experiment_id = registry.experiment_id(experiment, artifact_subdir=use_case.name)
    metrics = _metrics(trained)
    with registry.activate(), tempfile.TemporaryDirectory(prefix="lakegate-train-") as scratch:
        tags = {**provenance.tags(), Tags.USE_CASE: use_case.name, Tags.TRAINING_SET_TABLE: training_set.table,
                Tags.TRAINING_SET_VERSION: str(training_set.version)}
        run_name = f"{use_case.name} on {training_set.table}@v{training_set.version}"
        with mlflow.start_run(experiment_id=experiment_id, run_name=run_name, tags=tags) as run:
            run_id = run.info.run_id
            mlflow.log_params(_params(trained, training_set))
            mlflow.log_input(_dataset(training_set), context="training",
                             tags={"rows": str(sum(trained.row_counts().values()))})
            info = _log_model(trained)
            mlflow.log_metrics(metrics, model_id=info.model_id)
            mlflow.log_artifacts(str(_artifacts(trained, training_set, registered_name, run_id, provenance, Path(scratch) / "out")))
    description = (f"{use_case.description} Trained on {training_set.table}@v{training_set.version} "
                   f"(run {run_id}); threshold {trained.threshold.threshold:.4f}.")
    version = registry.register(
        info.model_uri,
        registered_name,
        tags={Tags.MLFLOW_RUN_ID: run_id, Tags.TRAINING_SET_TABLE: training_set.table,
              Tags.TRAINING_SET_VERSION: str(training_set.version), Tags.USE_CASE: use_case.name,
              Tags.THRESHOLD: f"{trained.threshold.threshold:.6f}", Tags.GIT_COMMIT: provenance.git_commit},
        description=description,
        model_tags={Tags.OWNER: use_case.owner, Tags.USE_CASE: use_case.name},
        model_description=f"{use_case.description} Owner: {use_case.owner}.",
    )
    registry.set_alias(registered_name, ALIAS, version.version)
    return Registered(
        run_id=run_id,
        experiment_id=experiment_id,
        run_url=registry.run_url(experiment_id, run_id),
        registered_name=registered_name,
        version=str(version.version),
        alias=ALIAS,
        model_uri=f"models:/{registered_name}/{version.version}",
        logged_model_uri=info.model_uri,
        metrics=metrics,
    )


def _metrics(trained: TrainedModel) -> dict[str, float]:
    out: dict[str, float] = {"threshold": trained.threshold.threshold, "train_rows": float(trained.row_counts()["train"]),
                             "train_base_rate": trained.train_base_rate}
    for part in EVALUATED:
        out.update(prefixed(part, trained.metrics[part]))
    return out


def _params(trained: TrainedModel, training_set: TrainingSetRef) -> dict[str, str]:
    u = trained.use_case
    params = {
        "use_case": u.name,
        "estimator": u.model.estimator,
        "seed": u.model.seed,
        "class_weight": u.model.params.get("class_weight", "none"),
        "request_features": u.request_features,
        "validation_fraction": u.split.validation_fraction,
        "test_fraction": u.split.test_fraction,
        "validation_start": trained.split.validation_start.isoformat(),
        "test_start": trained.split.test_start.isoformat(),
        "threshold_min_recall": u.threshold.min_recall,
        "threshold_rule": trained.threshold.rule,
        "training_set_table": training_set.table,
        "training_set_version": training_set.version,
        "input_columns": ",".join(trained.input_columns),
        **{f"model_{k}": v for k, v in sorted(u.model.params.items())},
    }
    return {k: str(v) for k, v in params.items()}


def _dataset(training_set: TrainingSetRef):
    from mlflow.data.delta_dataset_source import DeltaDatasetSource
    from mlflow.data.meta_dataset import MetaDataset
    from mlflow.types import ColSpec, DataType, Schema

    class LakeDeltaSource(DeltaDatasetSource):
        """MLflow's Delta source, minus two traps in 3.17.2: to_dict drops version 0 (falsy), and a
        three-level name makes it call Databricks to look the table up. Reads back as DeltaDatasetSource."""

        def __init__(self, table: str, version: int, location: str):
            super().__init__(delta_table_name=table, delta_table_version=version)
            self._location = location

        def to_dict(self) -> dict:
            return {"delta_table_name": self.delta_table_name, "delta_table_version": self.delta_table_version,
                    "location": self._location}

    types = {"string": DataType.string, "large_string": DataType.string, "double": DataType.double,
             "float": DataType.float, "int64": DataType.long, "int32": DataType.integer, "bool": DataType.boolean}
    schema = Schema([ColSpec(types.get(t, DataType.datetime if t.startswith(("date", "timestamp")) else DataType.string), name)
                     for name, t in training_set.schema.items()])
    return MetaDataset(LakeDeltaSource(training_set.table, training_set.version, training_set.location),
                       name=training_set.table, schema=schema)


def _signature(trained: TrainedModel):
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, DataType, Schema

    kinds = {"double": DataType.double, "string": DataType.string, "datetime": DataType.datetime}
    inputs = Schema([ColSpec(kinds[kind], name) for name, kind in trained.input_kinds.items()])
    return ModelSignature(inputs=inputs, outputs=Schema([ColSpec(DataType.long, trained.use_case.label.column)]))


@contextlib.contextmanager
def _pickled_by_value(*modules) -> Iterator[None]:
    import cloudpickle

    for module in modules:
        cloudpickle.register_pickle_by_value(module)
    try:
        yield
    finally:
        for module in modules:
            cloudpickle.unregister_pickle_by_value(module)


def _log_model(trained: TrainedModel):
    import mlflow

    requirements = [f"{name}=={importlib.metadata.version(name)}" for name in REQUIREMENTS]
    request_module = module_of(request_feature_function(trained.use_case))
    with _pickled_by_value(request_module):
        return mlflow.sklearn.log_model(
            trained.model,
            name=MODEL_ARTIFACT,
            serialization_format=mlflow.sklearn.SERIALIZATION_FORMAT_CLOUDPICKLE,
            signature=_signature(trained),
            input_example=trained.input_example,
            pip_requirements=requirements,
            extra_files=[request_module.__file__],
            metadata={
                "use_case": trained.use_case.name,
                "threshold": trained.threshold.threshold,
                "input_columns": list(trained.input_columns),
                "predict": "1 = needs review (probability >= threshold); predict_proba for the probability",
            },
        )


def _artifacts(trained: TrainedModel, training_set: TrainingSetRef, registered_name: str, run_id: str,
               provenance: Provenance, folder: Path) -> Path:
    evaluation = folder / "evaluation"
    evaluation.mkdir(parents=True)
    plots.roc_plot(trained.curves, evaluation / "roc_curve.png")
    plots.pr_plot(trained.curves, trained.threshold.threshold, evaluation / "pr_curve.png")
    plots.confusion_plot(trained.metrics["test"], "test", evaluation / "confusion_matrix.png")
    plots.importance_plot(trained.importance, evaluation / "feature_importance.png")
    trained.importance.to_csv(evaluation / "feature_importance.csv", index=False)
    (evaluation / "metrics.json").write_text(json.dumps(trained.metrics, indent=2, sort_keys=True))
    reference = folder / REFERENCE_PROFILE_ARTIFACT
    reference.parent.mkdir(parents=True)
    reference.write_text(trained.reference.to_json())
    facts = CardFacts(
        use_case=trained.use_case,
        registered_name=registered_name,
        training_set=training_set.table,
        training_set_version=training_set.version,
        upstream=training_set.upstream,
        split_sizes=trained.row_counts(),
        split_bounds={"validation_start": trained.split.validation_start.isoformat(), "test_start": trained.split.test_start.isoformat()},
        threshold=trained.threshold,
        metrics=trained.metrics,
        top_features=list(trained.importance.head(10)[["column", "importance"]].itertuples(index=False, name=None)),
        run_id=run_id,
        git_commit=provenance.git_commit,
        principal=provenance.principal,
        input_columns=trained.input_columns,
        params=dict(trained.use_case.model.params),
    )
    (folder / CARD).write_text(render(facts))
    return folder

