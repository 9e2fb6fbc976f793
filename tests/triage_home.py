"""A LAKEGATE_HOME that serves a real claims-triage model: trained by the project's own code on a
small synthetic training set, logged and registered as training does, with an online store of the
use case's feature views (empty: every lookup misses, as for members the store has not seen).
Shared by the serving tests that need the enriched path (request rules, compiled scorer)."""

from __future__ import annotations

import contextlib
import functools
import sqlite3
from pathlib import Path

import pyarrow as pa
import pytest

ENDPOINT = "claims-triage"
MODEL = "dev.claims.triage_model"
CLAIM = {"claim_id": "C000000001", "member_id": "M00001950", "provider_id": "P000020", "amount": 19.14,
         "procedure_code": "85025", "diagnosis_code": "Z00.01", "service_date": "2025-02-13",
         "submission_date": "2025-02-16", "channel": "edi"}


@contextlib.contextmanager
def triage_environment(home: Path):
    """This process in `home` as the server sees it: local environment, test PII key, embedded MLflow."""
    with pytest.MonkeyPatch.context() as mp:
        for name in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI"):
            mp.delenv(name, raising=False)
        mp.setenv("LAKEGATE_HOME", str(home))
        mp.setenv("LAKEGATE_ENV", "local")
        mp.setenv("LAKEGATE_PII_HMAC_KEY", "test-key-0123456789abcdef")
        yield


def build_triage_home(home: Path) -> str:
    """Train, register and create the endpoint in `home`; returns the registered version."""
    import mlflow

    from lakegate.registry import Registry, Tags, embedded_store
    from lakegate.serving.control import LocalEndpoints
    from lakegate.serving.endpoints import single_version_config
    from ml_assets.training import tracking
    from ml_assets.usecases import CLAIMS_TRIAGE

    trained = trained_triage_model()
    uri, artifacts = embedded_store(home)
    registry = Registry(uri, uri, artifacts)
    with registry.activate():
        with mlflow.start_run(experiment_id=registry.experiment_id("serving-tests")):
            info = tracking._log_model(trained)
    version = str(registry.register(info.model_uri, MODEL, tags={Tags.USE_CASE: CLAIMS_TRIAGE.name}).version)
    write_empty_online_store(home)
    LocalEndpoints(home, registry=registry).create(ENDPOINT, single_version_config(MODEL, version),
                                                   actor="tests", reason="serving tests")
    return version


@functools.cache
def trained_triage_model():
    """Trained once per test process (about 3 s; five modules build a triage home): logging reads the
    model and never changes it, and the training set is seeded, so each home's model is the same anyway."""
    from ml_assets.training.train import train
    from ml_assets.usecases import CLAIMS_TRIAGE
    from tests.integration.test_training_mlflow import synthetic_training_set

    return train(synthetic_training_set(rows=1500, seed=3), CLAIMS_TRIAGE)


def write_empty_online_store(home: Path) -> Path:
    from ml_assets.features.definitions import FEATURE_VIEWS
    from ml_assets.features.views import EVENT
    from ml_assets.features.online import META_TABLE, _write_view, online_store_path
    from ml_assets.usecases import CLAIMS_TRIAGE

    path = online_store_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as db:
        db.execute(f"CREATE TABLE {META_TABLE} (view TEXT PRIMARY KEY, offline_table TEXT, offline_version INTEGER, "
                   "rows INTEGER, materialized_at TEXT)")
        for name in CLAIMS_TRIAGE.feature_views:
            view = FEATURE_VIEWS[name]
            empty = pa.table({view.entity: pa.array([], pa.string()), EVENT: pa.array([], pa.timestamp("us", tz="UTC")),
                              **{f: pa.array([], pa.string()) for f in view.feature_names}})
            _write_view(db, view, empty)
    return path
