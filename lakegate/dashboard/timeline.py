"""The Alerts and actions panel: a timeline of alerts (`<catalog>.monitoring.alerts`), rollbacks and
retraining requests, each action with the verdict that caused it (its ledger record)."""

from __future__ import annotations

from lakegate.alerting.table import alerts_table_name
from lakegate.dashboard.facts import ModelFacts
from lakegate.dashboard.reads import Snapshot, latest
from lakegate.lake import Lake
from lakegate.ledger import Record

ALERT_COLUMNS = ["time", "kind", "severity", "key", "title", "delivery_status"]


def alerts(lake: Lake, facts: ModelFacts) -> tuple[Snapshot, list[dict]]:
    """Alerts about this use case: those whose check key or title names its use case or endpoint."""
    snapshot = latest(lake, str(alerts_table_name(facts.catalog)), ALERT_COLUMNS)
    if snapshot.rows is None:
        return snapshot, []
    names = (facts.use_case, facts.endpoint)
    rows = [r for r in snapshot.rows.to_pylist()
            if any(n in (r["key"] or "") or n in (r["title"] or "") for n in names)]
    return snapshot, [{**r, "time": r["time"].isoformat()} for r in sorted(rows, key=lambda r: r["time"])]


def actions(records: list[Record], endpoint: str) -> list[dict]:
    """Rollbacks, retraining requests and alert-only decisions of the monitor, and every rollback by
    hand, each with what caused it."""
    out = []
    for r in records:
        if r.subject.get("endpoint") != endpoint:
            continue
        if r.kind == "monitor_action":
            verdict = r.inputs.get("verdict") or {}
            out.append({"time": r.time, "event": r.subject.get("action"), "seq": r.seq, "actor": r.actor,
                        "verdict": f"{verdict.get('family')} {verdict.get('outcome')} on v{verdict.get('model_version')}",
                        "reason": verdict.get("reason") or r.reason})
        elif r.kind in ("rollback", "break_glass"):
            out.append({"time": r.time, "event": r.kind, "seq": r.seq, "actor": r.actor, "verdict": None,
                        "reason": r.reason})
    return out


def events(alert_rows: list[dict], action_rows: list[dict]) -> list[dict]:
    """One row per point on the timeline chart: alerts by severity, actions by kind."""
    return sorted([{"time": a["time"], "lane": "alert", "label": f"{a['severity']}: {a['title']}", "kind": a["severity"]}
                   for a in alert_rows] +
                  [{"time": a["time"].replace("Z", "+00:00"), "lane": a["event"], "label": a["reason"] or "",
                    "kind": a["event"]} for a in action_rows], key=lambda e: e["time"])
