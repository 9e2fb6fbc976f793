"""The demo's last act: the release manager signs the deployment, the champion goes to the
`claims-triage` endpoint, and the demo scores claims through `lakegate serve`.

The first run creates the endpoint with the champion at 100 %. A later run, with a new champion,
rolls it out as a canary against the incumbent while the demo replays landed claims as traffic.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from lakegate.cli.materialize import console, print_summary, run_graph

RELEASE_MANAGER = ("rel.manager", "release_manager")
DEPLOY = "group:deployment"


def deploy_and_serve(home: Path) -> bool:
    """True when the deployment's checks passed."""
    from lakegate.serving.control import LocalEndpoints
    from ml_assets.deployment.assets import ENDPOINT

    sign_deployment_approval(home)
    existing = any(e.name == ENDPOINT for e in LocalEndpoints(home).list())  # a read: no gate needed
    server = DemoServer.start(home) if existing else None
    replay = None
    try:
        if server is not None:
            replay = server.replay(ENDPOINT)
            console.print(f"replaying landed claims against {server.url} so the canary can be judged")
        deployed = run_graph(DEPLOY)
        if replay is not None:
            console.print(f"replayed requests by status: {dict(replay.stop())}")
        print_summary(deployed)
        print_rollout(deployed)
        if server is None and deployed.success:
            server = DemoServer.start(home)
        if server is not None:
            server.show_one_answer(ENDPOINT)
    finally:
        if server is not None:
            server.stop()
    console.print(f"serve it yourself: .venv/bin/lakegate serve  (then curl as README shows);  "
                  f"status: .venv/bin/lakegate endpoint status {ENDPOINT}")
    return deployed.success


def sign_deployment_approval(home: Path) -> None:
    from lakegate.cli.demo import demo_sign, demo_ticket
    from lakegate.registry import Registry
    from ml_assets.deployment.assets import ENDPOINT

    name = "prod.claims.triage_model"
    version = Registry.from_env(home=home).model_version(name, "champion").version
    ticket = demo_ticket(home, name, version, f"Deploy {name} v{version} to the {ENDPOINT} endpoint")
    principal, role = RELEASE_MANAGER
    demo_sign(home, principal, role, name, version, ticket, "deployment", endpoint=ENDPOINT)


def print_rollout(outcome) -> None:
    from rich.table import Table

    for check in outcome.checks:
        if check.check_name not in ("deployment_approvals", "canary_health"):
            continue
        colour = "green" if check.passed else "red"
        console.print(f"[{colour}]{check.check_name}: {'passed' if check.passed else 'FAILED'}[/] {check.description or ''}")
        steps = check.metadata.get("steps")
        if check.check_name == "canary_health" and steps is not None and steps.value:
            grid = Table("canary %", "seconds", "requests (canary / incumbent)", "p99 ms", "score PSI", "verdict")
            for step in steps.value:
                verdict = step.get("verdict") or {}
                measured = verdict.get("measured", {})
                c, i = measured.get("canary", {}), measured.get("incumbent", {})
                grid.add_row(str(step["traffic"]), f"{step['seconds']:.1f}",
                             f"{c.get('requests', '-')} / {i.get('requests', '-')}" if verdict else "-",
                             f"{c.get('p99_latency_ms', '-')} / {i.get('p99_latency_ms', '-')}" if verdict else "-",
                             str(measured.get("score_psi", "-")) if verdict else "-",
                             ("healthy" if verdict.get("passed") else "UNHEALTHY") if verdict else "full traffic")
            console.print(grid)


class DemoServer:
    """`lakegate serve` in a subprocess on a free port, stopped with SIGTERM (which flushes its log)."""

    def __init__(self, proc: subprocess.Popen, url: str, token: str, home: Path):
        self.proc, self.url, self.token, self.home = proc, url, token, home

    @classmethod
    def start(cls, home: Path, timeout: float = 120) -> "DemoServer":
        from lakegate.environment import current_environment
        from lakegate.serving.auth import resolve_tokens

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        log = open(home / "logs" / "demo-serve.log", "w")
        proc = subprocess.Popen([sys.executable, "-m", "lakegate.cli.main", "serve", "--port", str(port)],
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        server = cls(proc, f"http://127.0.0.1:{port}", resolve_tokens(current_environment().serving, home).invoke.decode(), home)
        console.print(f"starting the serving runtime on {server.url} (log: {log.name})")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"lakegate serve exited with {proc.returncode}; see {log.name}")
            if server._workers_ready():
                return server
            time.sleep(0.3)
        server.stop()
        raise RuntimeError(f"lakegate serve was not ready in {timeout:.0f} s; see {log.name}")

    def _workers_ready(self) -> bool:
        from lakegate.environment import current_environment
        from lakegate.serving.routing import worker_states

        try:
            ok = requests.get(self.url + "/ping", headers=self._auth(), timeout=1).status_code == 200
        except requests.RequestException:
            return False
        return ok and len(worker_states(self.home)) >= current_environment().serving.workers

    def _auth(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}

    def replay(self, endpoint: str):
        from lakegate.serving.replay import Replay, landed_claim_requests

        return Replay(self.url, endpoint, self.token, landed_claim_requests(self.home / "landing")).start()

    def show_one_answer(self, endpoint: str) -> None:
        from lakegate.serving.replay import landed_claim_requests

        body = landed_claim_requests(self.home / "landing", limit=1)[0]
        answer = requests.post(f"{self.url}/serving-endpoints/{endpoint}/invocations", data=body, timeout=30,
                               headers={**self._auth(), "Content-Type": "application/json"})
        sent = json.loads(body)["dataframe_records"][0]
        console.print(f"scored claim {sent['claim_id']} (member and provider features looked up online): "
                      f"{answer.status_code} {answer.text} from {answer.headers.get('x-lakegate-model-version')}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        console.print("serving runtime stopped; its inference log is in dev.serving.claims_triage_inference_log")
