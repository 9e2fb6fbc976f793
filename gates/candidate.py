"""The automated gates on a candidate model version, as one plain function.

Every gate judges the same evidence: the held-out evaluation set (ml_assets/promotion/evaluation),
the lakehouse's own check results, the online/offline parity, and the feature logic's unit tests.
A gate whose inputs cannot be gathered fails with the reason, never passes by default.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from gates.bias import bias_gate
from gates.calibration import calibration_gate
from gates.performance import performance_gate
from gates.policy import (
    BIAS, CALIBRATION, GATES, PERFORMANCE, QUALITY, SKEW, STABILITY, UNIT_TESTS, PolicyError, PromotionPolicy, load_policy,
)
from gates.quality import quality_gate
from gates.skew import skew_gate
from gates.stability import stability_gate
from gates.unit_tests import feature_unit_tests_gate
from gates.verdict import GateVerdict, failed
from lakegate.governance.context import Governance
from lakegate.lake import Lake
from lakegate.registry import Registry
from ml_assets.promotion.evaluation import EvaluationSet, build_evaluation
from ml_assets.spec import UseCase

AUTOMATED_GATES = GATES
SILVER_TABLES = ("claims", "members", "providers", "claim_outcomes")


def quarantine_shares(lake: Lake, catalog: str) -> dict[str, float]:
    shares = {}
    for table in SILVER_TABLES:
        bronze = lake.read_arrow(f"{catalog}.bronze.{table}", columns=["_row_number"]).num_rows
        quarantined = lake.read_arrow(f"{catalog}.quarantine.{table}", columns=["_row_number"]).num_rows
        shares[f"silver.{table}"] = quarantined / bronze if bronze else 0.0
    return shares


def evaluate_candidate(
    lake: Lake,
    registry: Registry,
    use_case: UseCase,
    catalog: str,
    version: str,
    policy: PromotionPolicy,
    check_results: Callable[[list[str]], list[dict]],
    parity: Callable[[], object],
    evidence_dir: Path,
) -> tuple[EvaluationSet | None, list[GateVerdict]]:
    """All automated verdicts for `use_case`'s model `version` in `catalog` (None set if unscorable)."""
    champion_name = use_case.registered_model_name("prod")
    try:
        evaluation = build_evaluation(lake, registry, use_case, catalog, version, champion_name=champion_name)
    except Exception as exc:  # any failure to score is a failure of every model-based gate
        reason = f"the candidate could not be evaluated: {exc}"
        evaluation, verdicts = None, [failed(g, reason) for g in (PERFORMANCE, BIAS, STABILITY, CALIBRATION)]
    else:
        ev = evaluation
        verdicts = [
            performance_gate(ev.y_true, ev.candidate_scores, ev.champion_scores, policy),
            bias_gate(ev.y_true, ev.candidate_flags, ev.sensitive, policy),
            stability_gate(ev.y_true, ev.candidate_scores, ev.event_times, policy),
            calibration_gate(ev.y_true, ev.candidate_scores, policy),
        ]
    verdicts.insert(0, _guarded(QUALITY, lambda: quality_gate(check_results(policy.quality.required_checks), quarantine_shares(lake, catalog), policy)))
    verdicts.append(_guarded(SKEW, lambda: skew_gate(parity(), policy)))
    evidence_dir.mkdir(parents=True, exist_ok=True)
    verdicts.append(_guarded(UNIT_TESTS, lambda: feature_unit_tests_gate(policy, evidence_dir / "feature_unit_tests.xml")))
    return evaluation, verdicts


def candidate_verdicts(lake: Lake, registry: Registry, use_case: UseCase, catalog: str, version: str,
                       governance: Governance, policy_env: str, check_results: Callable[[list[str]], list[dict]],
                       parity: Callable[[], object], evidence_dir: Path) -> list[GateVerdict]:
    """Every automated verdict under the signed promotion policy of `policy_env`; an unsigned or
    changed policy fails every gate (fail-closed)."""
    try:
        policy = load_policy(policy_env, governance=governance)
    except PolicyError as exc:
        return [failed(g, f"{g} cannot be judged: {exc}") for g in AUTOMATED_GATES]
    return evaluate_candidate(lake, registry, use_case, catalog, version, policy, check_results, parity, evidence_dir)[1]


def _guarded(gate: str, evaluate: Callable[[], GateVerdict]) -> GateVerdict:
    try:
        return evaluate()
    except Exception as exc:  # fail closed: an input that cannot be gathered is a failed gate
        return failed(gate, f"{gate} could not be evaluated: {exc}")
