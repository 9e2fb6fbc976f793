"""The gates wired as blocking Dagster asset checks with ERROR severity.

- On the dev candidate (`ml/claims_triage_model`): every automated gate. The test promotion
  downstream runs only when they all passed (blocking checks, and automation that requires them).
- On the release candidate (`ml/claims_triage_release_candidate`): the signed-approvals gate.
Each verdict is also an audit-ledger record bound to the model version and artifact hash. The
promotions downstream re-evaluate the same gates at the moment they act (gates/decision.py):
a check's verdict is evidence the promotion compares with, never what lets it through.
"""


import dagster as dg

from gates.approvals import evaluate_version_approvals
from gates.candidate import AUTOMATED_GATES, candidate_verdicts
from gates.verdict import GateVerdict
from lakegate.artifact import model_artifact_hash
from lakegate.governance.context import Governance
from lakegate.lake import LakeResource
from lakegate.platform import Platform
from lakegate.registry import MlflowRegistry, Registry
from ml_assets.features.definitions import FEATURE_VIEWS
from ml_assets.features.online import OnlineStore, online_store_path
from ml_assets.features.parity import check_parity
from ml_assets.promotion.keys import CANDIDATE_KEY, RELEASE_CANDIDATE_KEY
from ml_assets.promotion.promote import record_verdict
from ml_assets.usecases import CLAIMS_TRIAGE

APPROVALS = "approvals"
GATE_DESCRIPTIONS = {
    "quality": "the data it learned from passed its ERROR checks; quarantine shares within policy",
    "performance": "metric at least the policy minimum, and not worse than the champion beyond tolerance",
    "bias": "selection rate, TPR and FPR differences across age band, sex and region within policy (fairlearn)",
    "stability": "metric spread across time slices and bootstrap samples within policy",
    "calibration": "expected calibration error and Brier score within policy",
    "skew": "online store returns exactly what the offline tables hold (train/serve parity)",
    "unit_tests": "the feature logic's own unit tests pass (JUnit XML kept as evidence)",
}


def _result(verdict: GateVerdict, asset: dg.AssetKey, subject: dict) -> dg.AssetCheckResult:
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


def check_results(instance: dg.DagsterInstance, required: list[str]) -> list[dict]:
    """The latest evaluation of each required check ("asset/key:check"); absent ones are omitted."""
    found = []
    for name in required:
        asset, check = name.rsplit(":", 1)
        record = instance.get_latest_asset_check_evaluation_record(dg.AssetCheckKey(dg.AssetKey(asset.split("/")), check))
        evaluation = record.event.dagster_event.event_specific_data if record and record.event and record.event.dagster_event else None
        if evaluation is not None:
            found.append({"asset": asset, "check": check, "passed": bool(evaluation.passed), "severity": evaluation.severity.value})
    return found


def automated_verdicts(instance: dg.DagsterInstance, lake: LakeResource, platform: Platform, registry: Registry,
                       governance: Governance, version: str) -> list[GateVerdict]:
    """The automated gates on the candidate `version`, evaluated now (by the check, and again by the
    test promotion right before it acts)."""
    name = CLAIMS_TRIAGE.registered_model_name(lake.catalog)
    views = list(FEATURE_VIEWS.values())
    return candidate_verdicts(
        lake.lake(), registry, CLAIMS_TRIAGE, lake.catalog, version, governance, platform.environment,
        check_results=lambda required: check_results(instance, required),
        parity=lambda: check_parity(lake.lake(), lake.catalog, OnlineStore(online_store_path(platform.home_path), views), views),
        evidence_dir=platform.home_path / "evidence" / name / str(version),
    )


@dg.multi_asset_check(
    # Eager: under declarative automation a new candidate is judged as soon as it is materialized.
    specs=[dg.AssetCheckSpec(g, asset=CANDIDATE_KEY, blocking=True, description=GATE_DESCRIPTIONS[g],
                             automation_condition=dg.AutomationCondition.eager()) for g in AUTOMATED_GATES],
    description="The automated promotion gates on the dev candidate (challenger).",
)
def candidate_gates(context: dg.AssetCheckExecutionContext, lake: LakeResource, platform: Platform, mlflow: MlflowRegistry):
    registry = mlflow.registry(home=platform.home_path)
    governance = Governance.for_home(platform.home_path, platform.env())
    name = CLAIMS_TRIAGE.registered_model_name(lake.catalog)
    version = registry.model_version(name, "challenger").version
    artifact = model_artifact_hash(registry, name, version)
    subject = {"model": name, "version": version, "artifact_sha256": artifact}
    for verdict in automated_verdicts(context.instance, lake, platform, registry, governance, version):
        record_verdict(governance.ledger, verdict, name, version, artifact)
        yield _result(verdict, CANDIDATE_KEY, subject)


@dg.asset_check(asset=RELEASE_CANDIDATE_KEY, name=APPROVALS, blocking=True,
                description="signed approvals of the roles prod requires, distinct principals, not the trainer, with an approved change ticket")
def approvals_gate(platform: Platform, mlflow: MlflowRegistry) -> dg.AssetCheckResult:
    registry = mlflow.registry(home=platform.home_path)
    governance = Governance.for_home(platform.home_path, platform.env())
    name = CLAIMS_TRIAGE.registered_model_name("test")
    version = registry.model_version(name, "challenger").version
    artifact = model_artifact_hash(registry, name, version)
    verdict = evaluate_version_approvals(registry, governance, name, version, target_env="prod", purpose="promotion")
    record_verdict(governance.ledger, verdict, name, version, artifact)
    return _result(verdict, RELEASE_CANDIDATE_KEY, {"model": name, "version": version, "artifact_sha256": artifact})
