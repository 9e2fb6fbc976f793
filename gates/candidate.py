"""The automated gates on a candidate model version, as one plain function of its evidence.

Every gate judges the same evidence: the held-out evaluation set (candidate and champion scored on
the same rows; the use case's pipeline builds it), the lakehouse's own check results and
quarantine shares, the online/offline parity, and the feature logic's unit tests. A gate whose
inputs cannot be gathered fails with the reason, never passes by default.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from gates.bias import bias_gate
from gates.calibration import calibration_gate
from gates.performance import performance_gate
from gates.policy import BIAS, CALIBRATION, GATES, PERFORMANCE, QUALITY, SKEW, STABILITY, UNIT_TESTS, PolicyError, PromotionPolicy
from gates.quality import quality_gate
from gates.skew import skew_gate
from gates.stability import stability_gate
from gates.unit_tests import feature_unit_tests_gate
from gates.verdict import GateVerdict, failed

AUTOMATED_GATES = GATES


@dataclass
class EvaluationSet:
    """What the model-based gates judge: one held-out set, scored by the candidate and the champion."""

    model: str
    version: str
    training_set: tuple[str, int]
    y_true: np.ndarray
    candidate_scores: np.ndarray
    candidate_flags: np.ndarray
    threshold: float
    event_times: pd.Series
    sensitive: pd.DataFrame  # protected attributes (and slices), one column each
    champion: str | None = None  # "<name> v<n>", when there is one
    champion_scores: np.ndarray | None = None


@dataclass(frozen=True)
class CandidateEvidence:
    """How to gather each gate's inputs; each is called once, inside the gate it serves."""

    evaluation: Callable[[], EvaluationSet]
    check_results: Callable[[list[str]], list[dict]]  # required "asset/key:check" -> latest results
    quarantine_shares: Callable[[list[str]], dict[str, float]]  # "schema.table" -> quarantined share
    parity: Callable[[], object]
    evidence_dir: Path


def evaluate_candidate(evidence: CandidateEvidence, policy: PromotionPolicy) -> tuple[EvaluationSet | None, list[GateVerdict]]:
    """All automated verdicts under `policy` (the evaluation set is None when unscorable)."""
    try:
        evaluation = evidence.evaluation()
    except Exception as exc:  # any failure to score is a failure of every model-based gate
        reason = f"the candidate could not be evaluated: {exc}"
        evaluation, verdicts = None, [policy.failed(g, reason) for g in (PERFORMANCE, BIAS, STABILITY, CALIBRATION)]
    else:
        ev = evaluation
        verdicts = [
            performance_gate(ev.y_true, ev.candidate_scores, ev.champion_scores, policy),
            bias_gate(ev.y_true, ev.candidate_flags, ev.sensitive, policy),
            stability_gate(ev.y_true, ev.candidate_scores, ev.event_times, policy),
            calibration_gate(ev.y_true, ev.candidate_scores, policy),
        ]
    tables = list(policy.quality.max_quarantine_share)
    verdicts.insert(0, _guarded(QUALITY, lambda: quality_gate(evidence.check_results(policy.quality.required_checks),
                                                              evidence.quarantine_shares(tables), policy)))
    verdicts.append(_guarded(SKEW, lambda: skew_gate(evidence.parity(), policy)))
    evidence.evidence_dir.mkdir(parents=True, exist_ok=True)
    verdicts.append(_guarded(UNIT_TESTS, lambda: feature_unit_tests_gate(policy, evidence.evidence_dir / "feature_unit_tests.xml")))
    return evaluation, verdicts


def candidate_verdicts(evidence: CandidateEvidence, load: Callable[[], PromotionPolicy]) -> list[GateVerdict]:
    """Every automated verdict under the (signed) policy `load` gives; an unsigned or changed policy
    fails every gate (fail-closed)."""
    try:
        policy = load()
    except PolicyError as exc:
        return [failed(g, f"{g} cannot be judged: {exc}") for g in AUTOMATED_GATES]
    return evaluate_candidate(evidence, policy)[1]


def _guarded(gate: str, evaluate: Callable[[], GateVerdict]) -> GateVerdict:
    try:
        return evaluate()
    except Exception as exc:  # fail closed: an input that cannot be gathered is a failed gate
        return failed(gate, f"{gate} could not be evaluated: {exc}")
