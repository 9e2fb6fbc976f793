"""Deploying a use case's prod champion to its serving endpoint, made from the spec:

- `<use case>_deployment_request`: the champion proposed for the endpoint. Its blocking ERROR check
  `deployment_approvals` decides whether the deployment runs at all: a release manager (not a
  promotion approver, not the trainer) signed the deployment of this exact version and artifact to
  this endpoint, and (in prod) the artifact passed the prod promotion's approvals.
- `<use case>_deployment`: the rollout, with its blocking check `canary_health`: the canary ramped
  10 → 25 → 50 → 100 % (the use case's deployment policy) while healthy against the incumbent; an
  unhealthy or unjudgeable canary was rolled back. The control plane asks the deployment gate
  again, on the state of that moment, before every traffic change the rollout makes.

The first deployment creates the endpoint with the champion at 100 % (nothing to compare against).
Traffic comes from callers of the running `lakegate serve`; the rollout reads the inference table.
"""


import os

import dagster as dg

from gates.checks import SEVERITY, Judged, blocking_gate_checks
from gates.deployment_gate import GATE as APPROVALS_CHECK
from gates.deployment_gate import evaluate_deployment
from gates.deployment_policy import load_deployment_policy
from gates.policy import policies_dir
from lakegate.artifact import model_artifact_hash
from lakegate.lake_resource import LakeResource
from lakegate.platform import Platform
from lakegate.registry_resource import MlflowRegistry
from lakegate.serving.endpoints import ServedEntity
from lakegate.serving.environment_endpoints import canary_observer
from ml_assets import keys
from ml_assets.deployment.endpoints import gated_endpoints
from ml_assets.deployment.observe import outcomes_reader
from ml_assets.deployment.rollout import run_canary
from ml_assets.spec import UseCase

CANARY_CHECK = "canary_health"
APPROVALS_DESCRIPTION = "signed deployment approval of this exact version to this endpoint by the roles prod requires"


def _actor() -> str:
    launched_by = os.environ.get("LAKEGATE_PRINCIPAL")
    return f"lakegate/deployment (run by {launched_by})" if launched_by else "lakegate/deployment"


def _check(name: str, passed: bool, reason: str, **metadata) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(check_name=name, passed=passed, severity=dg.AssetCheckSeverity.ERROR, description=reason,
                               metadata={"reason": dg.MetadataValue.text(reason),
                                         **{k: dg.MetadataValue.json(v) for k, v in metadata.items()}})


def build_deployment(use_case: UseCase) -> tuple[list[dg.AssetsDefinition], list[dg.AssetChecksDefinition]]:
    owners, tags, group = [use_case.owner], keys.tags(use_case, keys.DEPLOYMENT), keys.group(use_case)
    request_key, deployment_key = keys.deployment_request_key(use_case), keys.deployment_key(use_case)
    endpoint, name = keys.endpoint_name(use_case), use_case.registered_model_name("prod")

    def judge_approvals(context, lake, platform, mlflow) -> Judged:
        registry = mlflow.registry()
        version = str(registry.model_version(name, "champion").version)
        verdict = evaluate_deployment(registry, platform.governance(), endpoint, name,
                                      version, use_case=use_case.name)
        return Judged(name, version, model_artifact_hash(registry, name, version), [verdict])

    @dg.asset(key=request_key, deps=[keys.prod_model_key(use_case)], group_name=group, kinds={"mlflow"},
              owners=owners, tags=tags)
    def deployment_request(platform: Platform, mlflow: MlflowRegistry) -> dg.MaterializeResult:
        """The prod champion proposed for its serving endpoint; its blocking `deployment_approvals`
        check decides whether the rollout may start."""
        registry = mlflow.registry()
        version = str(registry.model_version(name, "champion").version)
        return dg.MaterializeResult(metadata={"endpoint": endpoint, "model": name, "version": dg.MetadataValue.int(int(version)),
                                              "artifact_sha256": model_artifact_hash(registry, name, version)})

    @dg.asset(key=deployment_key, deps=[request_key], group_name=group, kinds={"serving"}, owners=owners, tags=tags,
              check_specs=[dg.AssetCheckSpec(CANARY_CHECK, asset=deployment_key, blocking=True, metadata={SEVERITY: "ERROR"},
                                             description="canary ramped while healthy against the incumbent; "
                                                         "rolled back otherwise")])
    def deployment(context: dg.AssetExecutionContext, lake: LakeResource, platform: Platform,
                   mlflow: MlflowRegistry) -> dg.MaterializeResult:
        """The prod champion on the use case's serving endpoint, rolled out as a canary."""
        registry = mlflow.registry()
        version = str(registry.model_version(name, "champion").version)
        governance = platform.governance()
        entity = ServedEntity(name=ServedEntity.default_name(name, version), entity_name=name, entity_version=version)
        policy = load_deployment_policy(platform.policy_set("deployment"), policies_dir(use_case.name), governance=governance)
        endpoints = gated_endpoints(platform, registry)
        observe = canary_observer(platform.env(), endpoints, lake.lake(), lake.catalog, endpoint)
        result = run_canary(
            endpoints, endpoint, entity, policy, observe, actor=_actor(),
            reason=f"deploy champion {name} v{version}", outcomes=outcomes_reader(lake.lake(), lake.catalog, use_case.label),
            on_step=lambda step: context.log.info(
                f"canary {entity.name} at {step.traffic} %: {step.health.reason if step.health else 'full traffic'}"),
        )
        summary = result.to_dict()
        return dg.MaterializeResult(
            metadata={"deployed": result.succeeded, "endpoint": endpoint, "model": name, "version": version,
                      "artifact_sha256": model_artifact_hash(registry, name, version),
                      "final_traffic": dg.MetadataValue.json(result.final_traffic), "rollout": dg.MetadataValue.json(summary)},
            check_results=[_check(CANARY_CHECK, result.succeeded, result.reason, steps=summary["steps"],
                                  problems=summary["problems"])],
        )

    checks = [blocking_gate_checks(f"{use_case.name}_deployment_approvals", request_key,
                                   {APPROVALS_CHECK: APPROVALS_DESCRIPTION}, judge_approvals,
                                   f"The signed deployment approval of the {name} champion on {endpoint}.")]
    return [deployment_request, deployment], checks
