"""The playbook's rollback and recovery rehearsal, on the real serving runtime (`lakegate drill NAME`
and each use case's scheduled drill job run it).

Under bounded synthetic load (the use case's demo requests), it rolls the endpoint back to its
previous champion and forward again, each through the endpoint manager and its deployment gate,
timing how long until answers come from the other version. Then it kills the server, as losing the
host would, and starts it again from the registry and the control file alone, timing how long until
requests are answered again. Requests that failed in each phase are counted; the result is a
`drill` record in the audit ledger.
"""

from __future__ import annotations

import signal
import time
from collections import Counter
from dataclasses import asdict, dataclass, fields

import requests

from lakegate.ledger import Ledger, Record
from lakegate.serving.auth import resolve_tokens
from lakegate.serving.process import start_lakegate_serve
from lakegate.serving.replay import Replay

RECOVERY_TARGET_SECONDS = 300  # the playbook's example insurer: sub-5-minute recovery
ACTOR = "lakegate/drill"
KIND = "drill"  # the ledger record kind
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

    @classmethod
    def from_record(cls, record: Record) -> "DrillResult":
        return cls(**{f.name: record.outcome[f.name] for f in fields(cls)})


def report(result: DrillResult, ledger_seq: int) -> str:
    """The drill in one sentence, as `lakegate drill` and the demo print it."""
    return (f"{result.endpoint}: rollback to {result.rolled_back_to or '(none: one version served)'} in "
            f"{millis_text(result.rollback_seconds)}, forward in {millis_text(result.forward_seconds)}, "
            f"{result.rollback_failed_requests} failed requests; recovery after losing the host in "
            f"{result.recovery_seconds:.1f} s ({result.recovery_failed_requests} requests failed while it was "
            f"down); by status {result.requests}; ledger record {ledger_seq}")


def drill_and_record(home, env, endpoints, name: str, bodies: list[bytes], ledger: Ledger) -> tuple[DrillResult, Record]:
    """Run the drill on endpoint `name` under the load of `bodies`, and write its ledger record."""
    result = run_drill(home, env, endpoints, name, bodies)
    record = ledger.append(KIND, ACTOR, {"endpoint": name}, inputs={"requests": len(bodies)},
                           outcome={**asdict(result), "passed": result.passed}, reason="rollback and recovery drill")
    return result, record


def last_drill(ledger: Ledger, name: str) -> Record | None:
    """The endpoint's latest drill record, if it was ever drilled."""
    found = ledger.records(kind=KIND, subject_filter={"endpoint": name})
    return found[-1] if found else None


def run_drill(home, env, endpoints, name: str, bodies: list[bytes]) -> DrillResult:
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


def millis_text(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.0f} ms"
