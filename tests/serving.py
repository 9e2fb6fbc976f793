"""A real `lakegate serve` in a subprocess, for the serving tests: start, wait until ready, stop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests

HOST = "127.0.0.1"
INVOKE_TOKEN = "invoke-token-for-tests-0123456789"
ADMIN_TOKEN = "admin-token-for-tests-0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def serving_env(home: Path) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if k not in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")}
    return {**inherited, "LAKEGATE_HOME": str(home), "LAKEGATE_ENV": "local",
            "LAKEGATE_PII_HMAC_KEY": os.environ.get("LAKEGATE_PII_HMAC_KEY", "test-key-0123456789abcdef"),
            "LAKEGATE_SERVING_INVOKE_TOKEN": INVOKE_TOKEN, "LAKEGATE_SERVING_ADMIN_TOKEN": ADMIN_TOKEN,
            "MLFLOW_DISABLE_TELEMETRY": "true"}


@dataclass
class Server:
    proc: subprocess.Popen
    url: str
    log: Path

    def headers(self, token: str = INVOKE_TOKEN, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}", **extra}

    def post(self, path: str, body: bytes, content_type: str | None = "application/json", token: str = INVOKE_TOKEN,
             timeout: float = 10) -> requests.Response:
        headers = self.headers(token)
        if content_type is not None:
            headers["Content-Type"] = content_type
        return requests.post(self.url + path, data=body, headers=headers, timeout=timeout)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> str:
        """Signal the server's process group; return what it printed."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        return self.log.read_text()


def start_server(home: Path, workers: int = 1, endpoint: str | None = None, ready_timeout: float = 90,
                 port: int | None = None) -> Server:
    """`port`: the port of a server that crashed, to restart on it."""
    port = port or free_port()
    log = home / f"serve-{port}-{time.monotonic_ns()}.log"
    args = [str(Path(sys.executable).parent / "lakegate"), "serve", "--port", str(port), "--workers", str(workers)]
    if endpoint:
        args += ["--endpoint", endpoint]
    with open(log, "w") as out:
        proc = subprocess.Popen(args, env=serving_env(home), stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    server = Server(proc, f"http://{HOST}:{port}", log)
    deadline = time.monotonic() + ready_timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"lakegate serve exited with {proc.returncode}: {log.read_text()[-4000:]}")
        try:
            if requests.get(server.url + "/ping", headers=server.headers(), timeout=1).status_code == 200:
                return server
        except requests.RequestException:
            pass
        time.sleep(0.2)
    server.stop(signal.SIGKILL)
    raise TimeoutError(f"lakegate serve not ready in {ready_timeout}s: {log.read_text()[-4000:]}")


def wait_for_workers(home: Path, endpoint: str, count: int, timeout: float = 120) -> list[dict]:
    """The status of `count` live workers serving `endpoint` (each has loaded its models)."""
    from lakegate.serving.routing import worker_states

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = [s for s in worker_states(home) if endpoint in s["endpoints"]]
        if len(states) >= count:
            return states
        time.sleep(0.1)
    raise TimeoutError(f"workers not ready: {worker_states(home)}")
