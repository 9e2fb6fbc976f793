"""One emulator process per test module, reached only through databricks-sdk's WorkspaceClient."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from databricks.sdk import WorkspaceClient

REPO = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 60


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


@pytest.fixture(scope="module")
def emulator(tmp_path_factory) -> RunningEmulator:
    root = tmp_path_factory.mktemp("workspace")
    env = {key: value for key, value in os.environ.items() if not key.startswith("DATABRICKS_")}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    process = subprocess.Popen([sys.executable, "-m", "databricks_emulator", "--port", "0", "--root", str(root)],
                               stdout=subprocess.PIPE, stderr=(root.parent / "emulator.log").open("wb"),
                               text=True, env=env, cwd=root)
    try:
        announced = _read_announcement(process)
        yield RunningEmulator(announced["DATABRICKS_HOST"], announced["DATABRICKS_TOKEN"], root)
    finally:
        process.terminate()
        process.wait(30)


@pytest.fixture(scope="module")
def workspace(emulator: RunningEmulator) -> WorkspaceClient:
    return emulator.client()
