"""The promotion chain as assets: dev candidate → test (challenger) → release candidate → prod
(champion). Gates are the blocking checks on the candidate and the release candidate
(gates/checks.py); each promotion re-evaluates the same gates in its own process right before it
acts, and refuses when they fail now or differ from what the check saw (ml_assets/promotion/promote.py)."""

import os

import dagster as dg

from gates.approvals import evaluate_version_approvals
from gates.candidate import AUTOMATED_GATES
from gates.checks import APPROVALS, automated_verdicts
from lakegate.artifact import model_artifact_hash
from lakegate.governance.context import Governance
from lakegate.lake import LakeResource
from lakegate.platform import Platform
from lakegate.registry import MlflowRegistry
from ml_assets.promotion.keys import CANDIDATE_KEY, PROD_MODEL_KEY, RELEASE_CANDIDATE_KEY, TEST_MODEL_KEY
from ml_assets.promotion.promote import PromotionRefused, promote
from ml_assets.usecases import CLAIMS_TRIAGE

OWNERS = [CLAIMS_TRIAGE.owner]
AFTER_GATES = dg.AutomationCondition.eager() & dg.AutomationCondition.all_deps_blocking_checks_passed()


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


@dg.asset(key=TEST_MODEL_KEY, deps=[CANDIDATE_KEY], group_name="promotion", kinds={"mlflow"}, owners=OWNERS,
          automation_condition=AFTER_GATES)
def claims_triage_test_model(context: dg.AssetExecutionContext, lake: LakeResource, platform: Platform,
                             mlflow: MlflowRegistry) -> dg.MaterializeResult:
    """The dev challenger copied into the test catalog (`test.claims.triage_model@challenger`),
    only when every automated gate passes on that exact version and artifact, judged again now."""
    registry = mlflow.registry(home=platform.home_path)
    governance = Governance.for_home(platform.home_path, platform.env())
    source = CLAIMS_TRIAGE.registered_model_name(lake.catalog)

    def evaluate(version: str, artifact: str):
        return automated_verdicts(context.instance, lake, platform, registry, governance, version)

    try:
        promotion = promote(registry, governance.ledger, source, "challenger", CLAIMS_TRIAGE.registered_model_name("test"),
                            "challenger", list(AUTOMATED_GATES), evaluate, _actor(), "automated gates passed")
    except PromotionRefused as exc:
        raise dg.Failure(description=str(exc)) from None
    return _promoted(promotion)


@dg.asset(key=RELEASE_CANDIDATE_KEY, deps=[TEST_MODEL_KEY], group_name="promotion", kinds={"mlflow"}, owners=OWNERS)
def claims_triage_release_candidate(platform: Platform, mlflow: MlflowRegistry) -> dg.MaterializeResult:
    """The test challenger proposed for production. Materialize it once the approvers have signed:
    its blocking `approvals` check decides whether prod may take it."""
    registry = mlflow.registry(home=platform.home_path)
    name = CLAIMS_TRIAGE.registered_model_name("test")
    version = registry.model_version(name, "challenger").version
    return dg.MaterializeResult(metadata={
        "model": name, "version": dg.MetadataValue.int(int(version)),
        "artifact_sha256": model_artifact_hash(registry, name, version),
    })


@dg.asset(key=PROD_MODEL_KEY, deps=[RELEASE_CANDIDATE_KEY], group_name="promotion", kinds={"mlflow"}, owners=OWNERS,
          automation_condition=AFTER_GATES)
def claims_triage_prod_model(platform: Platform, mlflow: MlflowRegistry) -> dg.MaterializeResult:
    """The approved release in the prod catalog with alias `champion`; the version it replaces
    keeps `previous_champion` for instant rollback. The approvals gate is judged again right before
    `champion` moves: an approval withdrawn or a ticket closed since the check ran stops it."""
    registry = mlflow.registry(home=platform.home_path)
    governance = Governance.for_home(platform.home_path, platform.env())
    source = CLAIMS_TRIAGE.registered_model_name("test")

    def evaluate(version: str, artifact: str):
        return [evaluate_version_approvals(registry, governance, source, version, target_env="prod", purpose="promotion")]

    try:
        promotion = promote(registry, governance.ledger, source, "challenger", CLAIMS_TRIAGE.registered_model_name("prod"),
                            "champion", [APPROVALS], evaluate, _actor(), "signed approvals and change ticket verified")
    except PromotionRefused as exc:
        raise dg.Failure(description=str(exc)) from None
    return _promoted(promotion)


promotion_assets = [claims_triage_test_model, claims_triage_release_candidate, claims_triage_prod_model]
