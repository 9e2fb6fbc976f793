"""Served models: Unity Catalog model versions loaded through mlflow.pyfunc from the files registered for them."""

from __future__ import annotations

import threading
from pathlib import Path

import mlflow
from mlflow.exceptions import MlflowException
from mlflow.pyfunc import PyFuncModel
from mlflow.pyfunc.scoring_server import invocations

from databricks_emulator.storage import WorkspaceStorage
from databricks_emulator.uc_registry import models_path


class ModelCache:
    """One loaded model per (name, version); loading happens outside the lock, once."""

    def __init__(self, storage: WorkspaceStorage) -> None:
        self.storage = storage
        self._models: dict[tuple[str, str], PyFuncModel] = {}
        self._lock = threading.Lock()
        self._loading: dict[tuple[str, str], threading.Lock] = {}
        self._replicas: dict[tuple[str, str], threading.Lock] = {}

    def replica(self, name: str, version: str) -> threading.Lock:
        """One scoring at a time per model version, as one serving replica works: the time a request
        holds it is its execution time (`execution_time_ms`); waiting for it is queueing, not execution."""
        with self._lock:
            return self._replicas.setdefault((name, str(version)), threading.Lock())

    def load(self, name: str, version: str) -> PyFuncModel:
        key = (name, str(version))
        with self._lock:
            if key in self._models:
                return self._models[key]
            gate = self._loading.setdefault(key, threading.Lock())
        with gate:
            with self._lock:
                if key in self._models:
                    return self._models[key]
            local = self._artifacts(name, version)
            model = mlflow.pyfunc.load_model(str(local))
            with self._lock:
                self._models[key] = model
            return model

    def _artifacts(self, name: str, version: str) -> Path:
        """Where the Files API wrote the Unity Catalog version's files (`databricks-uc` uploads them there)."""
        registered = self.storage.files_api_path(models_path(name, version))
        if not (registered / "MLmodel").is_file():
            raise FileNotFoundError(f"model {name} version {version} has no files at {models_path(name, version)}")
        return registered


def score(model: PyFuncModel, body: bytes, content_type: str) -> tuple[bytes | str, int, str]:
    """MLflow's own scoring protocol: the request and response bodies of `mlflow models serve`."""
    try:
        answer = invocations(body, content_type, model, model.metadata.get_input_schema())
    except MlflowException as error:  # bad input: MLflow's error body and status, as the serving container answers
        return error.serialize_as_json(), error.get_http_status_code(), "application/json"
    return answer.response, answer.status, answer.mimetype
