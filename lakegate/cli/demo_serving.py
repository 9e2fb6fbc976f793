"""The demo's last act: the release manager signs each deployment, each champion goes to its use
case's endpoint, and the demo scores a request on each through `lakegate serve`.

The first run creates each endpoint with its champion at 100 %. A later run, with a new champion,
rolls it out as a canary against the incumbent while the demo replays landed records as traffic.
"""

from __future__ import annotations

import json
from pathlib import Path

import requests

from lakegate.cli.materialize import console, print_summary, run_graph
from lakegate.environment import current_environment
from lakegate.serving.auth import resolve_tokens
from lakegate.serving.process import ServerProcess, start_lakegate_serve


def deploy_and_serve(home: Path, use_cases: list) -> bool:
    """True when every deployment's checks passed."""
    from lakegate.serving.control import LocalEndpoints
    from ml_assets import keys
    from ml_assets.features.request_samples import REQUEST_SAMPLES

    existing = {e.name for e in LocalEndpoints(home).list()}  # a read: no gate needed
    for use_case in use_cases:
        sign_deployment_approval(home, use_case)
    server = DemoServer.start(home) if any(keys.endpoint_name(u) in existing for u in use_cases) else None
    replays = []
    try:
        for use_case in use_cases:
            endpoint, sample = keys.endpoint_name(use_case), REQUEST_SAMPLES.get(use_case.name)
            if server is not None and endpoint in existing and sample is not None:
                replays.append(server.replay(endpoint, sample(home / "landing")))
                console.print(f"replaying landed records against {endpoint} so the canary can be judged")
        deployed = run_graph(keys.selection(keys.DEPLOYMENT))
        for replay in replays:
            console.print(f"replayed requests by status: {dict(replay.stop())}")
        print_summary(deployed)
        print_rollout(deployed)
        if server is None and deployed.success:
            server = DemoServer.start(home)
        for use_case in use_cases if server is not None else ():
            sample = REQUEST_SAMPLES.get(use_case.name)
            if sample is not None:
                server.show_one_answer(keys.endpoint_name(use_case), sample(home / "landing", limit=1)[0])
    finally:
        if server is not None:
            server.stop()
    console.print("serve it yourself: .venv/bin/lakegate serve  (then curl as README shows);  "
                  f"status: .venv/bin/lakegate endpoint status {keys.endpoint_name(use_cases[0])}")
    return deployed.success


def sign_deployment_approval(home: Path, use_case) -> None:
    from lakegate.cli.demo_people import sign_required_roles
    from lakegate.registry import Registry
    from ml_assets import keys

    name = use_case.registered_model_name("prod")
    version = str(Registry.from_env(home=home).model_version(name, "champion").version)
    endpoint = keys.endpoint_name(use_case)
    sign_required_roles(home, use_case.name, name, version, "deployment", f"Deploy {name} v{version} to {endpoint}",
                        endpoint=endpoint)


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
    """`lakegate serve` in a subprocess on a free port (lakegate/serving/process.py), ready once every
    worker has loaded its models, stopped with SIGTERM (which flushes its inference log)."""

    def __init__(self, process: ServerProcess, token: str):
        self.process, self.url, self.token = process, process.url, token

    @classmethod
    def start(cls, home: Path, timeout: float = 120) -> "DemoServer":
        env = current_environment()
        token = resolve_tokens(env.serving, home).invoke.decode()
        log = home / "logs" / "demo-serve.log"
        console.print(f"starting the serving runtime (log: {log})")
        process = start_lakegate_serve(home, token, log=log, all_workers=env.serving.workers, ready_timeout=timeout)
        console.print(f"serving on {process.url}")
        return cls(process, token)

    def _auth(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}

    def replay(self, endpoint: str, bodies: list[bytes]):
        from lakegate.serving.replay import Replay

        return Replay(self.url, endpoint, self.token, bodies).start()

    def show_one_answer(self, endpoint: str, body: bytes) -> None:
        answer = requests.post(f"{self.url}/serving-endpoints/{endpoint}/invocations", data=body, timeout=30,
                               headers={**self._auth(), "Content-Type": "application/json"})
        sent = json.loads(body)["dataframe_records"][0]
        console.print(f"scored on {endpoint} {json.dumps(sent, default=str)[:160]} (features looked up online): "
                      f"{answer.status_code} {answer.text} from {answer.headers.get('x-lakegate-model-version')}")

    def stop(self) -> None:
        self.process.stop()
        console.print("serving runtime stopped; its inference logs are in dev.serving.<endpoint>_inference_log")
