"""A real MLflow tracking server (SQLite and an artifact folder under the root) and the proxy to it.

The emulator answers `/api/2.0/mlflow/...` and `/api/2.0/mlflow-artifacts/...` by forwarding them,
after its own bearer-token check, to this server on 127.0.0.1.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import aiohttp
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from databricks_emulator.children import spawn
from databricks_emulator import uc_registry
from databricks_emulator.errors import ApiError

STARTUP_SECONDS = 90
HOP_HEADERS = {"host", "authorization", "content-length", "content-encoding", "connection", "transfer-encoding",
               "keep-alive"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class MlflowServer:
    """Started on first use (it takes seconds), so runs and files never wait for it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen | None = None
        self._lock = threading.Lock()

    def ensure_running(self) -> str:
        """Starts the server if it is not up yet and waits until it answers; returns its URL."""
        with self._lock:
            if self._process is None:
                self._start()
                self._wait_ready()
        return self.url

    def _start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        log = (self.folder / "server.log").open("ab")
        # MLflow's job runner (huey consumers, several processes) serves no API the emulator offers
        env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
        self._process = spawn(
            [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(self.port),
             "--workers", "1", "--backend-store-uri", f"sqlite:///{self.folder / 'mlflow.db'}",
             # artifacts where a workspace keeps them; clients write them through the Files API
             "--default-artifact-root", "dbfs:/databricks/mlflow-tracking", "--no-serve-artifacts"],
            stdout=log, stderr=subprocess.STDOUT, env=env)

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(f"The MLflow server exited early; see {self.folder / 'server.log'}")
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                time.sleep(0.3)
        raise RuntimeError(f"The MLflow server did not answer within {STARTUP_SECONDS} s")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGTERM)  # the server and any workers it forked
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self._process.pid, signal.SIGKILL)


class MlflowProxy:
    def __init__(self, server: MlflowServer, workspace_id: str) -> None:
        self.server = server
        self.workspace_id = workspace_id
        self._session: aiohttp.ClientSession | None = None

    def routes(self) -> list[Route]:
        methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]
        return [Route("/api/2.0/mlflow/unity-catalog/{rest:path}", self.unity_catalog, methods=methods),
                Route("/api/2.0/mlflow/{rest:path}", self.forward, methods=methods),
                Route("/api/2.0/mlflow-artifacts/{rest:path}", self.forward, methods=methods)]

    async def forward(self, request: Request) -> Response:
        status, body, headers = await self._send(request.method, request.url.path, list(request.query_params.multi_items()),
                                                 await request.body(), request.headers)
        return Response(body, status_code=status, headers=headers)

    async def unity_catalog(self, request: Request) -> Response:
        """The `databricks-uc` registry's REST, on the server's registry (databricks_emulator/uc_registry.py)."""
        rest = request.path_params["rest"]
        local = uc_registry.local_answer(rest)
        if local is not None:
            return JSONResponse(local)
        method, path, params, body = uc_registry.forwarded(request.method, rest, list(request.query_params.multi_items()),
                                                           await request.body())
        status, answer, headers = await self._send(method, f"/api/2.0/mlflow/{path}", params, body, request.headers)
        headers.pop("content-length", None)
        return Response(uc_registry.answer(rest, status, answer), status_code=status, headers=headers)

    async def _send(self, method: str, path: str, params: list, body: bytes, request_headers) -> tuple[int, bytes, dict]:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=600))
        headers = {key: value for key, value in request_headers.items() if key.lower() not in HOP_HEADERS}
        url = f"{await run_in_threadpool(self.server.ensure_running)}{path}"
        try:
            async with self._session.request(method, url, params=params, data=body, headers=headers) as answer:
                content = await answer.read()
                kept = {key: value for key, value in answer.headers.items() if key.lower() not in HOP_HEADERS}
                # MLflow's UC registry client reads the workspace of a model's source run from this header
                kept["x-databricks-org-id"] = self.workspace_id
                return answer.status, content, kept
        except aiohttp.ClientConnectionError as error:
            raise ApiError(503, "TEMPORARILY_UNAVAILABLE", f"The MLflow server is not reachable: {error}") from None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
