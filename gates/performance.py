"""Performance gate: the candidate's metric on the held-out set is at least an absolute minimum, and
not worse than the champion's on the SAME held-out set by more than the policy's tolerance.

Also the input checks and the ranking metrics the other gates share: labels and scores as numpy
arrays (refused when missing, empty, mis-sized, non-finite or one-class), and ROC AUC / average
precision computed from one sort, with optional row weights so bootstrap resamples are cheap.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gates.policy import PERFORMANCE, GateInputError, PromotionPolicy, run_gate
from gates.verdict import GateVerdict

GATE = PERFORMANCE


def _one_dimensional(values: Any, name: str) -> np.ndarray:
    """A present, non-empty, one-dimensional array, or a GateInputError saying which it is not."""
    if values is None:
        raise GateInputError(f"{name} is missing (None)")
    array = np.asarray(values)
    if array.ndim != 1:
        raise GateInputError(f"{name} must be one-dimensional, got shape {array.shape}")
    if array.size == 0:
        raise GateInputError(f"{name} is empty")
    return array


def as_labels(values: Any, name: str = "y_true") -> np.ndarray:
    """Binary labels (0/1, bools, or 0.0/1.0) as an int8 array; anything else is refused."""
    array = _one_dimensional(values, name)
    if array.dtype == bool:
        return array.astype(np.int8)
    if not np.issubdtype(array.dtype, np.number):
        raise GateInputError(f"{name} must be 0/1 labels, got dtype {array.dtype}")
    if not np.isin(array, (0, 1)).all():  # NaN is not in (0, 1) either
        bad = np.unique(array[~np.isin(array, (0, 1))])[:5].tolist()
        raise GateInputError(f"{name} must hold only 0 and 1, found {bad}")
    return array.astype(np.int8)


def as_scores(values: Any, rows: int, name: str = "scores", probabilities: bool = False) -> np.ndarray:
    """Finite float scores, one per label; probabilities must also lie in [0, 1]."""
    array = _one_dimensional(values, name)
    if array.size != rows:
        raise GateInputError(f"{name} has {array.size} rows but y_true has {rows}: they must score the same rows")
    if array.dtype == bool or not np.issubdtype(array.dtype, np.number):
        raise GateInputError(f"{name} must be numbers, got dtype {array.dtype}")
    array = array.astype(np.float64)
    if not np.isfinite(array).all():
        raise GateInputError(f"{name} has {int((~np.isfinite(array)).sum())} missing or infinite values")
    if probabilities and (array.min() < 0.0 or array.max() > 1.0):
        raise GateInputError(f"{name} must be probabilities in [0, 1], found {array.min():.4g} to {array.max():.4g}")
    return array


def require_both_classes(y: np.ndarray, what: str = "the held-out set") -> None:
    positives = int(y.sum())
    if positives == 0 or positives == y.size:
        raise GateInputError(f"{what} has only label {int(y[0])} ({y.size} rows); the metric needs both 0 and 1")


class RankedScores:
    """Labels and scores sorted once by score, with tied scores grouped: ROC AUC (Mann-Whitney,
    ties count one half) and average precision (sklearn's definition) under any row weights."""

    def __init__(self, y: np.ndarray, scores: np.ndarray):
        order = np.argsort(scores, kind="stable")
        s = scores[order]
        self.size = s.size
        self.y = y[order].astype(np.float64)
        self.starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])  # first row of each distinct score
        self.tied = self.starts.size < self.size

    def _groups(self, weights: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Weighted positives and negatives per distinct score, in ascending score order."""
        w = np.ones(self.size) if weights is None else np.asarray(weights, dtype=np.float64)
        pos = w * self.y
        neg = w - pos
        if self.tied:
            pos, neg = np.add.reduceat(pos, self.starts), np.add.reduceat(neg, self.starts)
        return pos, neg

    def value(self, metric: str, weights: np.ndarray | None = None) -> float:
        """The metric; NaN when the (weighted) rows lack a class. Weights follow sorted order."""
        pos, neg = self._groups(weights)
        total_pos, total_neg = pos.sum(), neg.sum()
        if total_pos <= 0 or total_neg <= 0:
            return float("nan")
        if metric == "roc_auc":
            if not self.tied:  # one row per score: a positive row has no negative weight of its own
                return float(np.dot(pos, np.cumsum(neg)) / (total_pos * total_neg))
            below = np.cumsum(neg) - neg  # negatives scored strictly lower
            return float(np.dot(pos, below + 0.5 * neg) / (total_pos * total_neg))
        if metric == "pr_auc":  # average precision: sum over thresholds (high → low) of Δrecall × precision
            tp, fp = np.cumsum(pos[::-1]), np.cumsum(neg[::-1])
            precision = tp / np.maximum(tp + fp, 1e-300)
            return float(np.dot(pos[::-1] / total_pos, precision))
        raise GateInputError(f"unknown metric {metric!r}")


def metric_value(metric: str, y: np.ndarray, scores: np.ndarray) -> float:
    return RankedScores(y, scores).value(metric)


def performance_gate(y_true, candidate_scores, champion_scores, policy: PromotionPolicy) -> GateVerdict:
    """Candidate (and champion, if any) scored on the same held-out rows, judged against the policy.

    champion_scores=None means there is no champion yet: the candidate is judged on the absolute
    minimum only, and `measured` says so. An empty or mis-sized champion is an error, not "none".
    """
    return run_gate(GATE, policy, _evaluate, y_true, candidate_scores, champion_scores)


def _evaluate(y_true, candidate_scores, champion_scores, policy: PromotionPolicy) -> GateVerdict:
    p = policy.performance
    y = as_labels(y_true)
    candidate = as_scores(candidate_scores, y.size, "candidate_scores")
    champion = None if champion_scores is None else as_scores(champion_scores, y.size, "champion_scores")
    if y.size < p.min_rows:
        raise GateInputError(f"the held-out set has {y.size} rows, fewer than the {p.min_rows} the policy requires")
    require_both_classes(y)

    value = metric_value(p.metric, y, candidate)
    measured: dict[str, Any] = {"metric": p.metric, "candidate": round(value, 6), "rows": int(y.size),
                                "positives": int(y.sum())}
    problems = []
    if value < p.min_value:
        problems.append(f"{p.metric} {value:.4f} is below the minimum {p.min_value:.4f}")
    if champion is None:
        measured.update(champion=None, compared_with_champion=False,
                        note="no champion: judged on the absolute threshold only")
        summary = f"{p.metric} {value:.4f} (minimum {p.min_value:.4f}); no champion, so judged on the absolute threshold only"
    else:
        reference = metric_value(p.metric, y, champion)
        drop = reference - value
        measured.update(champion=round(reference, 6), drop_vs_champion=round(drop, 6), compared_with_champion=True)
        if drop > p.max_drop_vs_champion:
            problems.append(f"{p.metric} {value:.4f} is {drop:.4f} below the champion's {reference:.4f} on the same "
                            f"held-out set (tolerance {p.max_drop_vs_champion:.4f})")
        summary = (f"{p.metric} {value:.4f} (minimum {p.min_value:.4f}), champion {reference:.4f} "
                   f"(drop {drop:+.4f}, tolerance {p.max_drop_vs_champion:.4f})")
    if problems:
        return policy.verdict(GATE, False, "; ".join(problems), measured)
    return policy.verdict(GATE, True, summary, measured)
