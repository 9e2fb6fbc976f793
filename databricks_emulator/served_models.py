"""Served models: MLflow model versions loaded through mlflow.pyfunc from the emulator's MLflow server."""

from __future__ import annotations

import threading
from pathlib import Path

import mlflow
from mlflow.exceptions import MlflowException
from mlflow.pyfunc import PyFuncModel
from mlflow.pyfunc.scoring_server import invocations

from databricks_emulator.mlflow_backend import MlflowServer


class ModelCache:
    """One loaded model per (name, version); loading happens outside the lock, once."""

    def __init__(self, server: MlflowServer, folder: Path) -> None:
        self.server = server
        self.folder = folder
        self._models: dict[tuple[str, str], PyFuncModel] = {}
        self._lock = threading.Lock()
        self._loading: dict[tuple[str, str], threading.Lock] = {}

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
            tracking_uri = self.server.ensure_running()
            # models:/ URIs resolve through the global tracking and registry URIs; this process serves one
            # workspace, so global is right (left unset, MLflow would create ./mlflow.db here)
            mlflow.set_tracking_uri(tracking_uri)
            mlflow.set_registry_uri(tracking_uri)
            local = mlflow.artifacts.download_artifacts(
                artifact_uri=f"models:/{name}/{version}", tracking_uri=tracking_uri,
                dst_path=str(self.folder / f"{name}-{version}"))
            model = mlflow.pyfunc.load_model(local)
            with self._lock:
                self._models[key] = model
            return model


def score(model: PyFuncModel, body: bytes, content_type: str) -> tuple[bytes | str, int, str]:
    """MLflow's own scoring protocol: the request and response bodies of `mlflow models serve`."""
    try:
        answer = invocations(body, content_type, model, model.metadata.get_input_schema())
    except MlflowException as error:  # bad input: MLflow's error body and status, as the serving container answers
        return error.serialize_as_json(), error.get_http_status_code(), "application/json"
    return answer.response, answer.status, answer.mimetype
