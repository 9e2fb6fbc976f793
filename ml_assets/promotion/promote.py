"""Promotion as plain functions: record gate verdicts, copy a version into the next catalog, move
aliases. Every step is an audit-ledger record.

Fail-closed, decided at the moment of acting (gates/decision.py): right before it copies and moves
an alias, a promotion computes the artifact hash, re-evaluates every required gate in its own
process on that state, and acts only when each passes now and agrees with the verdict its blocking
check recorded. A verdict in the ledger alone never promotes anything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from gates.decision import decision_problems
from gates.verdict import GateVerdict
from gates.verdict_records import PROMOTION, checked_verdicts, record_verdict, subject
from lakegate.artifact import model_artifact_hash
from lakegate.governance.context import Governance
from lakegate.ledger import Ledger, LedgerError
from lakegate.registry import Registry

class PromotionRefused(Exception):
    """A promotion whose gates do not all pass now; the message says which and why."""


@dataclass(frozen=True)
class Promotion:
    source: str  # name vN
    target_name: str
    target_version: str
    alias: str
    previous: str | None  # the version the alias pointed at before
    artifact_sha256: str


def move_alias(registry: Registry, ledger: Ledger, name: str, alias: str, version: str, actor: str, reason: str) -> str | None:
    previous = registry.alias_version(name, alias)
    ledger.append_alias_move(actor, name, alias, previous, version, reason)  # the record first: no move without it
    registry.set_alias(name, alias, version)
    return previous


def promote(registry: Registry, governance: Governance, source_name: str, source_version: str, target_name: str,
            alias: str, required_gates: list[str], evaluate: Callable[[str, str], list[GateVerdict]], actor: str,
            reason: str) -> Promotion:
    """Copy a gated version into the next catalog and point `alias` at the copy.

    evaluate(version, artifact hash) re-evaluates the required gates now. Promoting to `champion`
    keeps the version it replaces as `previous_champion` for rollback."""
    number = str(registry.model_version(source_name, source_version).version)
    artifact = model_artifact_hash(registry, source_name, number)
    try:  # the records this promotion would extend, and the trainer it rests on, must verify
        ledger = governance.verified_ledger()  # verified once per ledger state: the gates' reads reuse it
    except LedgerError as exc:
        raise PromotionRefused(f"{source_name} v{number} cannot be promoted: {exc}") from None
    fresh = evaluate(number, artifact)
    for verdict in fresh:
        record_verdict(ledger, verdict, source_name, number, artifact, at=PROMOTION)
    problems = decision_problems(fresh, checked_verdicts(ledger, source_name, number, artifact), required_gates)
    if problems:
        raise PromotionRefused(f"{source_name} v{number} cannot be promoted: " + "; ".join(problems))
    source = registry.model_version(source_name, number)
    with registry.activate():  # the copy downloads `models:/...` through MLflow's global registry: this one
        copied = registry.client.copy_model_version(f"models:/{source_name}/{number}", target_name)
    copied_artifact = model_artifact_hash(registry, target_name, copied.version)
    if copied_artifact != artifact:
        registry.client.delete_model_version(target_name, copied.version)
        raise PromotionRefused(f"{source_name} v{number} cannot be promoted: its copy in {target_name} hashes to "
                               f"{copied_artifact[:12]}…, not the judged {artifact[:12]}… (the copy was deleted)")
    for key, value in (source.tags or {}).items():
        registry.client.set_model_version_tag(target_name, copied.version, key, value)
    registry.client.set_model_version_tag(target_name, copied.version, "lakegate.promoted_from", f"{source_name}/{number}")
    registry.client.set_model_version_tag(target_name, copied.version, "lakegate.artifact_sha256", artifact)
    ledger.append(
        "promotion", actor, subject(target_name, copied.version, artifact),
        inputs={"from": f"{source_name}/{number}", "gates": required_gates,
                "verdicts": {v.gate: v.digest() for v in fresh}},
        outcome={"alias": alias}, reason=reason,
    )
    previous = move_alias(registry, ledger, target_name, alias, copied.version, actor, reason)
    if alias == "champion" and previous is not None:
        move_alias(registry, ledger, target_name, "previous_champion", previous, actor,
                   f"kept for instant rollback when v{copied.version} became champion")
    return Promotion(f"{source_name} v{number}", target_name, str(copied.version), alias, previous, artifact)
