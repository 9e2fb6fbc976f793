"""A server in a subprocess: started in its own session, ready once its health route answers, stopped
with the signal it drains on, its output kept in a log file.

One helper for every place that runs a server and waits for it: the demo, the serving tests and the
benches start `lakegate serve` with `start_lakegate_serve`, and a bench starts the servers it
compares with (`mlflow models serve`, a bare uvicorn app) with `ServerProcess.start`.

Its own session, because `lakegate serve` and uvicorn fork workers: a signal to the process group
reaches them all, and a Ctrl-C in the caller's terminal does not. SIGTERM is the graceful stop
(`lakegate serve` then drains its inference log once more); SIGKILL follows if it does not exit.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, Sequence

import requests

from lakegate.serving.worker_status import worker_states

HOST = "127.0.0.1"
HEALTH_PATH = "/ping"  # MLflow's scoring server and `lakegate serve` alike


def free_port(host: str = HOST) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


@dataclass
class ServerProcess:
    proc: subprocess.Popen
    url: str
    log: Path

    @classmethod
    def start(cls, args: Sequence[str], url: str, log: Path, env: Mapping[str, str] | None = None,
              headers: Mapping[str, str] | None = None, ready_timeout: float = 90,
              ready: Callable[[], bool] | None = None) -> "ServerProcess":
        """Run `args` and return once GET `url`/ping answers 200 (and `ready()` holds, when given).
        A server that exits or is not ready in time is stopped and raises, quoting the end of its log."""
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "w") as out:
            proc = subprocess.Popen(list(args), env=None if env is None else dict(env), stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        server = cls(proc, url, log)
        server.wait_ready(dict(headers or {}), ready_timeout, ready)
        return server

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def wait_ready(self, headers: dict[str, str], timeout: float, ready: Callable[[], bool] | None = None) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.proc.args[0]} exited with {self.proc.returncode}; "
                                   f"log {self.log}:\n{self.log_tail()}")
            try:
                healthy = requests.get(self.url + HEALTH_PATH, headers=headers, timeout=1).status_code == 200
            except requests.RequestException:
                healthy = False
            if healthy and (ready is None or ready()):
                return
            time.sleep(0.1)
        self.stop(signal.SIGKILL)
        raise TimeoutError(f"{self.url} was not ready in {timeout:.0f} s; log {self.log}:\n{self.log_tail()}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> str:
        """Signal the server's process group, SIGKILL it after `timeout`; return what it printed."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, sig)
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
            except ProcessLookupError:  # it exited between poll() and killpg()
                self.proc.wait(timeout=10)
        return self.log.read_text(errors="replace")

    def log_tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:]


def start_lakegate_serve(home: Path, token: str, *, port: int | None = None, workers: int | None = None,
                         endpoint: str | None = None, env: Mapping[str, str] | None = None, log: Path | None = None,
                         all_workers: int | None = None, ready_timeout: float = 90) -> ServerProcess:
    """`lakegate serve` on `home` (its environment from `env`, else this process's), ready when /ping
    answers with the invoke `token`, and when `all_workers` are given, once that many workers have
    loaded their models. `port`: a crashed server's, to restart on it."""
    port = port or free_port()
    args = [sys.executable, "-m", "lakegate.cli.main", "serve", "--port", str(port)]
    if workers:
        args += ["--workers", str(workers)]
    if endpoint:
        args += ["--endpoint", endpoint]
    log = log or home / "logs" / f"serve-{port}-{time.monotonic_ns()}.log"
    ready = None if not all_workers else (lambda: len(worker_states(home)) >= all_workers)
    return ServerProcess.start(args, f"http://{HOST}:{port}", log, env=env, ready=ready, ready_timeout=ready_timeout,
                               headers={"Authorization": f"Bearer {token}"})


def wait_for_workers(home: Path, count: int, endpoint: str | None = None, timeout: float = 120) -> list[dict]:
    """The status of `count` live workers (serving `endpoint`, when named), each with its models loaded."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = [s for s in worker_states(home) if endpoint is None or endpoint in s["endpoints"]]
        if len(states) >= count:
            return states
        time.sleep(0.1)
    raise TimeoutError(f"{count} workers not ready in {timeout:.0f} s: {worker_states(home)}")
