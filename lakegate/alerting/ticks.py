"""One tick of each alert sensor, as plain functions of a Dagster instance and the sensor's cursor.

State survives restarts in the sensor's cursor, which Dagster stores with each tick: per watched
key its KeyState (ok, open or held, and the failure), and for checks the last execution id read.
A tick records its alerts in the table before it returns the new cursor, with stable ids, so a tick
that runs again after a crash stores nothing twice (docs/decisions/0024-alert-sensor.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

import dagster as dg

from lakegate.alerting.check_events import new_evaluations
from lakegate.alerting.dispatch import deliver_pending
from lakegate.alerting.liveness import liveness_observations
from lakegate.alerting.notifiers import notifiers_for
from lakegate.alerting.table import AlertTable, notice_row, outbox_rows
from lakegate.alerting.transitions import OK, KeyState, Notice, observe, release
from lakegate.environment import AlertsConfig, Environment

CURSOR_VERSION = 1


@dataclass
class TickResult:
    cursor: str
    notices: list[Notice] = field(default_factory=list)
    recorded: int = 0
    deliveries: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        fired = ", ".join(n.title for n in self.notices) or "no transition"
        return f"{fired}; {self.recorded} new alert rows; deliveries {self.deliveries}"


def check_alert_tick(instance: dg.DagsterInstance, check_keys: Iterable[dg.AssetCheckKey], cursor: str | None,
                     env: Environment, home: Path, now: float, environ: Mapping[str, str] | None = None) -> TickResult:
    """Read new check evaluations, turn transitions into alerts, record and deliver them."""
    seen, states = _load(cursor)
    config = env.alerts
    notices = []
    for name, execution_id, obs in new_evaluations(instance, check_keys, seen):
        states[name], notice = observe(states.get(name, KeyState()), obs, config.cooldown_for(name))
        seen[name] = execution_id
        notices.extend([notice] if notice else [])
    notices += _release_held(states, now, config)
    return _publish(notices, "asset check", seen, states, env, home, environ)


def liveness_tick(instance: dg.DagsterInstance, names: Iterable[str] | None, cursor: str | None,
                  env: Environment, home: Path, now: float, environ: Mapping[str, str] | None = None) -> TickResult:
    """Alert on sensors and schedules that stopped ticking, and resolve when they tick again."""
    seen, states = _load(cursor)
    config = env.alerts
    notices = []
    for obs in liveness_observations(instance, now, config.liveness_tolerance, names):
        states[obs.key], notice = observe(states.get(obs.key, KeyState()), obs, config.cooldown_for(obs.key))
        notices.extend([notice] if notice else [])
    notices += _release_held(states, now, config)
    return _publish(notices, "liveness", seen, states, env, home, environ)


def _release_held(states: dict[str, KeyState], now: float, config: AlertsConfig) -> list[Notice]:
    notices = []
    for key in sorted(states):
        states[key], notice = release(states[key], now, config.cooldown_for(key))
        notices.extend([notice] if notice else [])
    return notices


def _publish(notices: list[Notice], source: str, seen: dict[str, int], states: dict[str, KeyState],
             env: Environment, home: Path, environ: Mapping[str, str] | None) -> TickResult:
    config = env.alerts
    table = AlertTable(home, env.catalog)
    rows = [notice_row(n, source, config.routes.get(n.severity, [])) for n in notices]
    # Alerts raised outside the sensors (break-glass) wait in the JSONL outbox; bring them in too.
    rows += outbox_rows(home, lambda severity: config.routes.get(severity, []))
    recorded = table.record(rows)
    deliveries = deliver_pending(table, notifiers_for(config, environ), config.delivery_attempts)
    # A key that is ok and never fired is the default state: the cursor keeps only the others.
    kept = {k: s.to_json() for k, s in sorted(states.items()) if s.status != OK or s.fired_at is not None}
    cursor = json.dumps({"version": CURSOR_VERSION, "seen": seen, "keys": kept}, sort_keys=True)
    return TickResult(cursor, notices, recorded, deliveries)


def _load(cursor: str | None) -> tuple[dict[str, int], dict[str, KeyState]]:
    if not cursor:
        return {}, {}
    raw = json.loads(cursor)
    if raw.get("version") != CURSOR_VERSION:
        raise ValueError(f"alert sensor cursor has version {raw.get('version')!r}, expected {CURSOR_VERSION}; "
                         "reset the sensor's cursor to start from the present")
    return dict(raw["seen"]), {k: KeyState.from_json(v) for k, v in raw["keys"].items()}
