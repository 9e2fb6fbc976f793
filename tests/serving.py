"""A real `lakegate serve` for the serving tests, through the product's own helper
(lakegate/serving/process.py), with the tests' tokens and environment."""

from __future__ import annotations

import os
from pathlib import Path

import requests

from lakegate.serving import process
from lakegate.serving.process import ServerProcess

INVOKE_TOKEN = "invoke-token-for-tests-0123456789"
ADMIN_TOKEN = "admin-token-for-tests-0123456789"


def serving_env(home: Path) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if k not in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")}
    return {**inherited, "LAKEGATE_HOME": str(home), "LAKEGATE_ENV": "local",
            "LAKEGATE_PII_HMAC_KEY": os.environ.get("LAKEGATE_PII_HMAC_KEY", "test-key-0123456789abcdef"),
            "LAKEGATE_SERVING_INVOKE_TOKEN": INVOKE_TOKEN, "LAKEGATE_SERVING_ADMIN_TOKEN": ADMIN_TOKEN,
            "MLFLOW_DISABLE_TELEMETRY": "true"}


class Server(ServerProcess):
    def headers(self, token: str = INVOKE_TOKEN, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}", **extra}

    def post(self, path: str, body: bytes, content_type: str | None = "application/json", token: str = INVOKE_TOKEN,
             timeout: float = 10) -> requests.Response:
        headers = self.headers(token)
        if content_type is not None:
            headers["Content-Type"] = content_type
        return requests.post(self.url + path, data=body, headers=headers, timeout=timeout)


def start_server(home: Path, workers: int = 1, endpoint: str | None = None, ready_timeout: float = 90,
                 port: int | None = None) -> Server:
    """`port`: the port of a server that crashed, to restart on it."""
    started = process.start_lakegate_serve(home, INVOKE_TOKEN, port=port, workers=workers, endpoint=endpoint,
                                           env=serving_env(home), ready_timeout=ready_timeout)
    return Server(started.proc, started.url, started.log)


def wait_for_workers(home: Path, endpoint: str, count: int, timeout: float = 120) -> list[dict]:
    """The status of `count` live workers serving `endpoint` (each has loaded its models)."""
    return process.wait_for_workers(home, count, endpoint, timeout)
