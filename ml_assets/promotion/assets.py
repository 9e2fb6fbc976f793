"""The promotion chain as assets: dev candidate → test (challenger) → release candidate → prod
(champion). Gates are the blocking checks on the candidate and the release candidate
(gates/checks.py); each promotion re-reads the gate verdicts from the ledger before it acts."""

import os

import dagster as dg

from gates.candidate import AUTOMATED_GATES
from gates.checks import APPROVALS
from gates.model_binding import model_artifact_hash
from lakegate.lake import LakeResource
from lakegate.ledger import Ledger
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


def _promoted(promotion, artifact: str) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={
        "source": promotion.source,
        "model": promotion.target_name,
        "version": dg.MetadataValue.int(int(promotion.target_version)),
        "alias": promotion.alias,
        "previous": promotion.previous or "",
        "artifact_sha256": artifact,
        "mlflow/model_uri": f"models:/{promotion.target_name}@{promotion.alias}",
    })


@dg.asset(key=TEST_MODEL_KEY, deps=[CANDIDATE_KEY], group_name="promotion", kinds={"mlflow"}, owners=OWNERS,
          automation_condition=AFTER_GATES)
def claims_triage_test_model(lake: LakeResource, platform: Platform, mlflow: MlflowRegistry) -> dg.MaterializeResult:
    """The dev challenger copied into the test catalog (`test.claims.triage_model@challenger`),
    only once every automated gate has passed on that exact version and artifact."""
    registry = mlflow.registry(home=platform.home_path)
    source = CLAIMS_TRIAGE.registered_model_name(lake.catalog)
    version = registry.model_version(source, "challenger").version
    artifact = model_artifact_hash(registry, source, version)
    try:
        promotion = promote(registry, Ledger.default(), source, version, artifact, CLAIMS_TRIAGE.registered_model_name("test"),
                            "challenger", list(AUTOMATED_GATES), _actor(), "automated gates passed")
    except PromotionRefused as exc:
        raise dg.Failure(description=str(exc)) from None
    return _promoted(promotion, artifact)


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
    keeps `previous_champion` for instant rollback."""
    registry = mlflow.registry(home=platform.home_path)
    source = CLAIMS_TRIAGE.registered_model_name("test")
    version = registry.model_version(source, "challenger").version
    artifact = model_artifact_hash(registry, source, version)
    try:
        promotion = promote(registry, Ledger.default(), source, version, artifact, CLAIMS_TRIAGE.registered_model_name("prod"),
                            "champion", [APPROVALS], _actor(), "signed approvals and change ticket verified")
    except PromotionRefused as exc:
        raise dg.Failure(description=str(exc)) from None
    return _promoted(promotion, artifact)


promotion_assets = [claims_triage_test_model, claims_triage_release_candidate, claims_triage_prod_model]
