"""Gate verdicts as audit-ledger records: how a check writes one, and how a promotion reads what
the checks recorded on the exact subject (model, version, artifact hash) it is about to act on."""

from __future__ import annotations

from gates.verdict import GateVerdict
from lakegate.ledger import Ledger

GATE_ACTOR = "lakegate/gates"
CHECK, PROMOTION = "check", "promotion"  # where a verdict was evaluated


def subject(model: str, version: str, artifact_hash: str) -> dict:
    return {"model": model, "version": str(version), "artifact_sha256": artifact_hash}


def record_verdict(ledger: Ledger, verdict: GateVerdict, model: str, version: str, artifact_hash: str,
                   actor: str = GATE_ACTOR, at: str = CHECK):
    return ledger.append(
        "gate_evaluation", actor, {**subject(model, version, artifact_hash), "gate": verdict.gate},
        inputs={"thresholds": verdict.thresholds, "policy_version": verdict.policy_version,
                "policy_sha256": verdict.policy_sha256, "at": at},
        outcome={"passed": verdict.passed, "measured": verdict.measured, "evidence": verdict.evidence,
                 "digest": verdict.digest()},
        reason=verdict.reason,
    )


def checked_verdicts(ledger: Ledger, model: str, version: str, artifact_hash: str) -> dict[str, dict]:
    """Per gate, the latest verdict a check recorded on this exact subject."""
    latest: dict[str, dict] = {}
    for record in ledger.records(kind="gate_evaluation", subject_filter=subject(model, version, artifact_hash)):
        if record.inputs.get("at", CHECK) == CHECK:
            latest[record.subject.get("gate")] = {"passed": record.outcome.get("passed") is True, "reason": record.reason,
                                                  "digest": record.outcome.get("digest"), "seq": record.seq}
    return latest
