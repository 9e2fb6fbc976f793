"""Train, log and register one use case from its training-set table: the whole step, Dagster-free."""

from __future__ import annotations

import time
from dataclasses import dataclass

import pyarrow as pa
from threadpoolctl import threadpool_limits

from lakegate.artifact import model_artifact_hash
from lakegate.governance.trainers import record_training
from lakegate.lake import Lake
from lakegate.ledger import Ledger
from lakegate.lineage import commit, commit_inputs
from lakegate.registry import Registry
from ml_assets.spec import UseCase
from ml_assets.training.columns import TrainingDataError
from ml_assets.training.provenance import collect
from ml_assets.training.tracking import Registered, TrainingSetRef, log_and_register
from ml_assets.training.train import TrainedModel, train


@dataclass
class TrainingOutcome:
    training_set: TrainingSetRef
    trained: TrainedModel
    logged: Registered
    seconds: dict[str, float]
    principal: str  # who trained it (provenance.principal)
    artifact_sha256: str | None = None  # set when the training was recorded in the ledger


def read_training_set(lake: Lake, use_case: UseCase, catalog: str, version: int | None = None) -> tuple[TrainingSetRef, pa.Table]:
    """The training set at a pinned version (the latest unless given), with what it was built from."""
    table = use_case.training_set_table(catalog)
    if not lake.exists(table):
        raise TrainingDataError(f"training set {table} does not exist yet (looked in {lake.path(table)})")
    version = lake.version(table) if version is None else version
    entry = commit(lake, table, version)
    data = lake.read_arrow(table, version=version)
    return TrainingSetRef(
        table=table,
        version=version,
        location=lake.uri(table),
        upstream=commit_inputs(entry) if entry else {},
        schema={field.name: str(field.type) for field in data.schema},
    ), data


def train_and_register(lake: Lake, registry: Registry, use_case: UseCase, catalog: str, experiment: str,
                       dagster_run_id: str | None = None, version: int | None = None, threads: int = 1,
                       ledger: Ledger | None = None) -> TrainingOutcome:
    """Read the training set (latest version unless given), train, log to MLflow, register, alias.

    With `ledger`, who trained the registered version is recorded there, bound to its artifact hash:
    the record segregation of duties reads (lakegate/governance/trainers.py).
    `threads` caps OpenMP threads for fitting and for MLflow's own check of the input example
    (see train.train); the model's results do not depend on it.
    """
    with threadpool_limits(limits=threads, user_api="openmp"):
        outcome = _train_and_register(lake, registry, use_case, catalog, experiment, dagster_run_id, version)
    if ledger is None:
        return outcome
    logged = outcome.logged
    artifact = model_artifact_hash(registry, logged.registered_name, logged.version)
    record_training(ledger, logged.registered_name, logged.version, artifact, outcome.principal, logged.run_id,
                    {"table": outcome.training_set.table, "version": outcome.training_set.version})
    outcome.artifact_sha256 = artifact
    return outcome


def _train_and_register(lake, registry, use_case, catalog, experiment, dagster_run_id, version) -> TrainingOutcome:
    started = time.perf_counter()
    ref, data = read_training_set(lake, use_case, catalog, version)
    read = time.perf_counter()
    trained = train(data, use_case)
    fitted = time.perf_counter()
    provenance = collect(dagster_run_id)
    logged = log_and_register(registry, experiment, trained, ref, use_case.registered_model_name(catalog), provenance)
    done = time.perf_counter()
    seconds = {"read": read - started, **trained.seconds, "train": fitted - read, "log_and_register": done - fitted, "total": done - started}
    return TrainingOutcome(training_set=ref, trained=trained, logged=logged, seconds=seconds, principal=provenance.principal)
