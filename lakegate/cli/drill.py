"""`lakegate drill NAME`: the playbook's rollback and recovery rehearsal, on the real serving runtime.

Under bounded synthetic load (the use case's demo requests), it rolls the endpoint back to its
previous champion and forward again, each through the endpoint manager and its deployment gate,
timing how long until answers come from the other version. Then it kills the server, as losing the
host would, and starts it again from the registry and the control file alone, timing how long until
requests are answered again. Requests that failed in each phase are counted; the result is a
`drill` record in the audit ledger. Exit 1 when the rollback failed a request or recovery took
longer than the target, 2 when there is nothing to drill on.
"""

from __future__ import annotations

import json
import signal
import time
from collections import Counter
from dataclasses import asdict, dataclass

import requests
import typer

RECOVERY_TARGET_SECONDS = 300  # the playbook's example insurer: sub-5-minute recovery
ACTOR = "lakegate/drill"
SWITCH_TIMEOUT_SECONDS = 30  # a traffic change reaches every worker in milliseconds


@dataclass
class DrillResult:
    endpoint: str
    rolled_back_to: str | None
    rollback_seconds: float | None
    forward_seconds: float | None
    rollback_failed_requests: int
    recovery_seconds: float
    recovery_failed_requests: int
    requests: dict

    @property
    def passed(self) -> bool:
        return self.rollback_failed_requests == 0 and self.recovery_seconds <= RECOVERY_TARGET_SECONDS


def drill_command(name: str = typer.Argument(..., help="Serving endpoint, e.g. claims-triage"),
                  as_json: bool = typer.Option(False, "--json", help="Print the result as JSON.")) -> None:
    """Roll back and forward under load, then recover serving after losing the host; record the drill."""
    from lakegate.cli.errors import UsageError
    from lakegate.cli.serving_app import local_endpoints
    from lakegate.environment import current_environment, lakegate_home
    from lakegate.ledger import Ledger
    from lakegate.cli.monitor_status import use_case_served_on
    from ml_assets.features.request_samples import REQUEST_SAMPLES

    use_case = use_case_served_on(name, "endpoint to drill")
    home, env = lakegate_home(), current_environment()
    endpoints = local_endpoints(env, home)
    bodies = REQUEST_SAMPLES[use_case.name](home / "landing")
    if not bodies:
        raise UsageError(f"no landed records to make {name}'s drill traffic from (lakegate data generate)")
    result = run_drill(home, env, endpoints, name, bodies)
    record = Ledger.for_home(home, env).append("drill", ACTOR, {"endpoint": name}, inputs={"requests": len(bodies)},
                                               outcome={**asdict(result), "passed": result.passed},
                                               reason="rollback and recovery drill")
    if as_json:
        typer.echo(json.dumps({**asdict(result), "passed": result.passed, "ledger_seq": record.seq}, indent=2))
    else:
        typer.echo(f"{name}: rollback to {result.rolled_back_to or '(none: one version served)'} in "
                   f"{_seconds(result.rollback_seconds)}, forward in {_seconds(result.forward_seconds)}, "
                   f"{result.rollback_failed_requests} failed requests; recovery after losing the host in "
                   f"{result.recovery_seconds:.1f} s ({result.recovery_failed_requests} requests failed while it was "
                   f"down); by status {result.requests}; ledger record {record.seq}")
    raise typer.Exit(0 if result.passed else 1)


def run_drill(home, env, endpoints, name: str, bodies: list[bytes]) -> DrillResult:
    from lakegate.serving.auth import resolve_tokens
    from lakegate.serving.process import start_lakegate_serve
    from lakegate.serving.replay import Replay

    token = resolve_tokens(env.serving, home).invoke.decode()
    server = start_lakegate_serve(home, token, all_workers=env.serving.workers)
    load = Replay(server.url, name, token, bodies).start()
    try:
        before = endpoints.get(name)
        incumbent, target = before.config.full_share_entity(), before.rollback_target()
        rollback = forward = None
        if target is not None:
            started = time.monotonic()
            endpoints.rollback(name, actor=ACTOR, reason="rollback drill: back to the previous champion")
            rollback = _until_served_by(server.url, name, token, bodies[0], before.config.entity(target), started)
            started = time.monotonic()
            endpoints.set_traffic(name, {e.name: 100 if e.name == incumbent else 0 for e in before.config.served_entities},
                                  actor=ACTOR, reason="rollback drill: forward to the champion again")
            forward = _until_served_by(server.url, name, token, bodies[0], before.config.entity(incumbent), started)
        rolled = Counter(load.statuses)
        server.stop(signal.SIGKILL)  # the host is gone: no drain, no goodbye
        started = time.monotonic()
        server = start_lakegate_serve(home, token, port=server.port, all_workers=env.serving.workers,
                                      ready_timeout=RECOVERY_TARGET_SECONDS)
        recovery = _until_answered(server.url, name, token, bodies[0], started)
        time.sleep(0.5)
    finally:
        statuses = load.stop()
        server.stop()
    return DrillResult(name, target, rollback, forward, _failed(rolled), recovery, _failed(statuses - rolled),
                       {str(k): v for k, v in statuses.items()})


def _failed(statuses: Counter) -> int:
    return sum(n for status, n in statuses.items() if not (isinstance(status, int) and status < 500))


def _until_served_by(url: str, name: str, token: str, body: bytes, entity, started: float) -> float:
    wanted, deadline = f"{entity.entity_name}/{entity.entity_version}", started + SWITCH_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        answer = _post(url, name, token, body)
        if answer is not None and answer.headers.get("x-lakegate-model-version") == wanted:
            return time.monotonic() - started
        time.sleep(0.001)
    raise RuntimeError(f"{name}: no answer from {wanted} within {SWITCH_TIMEOUT_SECONDS} s of the traffic change")


def _until_answered(url: str, name: str, token: str, body: bytes, started: float) -> float:
    while _post(url, name, token, body) is None:
        time.sleep(0.05)
    return time.monotonic() - started


def _post(url: str, name: str, token: str, body: bytes):
    try:
        answer = requests.post(f"{url}/serving-endpoints/{name}/invocations", data=body, timeout=5,
                               headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    except requests.RequestException:
        return None
    return answer if answer.ok else None


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.0f} ms"
