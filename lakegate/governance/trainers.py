"""Who trained a model version, as recorded when the training happened.

Training appends a `training` record to the audit ledger, bound to the registered version and its
artifact hash. Segregation of duties reads that record, by artifact (a version copied from dev to
test to prod keeps its artifact), never a registry tag: anyone with registry write access can
rewrite a tag, but not an anchored ledger record. Approvers sign the trainer they were shown, so a
later claim that someone else trained the model contradicts both.
"""

from __future__ import annotations

from collections.abc import Iterable

from lakegate.ledger import Ledger, LedgerError, Record


class TrainerUnknown(LedgerError):
    """No single trainer is recorded for an artifact, so segregation of duties cannot be checked."""


def record_training(ledger: Ledger, model: str, version: str | int, artifact_hash: str, trainer: str,
                    run_id: str, training_set: dict) -> Record:
    if not (trainer or "").strip():
        raise TrainerUnknown(f"{model} v{version}: training needs a principal (LAKEGATE_PRINCIPAL or the OS user)")
    return ledger.append(
        "training", trainer.strip(), {"model": model, "version": str(version), "artifact_sha256": artifact_hash},
        inputs={"mlflow_run_id": run_id, "training_set": training_set}, outcome={"registered": True},
        reason=f"{trainer.strip()} trained {model} v{version}",
    )


def recorded_trainers(records: Iterable[dict], artifact_hash: str) -> set[str]:
    """Every principal the records (ledger records as dicts) name as having trained this artifact."""
    return {r["actor"] for r in records if r["kind"] == "training" and r["subject"].get("artifact_sha256") == artifact_hash}


def trainer_of(ledger: Ledger, artifact_hash: str) -> str:
    """The principal the ledger recorded training this artifact; TrainerUnknown when none or several."""
    trainers = recorded_trainers((r.to_dict() for r in ledger.records(kind="training")), artifact_hash)
    if not trainers:
        raise TrainerUnknown(f"the audit ledger records no training of artifact {artifact_hash[:12]}…, so who trained "
                             "it is unknown and segregation of duties cannot be checked")
    if len(trainers) > 1:
        raise TrainerUnknown(f"the audit ledger records artifact {artifact_hash[:12]}… as trained by "
                             f"{', '.join(sorted(trainers))}: its trainer is ambiguous")
    return trainers.pop()
