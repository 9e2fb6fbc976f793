"""Deploying the prod champion to its serving endpoint, as an asset with two blocking ERROR checks:

- `deployment_approvals`: a release manager (not a promotion approver, not the trainer) signed the
  deployment of this exact version and artifact to this endpoint, and (in prod) the artifact passed
  the prod promotion's approvals; without it the endpoint is not touched. The control plane asks the
  same gate again, on the state of that moment, before every traffic change the rollout makes;
- `canary_health`: the canary ramped 10 → 25 → 50 → 100 % (the environment's deployment policy)
  while healthy against the incumbent; an unhealthy or unjudgeable canary was rolled back.

The first deployment creates the endpoint with the champion at 100 % (nothing to compare against).
Traffic comes from callers of the running `lakegate serve`; the rollout reads the inference table.
"""


import os
import dagster as dg

from gates.deployment_gate import GATE as APPROVALS_CHECK
from gates.deployment_gate import DeploymentGate, evaluate_deployment
from gates.deployment_policy import load_deployment_policy
from lakegate.artifact import model_artifact_hash
from lakegate.governance.context import Governance
from lakegate.lake import LakeResource
from lakegate.platform import Platform
from lakegate.registry import MlflowRegistry
from lakegate.serving.control import LocalEndpoints
from lakegate.serving.endpoints import ServedEntity
from ml_assets.deployment.observe import inference_observer, outcomes_reader
from ml_assets.deployment.rollout import run_canary
from ml_assets.promotion.keys import PROD_MODEL_KEY
from ml_assets.promotion.promote import record_verdict
from ml_assets.usecases import CLAIMS_TRIAGE

DEPLOYMENT_KEY = dg.AssetKey(["ml", "claims_triage_deployment"])
ENDPOINT = CLAIMS_TRIAGE.name.replace("_", "-")  # claims-triage
CANARY_CHECK = "canary_health"


def _actor() -> str:
    launched_by = os.environ.get("LAKEGATE_PRINCIPAL")
    return f"lakegate/deployment (run by {launched_by})" if launched_by else "lakegate/deployment"


def _check(name: str, passed: bool, reason: str, **metadata) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(check_name=name, passed=passed, severity=dg.AssetCheckSeverity.ERROR, description=reason,
                               metadata={"reason": dg.MetadataValue.text(reason),
                                         **{k: dg.MetadataValue.json(v) for k, v in metadata.items()}})


@dg.asset(
    key=DEPLOYMENT_KEY, deps=[PROD_MODEL_KEY], group_name="deployment", kinds={"serving"},
    owners=[CLAIMS_TRIAGE.owner],
    check_specs=[
        dg.AssetCheckSpec(APPROVALS_CHECK, asset=DEPLOYMENT_KEY, blocking=True,
                          description="signed deployment approval of this exact version by the roles the environment requires"),
        dg.AssetCheckSpec(CANARY_CHECK, asset=DEPLOYMENT_KEY, blocking=True,
                          description="canary ramped while healthy against the incumbent; rolled back otherwise"),
    ],
)
def claims_triage_deployment(context: dg.AssetExecutionContext, lake: LakeResource, platform: Platform,
                             mlflow: MlflowRegistry) -> dg.MaterializeResult:
    """The prod champion on the `claims-triage` serving endpoint, rolled out as a canary."""
    home = platform.home_path
    registry = mlflow.registry(home=home)
    name = CLAIMS_TRIAGE.registered_model_name("prod")
    version = str(registry.model_version(name, "champion").version)
    artifact = model_artifact_hash(registry, name, version)
    governance = Governance.for_home(home, platform.env())
    verdict = evaluate_deployment(registry, governance, ENDPOINT, name, version)
    record_verdict(governance.ledger, verdict, name, version, artifact)
    approvals = _check(APPROVALS_CHECK, verdict.passed, verdict.reason, measured=verdict.measured)
    if not verdict.passed:
        return dg.MaterializeResult(
            metadata={"deployed": False, "model": name, "version": version},
            check_results=[approvals, _check(CANARY_CHECK, False, "not attempted: the deployment is not approved")])

    entity = ServedEntity(name=ServedEntity.default_name(name, version), entity_name=name, entity_version=version)
    policy = load_deployment_policy(platform.environment, governance=governance)
    result = run_canary(
        LocalEndpoints(home, registry=registry, guard=DeploymentGate(registry, governance)), ENDPOINT, entity, policy,
        inference_observer(lake.lake(), lake.catalog, ENDPOINT), actor=_actor(),
        reason=f"deploy champion {name} v{version}", outcomes=outcomes_reader(lake.lake(), lake.catalog),
        on_step=lambda step: context.log.info(
            f"canary {entity.name} at {step.traffic} %: {step.health.reason if step.health else 'full traffic'}"),
    )
    summary = result.to_dict()
    return dg.MaterializeResult(
        metadata={"deployed": result.succeeded, "endpoint": ENDPOINT, "model": name, "version": version,
                  "artifact_sha256": artifact, "final_traffic": dg.MetadataValue.json(result.final_traffic),
                  "rollout": dg.MetadataValue.json(summary)},
        check_results=[approvals, _check(CANARY_CHECK, result.succeeded, result.reason, steps=summary["steps"],
                                         problems=summary["problems"])],
    )


deployment_assets = [claims_triage_deployment]
