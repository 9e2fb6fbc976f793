"""Starts the emulated workspace: Sail, the MLflow server, then the HTTP API on 127.0.0.1."""

from __future__ import annotations

import logging
import secrets
import signal
import socket
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from pysail.spark import SparkConnectServer

from databricks_emulator.app import WORKSPACE_ID, build_app
from databricks_emulator.clusters_api import clusters_routes
from databricks_emulator.dbfs_api import DbfsApi
from databricks_emulator.files_api import FilesApi
from databricks_emulator.jobs_api import JobsApi
from databricks_emulator.mlflow_backend import MlflowProxy, MlflowServer
from databricks_emulator.payload_tables import PayloadTables
from databricks_emulator.policies_api import PoliciesApi, PolicyStore
from databricks_emulator.runs import RunService
from databricks_emulator.secrets import SecretStore
from databricks_emulator.secrets_api import SecretsApi
from databricks_emulator.served_models import ModelCache
from databricks_emulator.serving import ServingEndpoints
from databricks_emulator.serving_api import ServingApi
from databricks_emulator.storage import WorkspaceStorage
from databricks_emulator.unity_catalog import UnityCatalog
from databricks_emulator.unity_catalog_api import UnityCatalogApi

HOST = "127.0.0.1"


@dataclass(frozen=True)
class EmulatorOptions:
    root: Path
    port: int
    token: str | None = None
    serving_update_seconds: float = 1.0
    payload_flush_seconds: float = 1.0  # how long an answered request waits before its inference-table row lands


def _listening_socket(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, port))
    sock.listen(128)
    return sock


def _exit_on_sigterm(_signum: int, _frame: object) -> None:
    raise SystemExit(143)  # until uvicorn takes over the signal: still stop the children in `finally`


def serve(options: EmulatorOptions) -> None:
    """Runs until SIGINT/SIGTERM; prints the workspace URL and token once it accepts connections."""
    sock = _listening_socket(options.port)  # first: a taken port fails before anything is changed
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    storage = WorkspaceStorage(options.root.resolve())
    storage.create_folders()
    token = options.token or secrets.token_urlsafe(24)
    host_url = f"http://{HOST}:{sock.getsockname()[1]}"
    mlflow_server = MlflowServer(storage.root / "mlflow")
    sail = SparkConnectServer(HOST, 0)
    sail.start(background=True)
    sail_host, sail_port = sail.listening_address
    runs = RunService(storage, PolicyStore(storage.root / "policies"), host_url, f"sc://{sail_host}:{sail_port}")
    proxy = MlflowProxy(mlflow_server, WORKSPACE_ID)
    endpoints = ServingEndpoints(ModelCache(storage),
                                 options.serving_update_seconds)
    payloads = PayloadTables(storage.unity_catalog_root, options.payload_flush_seconds)

    async def shut_down() -> None:
        runs.cancel_all()
        payloads.close()
        await proxy.close()

    app = build_app(host_url, token, [
        DbfsApi(storage).routes(), FilesApi(storage).routes(), JobsApi(runs).routes(),
        PoliciesApi(runs.policies).routes(), clusters_routes(), ServingApi(endpoints, payloads).routes(), proxy.routes(),
        SecretsApi(SecretStore(storage.secrets_root)).routes(),
        UnityCatalogApi(UnityCatalog(storage.unity_catalog_root), mlflow_server).routes(),
    ], shut_down)
    try:
        print(f"Databricks emulator (not a Databricks workspace) at {host_url}, root {storage.root}", flush=True)
        print(f"DATABRICKS_HOST={host_url}", flush=True)
        print(f"DATABRICKS_TOKEN={token}", flush=True)
        uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on")).run(sockets=[sock])
    finally:
        runs.cancel_all()
        mlflow_server.stop()
        sail.stop()
