"""The promotion chain of a use case, made from its spec: dev candidate → test (challenger) →
release candidate → prod (champion).

Gates are blocking checks on the candidate (the automated gates) and on the release candidate (the
signed approvals), made by gates/checks.py from the judges here. Each promotion re-evaluates the
same gates in its own process right before it acts, and refuses when they fail now or differ from
what the check saw (ml_assets/promotion/promote.py).
"""


import os

import dagster as dg

from gates.approvals import GATE as APPROVALS
from gates.approvals import evaluate_version_approvals
from gates.candidate import AUTOMATED_GATES, CandidateEvidence, candidate_verdicts
from gates.checks import Judged, blocking_gate_checks, latest_check_results
from gates.policy import load_policy, policies_dir
from lakegate.artifact import model_artifact_hash
from lakegate.governance.context import Governance
from lakegate.lake_resource import LakeResource
from lakegate.platform import Platform
from lakegate.registry import Registry
from lakegate.registry_resource import MlflowRegistry
from ml_assets import keys
from ml_assets.features.definitions import FEATURE_VIEWS
from ml_assets.features.online import OnlineStore, online_store_path
from ml_assets.features.parity import check_parity
from ml_assets.promotion.promote import PromotionRefused, promote
from ml_assets.spec import UseCase

AFTER_GATES = dg.AutomationCondition.eager() & dg.AutomationCondition.all_deps_blocking_checks_passed()
GATE_DESCRIPTIONS = {
    "quality": "the data it learned from passed its ERROR checks; quarantine shares within policy",
    "performance": "metric at least the policy minimum, and not worse than the champion beyond tolerance",
    "bias": "selection rate, TPR and FPR differences across the use case's slices within policy (fairlearn)",
    "stability": "metric spread across time slices and bootstrap samples within policy",
    "calibration": "expected calibration error and Brier score within policy",
    "skew": "online store returns exactly what the offline tables hold (train/serve parity)",
    "unit_tests": "the feature logic's own unit tests pass (JUnit XML kept as evidence)",
}
APPROVALS_DESCRIPTION = ("signed approvals of the roles prod requires, distinct principals, not the trainer, "
                         "with an approved change ticket")


def _actor() -> str:
    # The promotion is the pipeline's act; who launched the run is kept beside it.
    launched_by = os.environ.get("LAKEGATE_PRINCIPAL")
    return f"lakegate/promotion (run by {launched_by})" if launched_by else "lakegate/promotion"


def _promoted(promotion) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={
        "source": promotion.source,
        "model": promotion.target_name,
        "version": dg.MetadataValue.int(int(promotion.target_version)),
        "alias": promotion.alias,
        "previous": promotion.previous or "",
        "artifact_sha256": promotion.artifact_sha256,
        "mlflow/model_uri": f"models:/{promotion.target_name}@{promotion.alias}",
    })


def automated_verdicts(use_case: UseCase, instance: dg.DagsterInstance, lake: LakeResource, platform: Platform,
                       registry: Registry, governance: Governance, version: str):
    """The automated gates on the candidate `version`, evaluated now (by the check, and again by the
    test promotion right before it acts), under the use case's signed promotion policy."""
    # the evaluation scores with the model (scikit-learn, MLflow): loaded when a gate judges, not with the graph
    from ml_assets.promotion.evaluation import build_evaluation, quarantine_shares

    catalog, store = lake.catalog, lake.lake()
    views = [FEATURE_VIEWS[name] for name in use_case.feature_views]  # what this model is served with
    evidence = CandidateEvidence(
        evaluation=lambda: build_evaluation(store, registry, use_case, catalog, version,
                                            champion_name=use_case.registered_model_name("prod")),
        check_results=lambda required: latest_check_results(instance, required),
        quarantine_shares=lambda tables: quarantine_shares(store, catalog, tables),
        parity=lambda: check_parity(store, catalog, OnlineStore(online_store_path(platform.home_path), views), views),
        evidence_dir=platform.home_path / "evidence" / use_case.registered_model_name(catalog) / str(version),
    )
    return candidate_verdicts(evidence, lambda: load_policy(platform.policy_set("promotion"), policies_dir(use_case.name), governance))


def build_promotion(use_case: UseCase) -> tuple[list[dg.AssetsDefinition], list[dg.AssetChecksDefinition]]:
    owners, tags = [use_case.owner], keys.tags(use_case, keys.PROMOTION)
    candidate, test_key = keys.model_key(use_case), keys.test_model_key(use_case)
    release_key, prod_key = keys.release_candidate_key(use_case), keys.prod_model_key(use_case)
    dev_name, test_name, prod_name = (use_case.registered_model_name(c) for c in ("dev", "test", "prod"))

    def judge_candidate(context, lake, platform, mlflow) -> Judged:
        registry = mlflow.registry()
        name = use_case.registered_model_name(lake.catalog)
        version = str(registry.model_version(name, "challenger").version)
        verdicts = automated_verdicts(use_case, context.instance, lake, platform, registry,
                                      platform.governance(), version)
        return Judged(name, version, model_artifact_hash(registry, name, version), verdicts)

    def judge_approvals(context, lake, platform, mlflow) -> Judged:
        registry = mlflow.registry()
        version = str(registry.model_version(test_name, "challenger").version)
        verdict = evaluate_version_approvals(registry, platform.governance(), test_name,
                                             version, target_env="prod", purpose="promotion", use_case=use_case.name)
        return Judged(test_name, version, model_artifact_hash(registry, test_name, version), [verdict])

    @dg.asset(key=test_key, deps=[candidate], group_name=keys.group(use_case), kinds={"mlflow"}, owners=owners,
              tags=tags, automation_condition=AFTER_GATES)
    def test_model(context: dg.AssetExecutionContext, lake: LakeResource, platform: Platform,
                   mlflow: MlflowRegistry) -> dg.MaterializeResult:
        """The dev challenger copied into the test catalog (alias challenger), only when every
        automated gate passes on that exact version and artifact, judged again now."""
        registry = mlflow.registry()
        governance = platform.governance()

        def evaluate(version: str, artifact: str):
            return automated_verdicts(use_case, context.instance, lake, platform, registry, governance, version)

        try:
            promotion = promote(registry, governance, use_case.registered_model_name(lake.catalog), "challenger",
                                test_name, "challenger", list(AUTOMATED_GATES), evaluate, _actor(), "automated gates passed")
        except PromotionRefused as exc:
            raise dg.Failure(description=str(exc)) from None
        return _promoted(promotion)

    @dg.asset(key=release_key, deps=[test_key], group_name=keys.group(use_case), kinds={"mlflow"}, owners=owners,
              tags=tags)
    def release_candidate(platform: Platform, mlflow: MlflowRegistry) -> dg.MaterializeResult:
        """The test challenger proposed for production. Materialize it once the approvers have signed:
        its blocking `approvals` check decides whether prod may take it."""
        registry = mlflow.registry()
        version = registry.model_version(test_name, "challenger").version
        return dg.MaterializeResult(metadata={
            "model": test_name, "version": dg.MetadataValue.int(int(version)),
            "artifact_sha256": model_artifact_hash(registry, test_name, version),
        })

    @dg.asset(key=prod_key, deps=[release_key], group_name=keys.group(use_case), kinds={"mlflow"}, owners=owners,
              tags=tags, automation_condition=AFTER_GATES)
    def prod_model(platform: Platform, mlflow: MlflowRegistry) -> dg.MaterializeResult:
        """The approved release in the prod catalog with alias `champion`; the version it replaces
        keeps `previous_champion` for instant rollback. The approvals gate is judged again right before
        `champion` moves: an approval withdrawn or a ticket closed since the check ran stops it."""
        registry = mlflow.registry()
        governance = platform.governance()

        def evaluate(version: str, artifact: str):
            return [evaluate_version_approvals(registry, governance, test_name, version, target_env="prod",
                                               purpose="promotion", use_case=use_case.name)]

        try:
            promotion = promote(registry, governance, test_name, "challenger", prod_name, "champion", [APPROVALS],
                                evaluate, _actor(), "signed approvals and change ticket verified")
        except PromotionRefused as exc:
            raise dg.Failure(description=str(exc)) from None
        return _promoted(promotion)

    checks = [
        blocking_gate_checks(f"{use_case.name}_candidate_gates", candidate, GATE_DESCRIPTIONS, judge_candidate,
                             f"The automated promotion gates on the {dev_name} candidate (challenger)."),
        blocking_gate_checks(f"{use_case.name}_approvals_gate", release_key, {APPROVALS: APPROVALS_DESCRIPTION},
                             judge_approvals, f"The signed approvals of the {test_name} release candidate."),
    ]
    return [test_model, release_candidate, prod_model], checks
