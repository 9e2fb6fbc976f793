"""Calibration gate: predicted probabilities must mean what they say.

- Expected calibration error (ECE): probabilities cut into `bins` equal-width bins on [0, 1]; the
  row-weighted mean over bins of |mean predicted probability - observed positive rate|.
- Brier score: the mean squared difference between probability and label, at most `max_brier`.
  `measured` also gives the Brier score of always predicting the base rate, for reference.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gates.performance import as_labels, as_scores, require_both_classes
from gates.policy import CALIBRATION, PromotionPolicy, run_gate
from gates.verdict import GateVerdict

GATE = CALIBRATION


def calibration_gate(y_true, probabilities, policy: PromotionPolicy) -> GateVerdict:
    """probabilities: the model's predicted probability of the positive class, one per label."""
    return run_gate(GATE, policy, _evaluate, y_true, probabilities)


def calibration_bins(y: np.ndarray, prob: np.ndarray, bins: int) -> tuple[float, list[dict[str, Any]]]:
    """ECE and, per non-empty bin, its range, rows, mean probability and observed rate."""
    index = np.minimum((prob * bins).astype(np.int64), bins - 1)  # 1.0 falls in the last bin
    rows = np.bincount(index, minlength=bins)
    prob_sum = np.bincount(index, weights=prob, minlength=bins)
    pos_sum = np.bincount(index, weights=y, minlength=bins)
    filled = rows > 0
    mean_prob = np.divide(prob_sum, rows, out=np.zeros(bins), where=filled)
    observed = np.divide(pos_sum, rows, out=np.zeros(bins), where=filled)
    ece = float(np.sum(rows * np.abs(mean_prob - observed)) / y.size)
    table = [{"from": round(k / bins, 6), "to": round((k + 1) / bins, 6), "rows": int(rows[k]),
              "mean_probability": round(float(mean_prob[k]), 6), "observed_rate": round(float(observed[k]), 6)}
             for k in np.flatnonzero(filled)]
    return ece, table


def _evaluate(y_true, probabilities, policy: PromotionPolicy) -> GateVerdict:
    c = policy.calibration
    y = as_labels(y_true)
    prob = as_scores(probabilities, y.size, "probabilities", probabilities=True)
    require_both_classes(y)
    ece, table = calibration_bins(y, prob, c.bins)
    brier = float(np.mean((prob - y) ** 2))
    base_rate = float(y.mean())
    measured = {
        "ece": round(ece, 6), "brier": round(brier, 6), "brier_of_base_rate": round(base_rate * (1 - base_rate), 6),
        "mean_probability": round(float(prob.mean()), 6), "base_rate": round(base_rate, 6), "rows": int(y.size),
        "bins": table,
    }
    problems = []
    if ece > c.max_ece:
        problems.append(f"expected calibration error {ece:.4f} ({c.bins} bins) is above the maximum {c.max_ece} "
                        f"(mean probability {prob.mean():.3f}, observed rate {base_rate:.3f})")
    if brier > c.max_brier:
        problems.append(f"Brier score {brier:.4f} is above the maximum {c.max_brier} "
                        f"(always predicting the base rate would score {base_rate * (1 - base_rate):.4f})")
    if problems:
        return policy.verdict(GATE, False, "; ".join(problems), measured)
    return policy.verdict(GATE, True, f"expected calibration error {ece:.4f} (max {c.max_ece}, {c.bins} bins), "
                          f"Brier {brier:.4f} (max {c.max_brier})", measured)
