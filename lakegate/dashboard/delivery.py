"""The Delivery panel, from the audit ledger alone: cycle time from registration to champion,
deployment frequency, rollbacks with their recovery time, and the last rollback drill."""

from __future__ import annotations

import datetime as dt

from lakegate.ledger import Record

RECENT_DAYS = 30  # deployment frequency counts this many days back from now


def when(record_time: str) -> dt.datetime:
    return dt.datetime.fromisoformat(record_time.replace("Z", "+00:00"))


def cycle_times(records: list[Record], prod_model: str) -> list[dict]:
    """Each time a version became prod champion: hours since its artifact was registered (trained)."""
    trained = {r.subject.get("artifact_sha256"): r for r in records if r.kind == "training"}
    promoted = {r.subject.get("version"): r.subject.get("artifact_sha256") for r in records
                if r.kind == "promotion" and r.subject.get("model") == prod_model}
    out = []
    for r in records:
        if r.kind == "alias_move" and r.subject.get("model") == prod_model and r.inputs.get("alias") == "champion" \
                and r.inputs.get("to_version") is not None:
            origin = trained.get(promoted.get(r.inputs["to_version"]))
            hours = None if origin is None else (when(r.time) - when(origin.time)).total_seconds() / 3600
            out.append({"version": r.inputs["to_version"], "registered": origin.time if origin else None,
                        "champion": r.time, "hours": hours})
    return out


def deployments(records: list[Record], endpoint: str, now: dt.datetime) -> dict:
    done = [r for r in records if r.kind in ("deployment", "traffic_change") and r.subject.get("endpoint") == endpoint]
    recent = [r for r in done if now - when(r.time) <= dt.timedelta(days=RECENT_DAYS)]
    return {"total": len(done), "recent": len(recent), "recent_days": RECENT_DAYS,
            "per_week": round(len(recent) / (RECENT_DAYS / 7), 2), "last": done[-1].time if done else None}


def rollbacks(records: list[Record], endpoint: str) -> list[dict]:
    """Every rollback of the endpoint; one the monitor asked for carries its recovery time, from the
    acting verdict's action record (written before acting) to the rollback that served the old version."""
    planned = [r for r in records if r.kind == "monitor_action" and r.subject.get("endpoint") == endpoint
               and r.subject.get("action") == "rollback"]
    out = []
    for r in records:
        if r.kind != "rollback" or r.subject.get("endpoint") != endpoint:
            continue
        cause = next((p for p in reversed(planned) if p.seq < r.seq and f"ledger record {p.seq}" in (r.reason or "")),
                     None)
        out.append({"time": r.time, "actor": r.actor, "reason": r.reason, "seq": r.seq,
                    "to": (r.outcome.get("to") or {}).get("served_entities"),
                    "recovery_seconds": None if cause is None else (when(r.time) - when(cause.time)).total_seconds(),
                    "verdict": None if cause is None else cause.inputs.get("verdict_id")})
    return out


def last_drill(records: list[Record], endpoint: str) -> dict | None:
    drills = [r for r in records if r.kind == "drill" and r.subject.get("endpoint") == endpoint]
    if not drills:
        return None
    r = drills[-1]
    return {"time": r.time, "seq": r.seq, **{k: r.outcome.get(k) for k in (
        "passed", "rolled_back_to", "rollback_seconds", "forward_seconds", "rollback_failed_requests",
        "recovery_seconds", "recovery_failed_requests")}}
