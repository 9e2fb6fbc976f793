"""Monitoring verdicts and the actions they caused, as audit-ledger records.

A verdict is recorded when it changes: its family's outcome on that endpoint's model version
differs from the last one recorded (pass → warn, error → pass, ...). So the ledger keeps every
transition without a record per hourly refresh, and remediation reads a version's health and the
actions already taken from it.
"""

from __future__ import annotations

import datetime as dt

from gates.monitoring import MonitorVerdict
from gates.remediation import PastAction, PlannedAction, verdict_id
from lakegate.ledger import Ledger

MONITOR_ACTOR = "lakegate/monitor"
VERDICT_KIND, ACTION_KIND = "monitor_verdict", "monitor_action"


def record_verdicts(ledger: Ledger, endpoint: str, model: str, verdicts: list[MonitorVerdict]) -> int:
    """Append the verdicts whose outcome changed; returns how many were appended."""
    last: dict[tuple, str] = {}
    for record in ledger.records(kind=VERDICT_KIND, subject_filter={"endpoint": endpoint}):
        last[(record.subject.get("family"), record.subject.get("version"))] = record.outcome.get("outcome")
    appended = 0
    for verdict in verdicts:
        # Unknown changes nothing; a version starts out as passing, so its first pass is no news.
        if verdict.outcome == "none" or last.get((verdict.family, verdict.model_version), "pass") == verdict.outcome:
            continue
        ledger.append(VERDICT_KIND, MONITOR_ACTOR,
                      {"endpoint": endpoint, "model": model, "version": verdict.model_version, "family": verdict.family},
                      inputs={"window": verdict.window, "figures": verdict.figures, "policy_version": verdict.policy_version,
                              "policy_sha256": verdict.policy_sha256},
                      outcome={"outcome": verdict.outcome, "verdict_id": verdict_id(verdict)}, reason=verdict.reason)
        appended += 1
    return appended


def acted_on_version(ledger: Ledger, endpoint: str, version: str) -> bool:
    """Whether any verdict on this version ever reached an acting (error) outcome: such a version is
    not a healthy place to roll back to."""
    return any(r.subject.get("version") == version and r.outcome.get("outcome") == "error"
               for r in ledger.records(kind=VERDICT_KIND, subject_filter={"endpoint": endpoint}))


def past_actions(ledger: Ledger, endpoint: str) -> list[PastAction]:
    return [PastAction(r.subject.get("action"), dt.datetime.fromisoformat(r.time.replace("Z", "+00:00")),
                       r.inputs.get("verdict_id"))
            for r in ledger.records(kind=ACTION_KIND, subject_filter={"endpoint": endpoint})]


def record_action(ledger: Ledger, endpoint: str, model: str, action: PlannedAction, actor: str = MONITOR_ACTOR,
                  outcome: dict | None = None):
    """Written before the action is taken (as every control-plane change is)."""
    return ledger.append(ACTION_KIND, actor, {"endpoint": endpoint, "model": model, "action": action.kind},
                         inputs={"verdict_id": verdict_id(action.cause), "verdict": action.cause.to_dict(),
                                 "rollback_to_version": action.rollback_to_version},
                         outcome=outcome or {"planned": True}, reason=action.reason)
