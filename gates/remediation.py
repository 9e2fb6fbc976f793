"""What an acting monitoring verdict may do, decided as a plain function: never a shortcut.

An ERROR drift or quality verdict on the champion that the endpoint serves:
- rolls the endpoint back to its rollback target (the previous champion, kept at 0 %) when there is
  one, it is another version, and that version was healthy (its own last verdict did not act);
- requests a retraining run of the use case, which goes through every gate and approval again.
Each kind of action on an endpoint then waits the policy's cooldown, so one bad hour does not start
ten retrainings; a verdict already acted on (same window, same version) is not acted on twice.
Without a rollback target the verdict only alerts. WARN verdicts and SLA or model-age verdicts
never act here: they alert (the alert sensor), and a person decides.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from gates.monitoring import DRIFT, QUALITY, MonitorVerdict
from gates.monitoring_policy import MonitoringPolicy

ROLLBACK, RETRAIN, ALERT_ONLY = "rollback", "retrain", "alert_only"
ACTING_FAMILIES = (DRIFT, QUALITY)


@dataclass(frozen=True)
class PastAction:
    """An action already taken on this endpoint (from the audit ledger)."""

    kind: str
    at: dt.datetime
    cause: str  # the verdict's identity (`verdict_id`)


@dataclass(frozen=True)
class PlannedAction:
    kind: str  # rollback | retrain | alert_only
    cause: MonitorVerdict
    reason: str
    rollback_to_version: str | None = None


def verdict_id(verdict: MonitorVerdict) -> str:
    """One verdict's identity: family, version and window; acting twice on it is never right."""
    window = "/".join(verdict.window) if verdict.window else "-"
    return f"{verdict.family}:v{verdict.model_version}:{window}"


def plan_remediation(verdicts: list[MonitorVerdict], champion_version: str | None, rollback_target_version: str | None,
                     target_healthy: bool, past: list[PastAction], policy: MonitoringPolicy,
                     now: dt.datetime) -> list[PlannedAction]:
    """The actions to take now for these verdicts of the served champion (empty when none act)."""
    acting = [v for v in verdicts if v.family in ACTING_FAMILIES and v.outcome == "error"
              and champion_version is not None and v.model_version == champion_version]
    if not acting:
        return []
    cause = acting[0]
    if any(p.cause == verdict_id(cause) for p in past):
        return []
    planned: list[PlannedAction] = []
    if policy.actions.rollback and not _cooling(ROLLBACK, past, policy, now):
        if rollback_target_version is None or rollback_target_version == champion_version:
            planned.append(PlannedAction(ALERT_ONLY, cause, f"{cause.reason}; no previous champion to roll back to"))
        elif not target_healthy:
            planned.append(PlannedAction(ALERT_ONLY, cause, f"{cause.reason}; the previous champion "
                                         f"v{rollback_target_version} was not healthy either, so traffic stays"))
        else:
            planned.append(PlannedAction(ROLLBACK, cause, f"{cause.reason}; rolling back to v{rollback_target_version}",
                                         rollback_to_version=rollback_target_version))
    if policy.actions.retrain and not _cooling(RETRAIN, past, policy, now):
        planned.append(PlannedAction(RETRAIN, cause, f"{cause.reason}; retraining through every gate"))
    return planned


def _cooling(kind: str, past: list[PastAction], policy: MonitoringPolicy, now: dt.datetime) -> bool:
    cooldown = dt.timedelta(minutes=policy.actions.cooldown_minutes)
    return any(p.kind == kind and now - p.at < cooldown for p in past)
