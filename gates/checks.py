"""The gates wired as blocking Dagster asset checks with ERROR severity, made per use case by its
pipeline (ml_assets/pipeline.py), which hands in the asset key and a judge.

A judge evaluates the gates now and says on what (model, version, artifact hash). Each verdict
becomes an audit-ledger record bound to that subject and an AssetCheckResult. The promotions
downstream re-evaluate the same gates at the moment they act (gates/decision.py): a check's
verdict is evidence the promotion compares with, never what lets it through.
"""


from collections.abc import Callable
from dataclasses import dataclass

import dagster as dg

from gates.verdict import GateVerdict
from gates.verdict_records import record_verdict
from lakegate.lake_resource import LakeResource
from lakegate.platform import Platform
from lakegate.registry_resource import MlflowRegistry


@dataclass(frozen=True)
class Judged:
    model: str
    version: str
    artifact_sha256: str
    verdicts: list[GateVerdict]

    def subject(self) -> dict:
        return {"model": self.model, "version": self.version, "artifact_sha256": self.artifact_sha256}


Judge = Callable[[dg.AssetCheckExecutionContext, LakeResource, Platform, MlflowRegistry], Judged]
SEVERITY = "lakegate/severity"  # declared on every gate's check spec: what a failure of it means


def check_result(verdict: GateVerdict, asset: dg.AssetKey, subject: dict) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        asset_key=asset,
        check_name=verdict.gate,
        passed=verdict.passed,
        severity=dg.AssetCheckSeverity.ERROR,
        description=verdict.reason,
        metadata={
            "reason": dg.MetadataValue.text(verdict.reason),
            "measured": dg.MetadataValue.json(verdict.measured),
            "thresholds": dg.MetadataValue.json(verdict.thresholds),
            "policy_version": dg.MetadataValue.text(verdict.policy_version or ""),
            "policy_sha256": dg.MetadataValue.text(verdict.policy_sha256 or ""),
            "digest": dg.MetadataValue.text(verdict.digest()),
            **{k: dg.MetadataValue.text(str(v)) for k, v in subject.items()},
        },
    )


def blocking_gate_checks(name: str, asset: dg.AssetKey, gates: dict[str, str], judge: Judge,
                         description: str) -> dg.AssetChecksDefinition:
    """One blocking ERROR check per gate (name -> description) on `asset`, judged together. Eager:
    under declarative automation a new version is judged as soon as it is materialized."""

    @dg.multi_asset_check(
        name=name,
        specs=[dg.AssetCheckSpec(gate, asset=asset, blocking=True, description=text, metadata={SEVERITY: "ERROR"},
                                 automation_condition=dg.AutomationCondition.eager()) for gate, text in gates.items()],
        description=description,
    )
    def _checks(context: dg.AssetCheckExecutionContext, lake: LakeResource, platform: Platform, mlflow: MlflowRegistry):
        judged = judge(context, lake, platform, mlflow)
        ledger = platform.ledger()
        for verdict in judged.verdicts:
            record_verdict(ledger, verdict, judged.model, judged.version, judged.artifact_sha256)
            yield check_result(verdict, asset, judged.subject())

    return _checks


def latest_check_results(instance: dg.DagsterInstance, required: list[str]) -> list[dict]:
    """The latest evaluation of each required check ("asset/key:check"); absent ones are omitted."""
    found = []
    for name in required:
        asset, check = name.rsplit(":", 1)
        record = instance.get_latest_asset_check_evaluation_record(dg.AssetCheckKey(dg.AssetKey(asset.split("/")), check))
        evaluation = record.event.dagster_event.event_specific_data if record and record.event and record.event.dagster_event else None
        if evaluation is not None:
            found.append({"asset": asset, "check": check, "passed": bool(evaluation.passed), "severity": evaluation.severity.value})
    return found
