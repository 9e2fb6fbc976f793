"""Promotion as plain functions: record gate verdicts, refuse without passing ones, copy a version
into the next catalog, move aliases. Every step is an audit-ledger record.

Fail-closed: a promotion reads the ledger for the latest verdict of every required gate on the
exact (model, version, artifact hash) it is about to promote. A missing verdict, a failed one, or
a verdict about another artifact stops it, whoever asked and however the run was launched.
"""

from __future__ import annotations

from dataclasses import dataclass

from gates.verdict import GateVerdict
from lakegate.ledger import Ledger
from lakegate.registry import Registry, Tags

GATE_ACTOR = "lakegate/gates"


class PromotionRefused(Exception):
    """A promotion whose gates have not all passed; the message says which and why."""


@dataclass(frozen=True)
class Promotion:
    source: str  # name vN
    target_name: str
    target_version: str
    alias: str
    previous: str | None  # the version the alias pointed at before


def subject(model: str, version: str, artifact_hash: str) -> dict:
    return {"model": model, "version": str(version), "artifact_sha256": artifact_hash}


def record_verdict(ledger: Ledger, verdict: GateVerdict, model: str, version: str, artifact_hash: str, actor: str = GATE_ACTOR):
    return ledger.append(
        "gate_evaluation", actor, {**subject(model, version, artifact_hash), "gate": verdict.gate},
        inputs={"thresholds": verdict.thresholds, "policy_version": verdict.policy_version},
        outcome={"passed": verdict.passed, "measured": verdict.measured},
        reason=verdict.reason,
    )


def gate_status(ledger: Ledger, model: str, version: str, artifact_hash: str, gates: list[str]) -> dict[str, str]:
    """For each required gate, 'passed' or why not, from the latest verdict on this exact subject."""
    latest: dict[str, dict] = {}
    for record in ledger.records(kind="gate_evaluation", subject_filter={"model": model, "version": str(version)}):
        if record.subject.get("artifact_sha256") == artifact_hash:
            latest[record.subject.get("gate")] = {"passed": record.outcome.get("passed") is True, "reason": record.reason}
    status = {}
    for gate in gates:
        found = latest.get(gate)
        status[gate] = "passed" if found and found["passed"] else (f"failed: {found['reason']}" if found else "no verdict")
    return status


def require_gates(ledger: Ledger, model: str, version: str, artifact_hash: str, gates: list[str]) -> None:
    check = ledger.verify()
    if not check.ok:  # verdicts read from a tampered ledger prove nothing
        problems = "; ".join(str(p) for p in check.problems[:3])
        raise PromotionRefused(f"{model} v{version} cannot be promoted: the audit ledger fails verification ({problems})")
    status = gate_status(ledger, model, version, artifact_hash, gates)
    blocking = {g: s for g, s in status.items() if s != "passed"}
    if blocking:
        detail = "; ".join(f"{g}: {s}" for g, s in blocking.items())
        raise PromotionRefused(f"{model} v{version} cannot be promoted: {detail}")


def move_alias(registry: Registry, ledger: Ledger, name: str, alias: str, version: str, actor: str, reason: str) -> str | None:
    previous = registry.alias_version(name, alias)
    registry.set_alias(name, alias, version)
    ledger.append_alias_move(actor, name, alias, previous, version, reason)
    return previous


def promote(registry: Registry, ledger: Ledger, source_name: str, source_version: str, artifact_hash: str,
            target_name: str, alias: str, required_gates: list[str], actor: str, reason: str) -> Promotion:
    """Copy a gated version into the next catalog and point `alias` at the copy.

    Promoting to `champion` keeps the version it replaces as `previous_champion` for rollback."""
    require_gates(ledger, source_name, source_version, artifact_hash, required_gates)
    source = registry.model_version(source_name, source_version)
    copied = registry.client.copy_model_version(f"models:/{source_name}/{source.version}", target_name)
    for key, value in (source.tags or {}).items():
        registry.client.set_model_version_tag(target_name, copied.version, key, value)
    registry.client.set_model_version_tag(target_name, copied.version, "lakegate.promoted_from", f"{source_name}/{source.version}")
    registry.client.set_model_version_tag(target_name, copied.version, "lakegate.artifact_sha256", artifact_hash)
    ledger.append(
        "promotion", actor, {"model": target_name, "version": str(copied.version), "artifact_sha256": artifact_hash},
        inputs={"from": f"{source_name}/{source.version}", "gates": required_gates}, outcome={"alias": alias}, reason=reason,
    )
    previous = move_alias(registry, ledger, target_name, alias, copied.version, actor, reason)
    if alias == "champion" and previous is not None:
        move_alias(registry, ledger, target_name, "previous_champion", previous, actor,
                   f"kept for instant rollback when v{copied.version} became champion")
    return Promotion(f"{source_name} v{source.version}", target_name, str(copied.version), alias, previous)


def trained_by(registry: Registry, name: str, version: str) -> str | None:
    return (registry.model_version(name, version).tags or {}).get(Tags.PRINCIPAL)
