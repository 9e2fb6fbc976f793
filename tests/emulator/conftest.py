"""One emulator process per test session, reached only through the official clients (databricks-sdk, mlflow).

Modules share it, so each names what it creates after itself (or looks only at what it created).
`registered` logs one model and registers it twice, once per session, for every serving test."""

from __future__ import annotations

import contextlib
import os
import queue
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import mlflow
import numpy as np
import pandas as pd
import pytest
from databricks.sdk import WorkspaceClient
from mlflow.models import infer_signature
from sklearn.linear_model import LogisticRegression

REPO = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 60
MODEL = "dev.claims.triage_model"
EXPERIMENT = "/Shared/claims-triage"
FEATURES = pd.DataFrame({"amount": [10.0, 900.0, 45.0, 3000.0], "age": [30.0, 70.0, 41.0, 65.0]})
LABELS = np.array([0, 1, 0, 1])
PII_KEY = "emulator-steps-pii-key-0123456789"  # the orchestrator's variable and the workspace secret alike


@dataclass(frozen=True)
class RunningEmulator:
    host: str
    token: str
    root: Path

    def client(self, token: str | None = None) -> WorkspaceClient:
        return WorkspaceClient(host=self.host, token=token or self.token, auth_type="pat")


def _read_announcement(process: subprocess.Popen) -> dict[str, str]:
    """The KEY=value lines the emulator prints once it listens (read on a thread: readline blocks)."""
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()
    found: dict[str, str] = {}
    deadline = time.monotonic() + STARTUP_SECONDS
    while "DATABRICKS_TOKEN" not in found:
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the emulator did not start (exit code {process.poll()})")
        try:
            key, _, value = lines.get(timeout=1).strip().partition("=")
        except queue.Empty:
            continue
        if value:
            found[key] = value
    return found


@contextlib.contextmanager
def running_emulator(root: Path) -> Iterator[RunningEmulator]:
    """An emulator process on `root`, started as a newcomer starts it: `lakegate databricks-emulator`,
    which becomes `python -m databricks_emulator`."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("DATABRICKS_")}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    process = subprocess.Popen([sys.executable, "-c", "from lakegate.cli.main import entry; entry()",
                                "databricks-emulator", "--port", "0", "--root", str(root)],
                               stdout=subprocess.PIPE, stderr=(root.parent / f"{root.name}-emulator.log").open("wb"),
                               text=True, env=env, cwd=root)
    try:
        announced = _read_announcement(process)
        yield RunningEmulator(announced["DATABRICKS_HOST"], announced["DATABRICKS_TOKEN"], root)
    finally:
        process.terminate()
        process.wait(30)


@pytest.fixture(scope="session")
def emulator(tmp_path_factory) -> Iterator[RunningEmulator]:
    with running_emulator(tmp_path_factory.mktemp("workspace")) as running:
        yield running


@pytest.fixture(scope="session")
def workspace(emulator: RunningEmulator) -> WorkspaceClient:
    return emulator.client()


@pytest.fixture(scope="session")
def dev_catalog(workspace: WorkspaceClient) -> str:
    """Catalog `dev`, which the job tests and the `databricks` environment's steps share."""
    workspace.catalogs.create(name="dev")
    return "dev"


@pytest.fixture(scope="session")
def pii_secret(workspace: WorkspaceClient) -> str:
    """The PII key in secret scope `lakegate`, which every job cluster of databricks.yaml references;
    the orchestrator's LAKEGATE_PII_HMAC_KEY must hold the same value."""
    workspace.secrets.create_scope("lakegate")
    workspace.secrets.put_secret("lakegate", "pii_hmac_key", string_value=PII_KEY)
    return PII_KEY


def point_at_workspace(patch: pytest.MonkeyPatch, emulator: RunningEmulator, home: Path, pii_key: str) -> None:
    """The variables a `databricks` environment's orchestrator runs with: the workspace, its home, the PII key."""
    patch.setenv("DATABRICKS_HOST", emulator.host)
    patch.setenv("DATABRICKS_TOKEN", emulator.token)
    patch.setenv("LAKEGATE_HOME", str(home))
    patch.setenv("LAKEGATE_PII_HMAC_KEY", pii_key)


@contextlib.contextmanager
def databricks_mlflow(emulator: RunningEmulator) -> Iterator[None]:
    """MLflow's fluent API on the workspace, as on Databricks: tracking URI `databricks`, registry URI
    `databricks-uc`, the workspace named by DATABRICKS_HOST and DATABRICKS_TOKEN; restored afterwards."""
    saved = {key: os.environ.get(key) for key in ("DATABRICKS_HOST", "DATABRICKS_TOKEN")}
    os.environ.update(DATABRICKS_HOST=emulator.host, DATABRICKS_TOKEN=emulator.token)
    mlflow.set_tracking_uri("databricks")
    mlflow.set_registry_uri("databricks-uc")
    try:
        yield
    finally:
        mlflow.set_tracking_uri(None)
        mlflow.set_registry_uri(None)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="session")
def registered(emulator):
    """MODEL versions 1 and 2 (the same fitted model), logged and registered through the emulator."""
    with databricks_mlflow(emulator):
        # an explicit experiment: set_experiment would leave it active (and in MLFLOW_EXPERIMENT_ID) for later tests
        experiment_id = mlflow.create_experiment(EXPERIMENT)
        fitted = LogisticRegression().fit(FEATURES, LABELS)
        with mlflow.start_run(experiment_id=experiment_id):
            # explicit requirements and signature: inferring them loads the model in a subprocess (seconds)
            logged = mlflow.sklearn.log_model(fitted, name="model", registered_model_name=MODEL, pip_requirements=[],
                                              signature=infer_signature(FEATURES, LABELS))
        mlflow.register_model(logged.model_uri, MODEL)
    return fitted


@pytest.fixture
def mlflow_client(emulator, monkeypatch) -> mlflow.MlflowClient:
    """MLflow's client on the workspace (tracking URI `databricks`, registry URI `databricks-uc`)."""
    monkeypatch.setenv("DATABRICKS_HOST", emulator.host)
    monkeypatch.setenv("DATABRICKS_TOKEN", emulator.token)
    return mlflow.MlflowClient(tracking_uri="databricks", registry_uri="databricks-uc")
