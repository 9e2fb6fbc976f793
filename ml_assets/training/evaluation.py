"""Operating threshold (per the use case's ThresholdPolicy) and the metrics a model is judged by.

A claim is flagged for review when its score is at least the threshold (score >= threshold), the
same rule sklearn's FixedThresholdClassifier applies in the logged model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    confusion_matrix,
    precision_recall_curve,
    roc_auc_score,
)

from ml_assets.spec import ThresholdPolicy
from ml_assets.training.columns import TrainingDataError

# Metric names, as logged to MLflow with a part prefix (test_roc_auc, validation_pr_auc, ...).
METRICS = ("roc_auc", "pr_auc", "precision", "recall", "f1", "brier", "base_rate", "flag_rate", "rows", "positives")


@dataclass(frozen=True)
class ThresholdChoice:
    threshold: float
    rule: str  # "min_recall": highest threshold meeting the recall floor; "max_f1": the fallback
    precision: float
    recall: float


def require_both_classes(y: np.ndarray, part: str) -> None:
    classes = set(np.unique(np.asarray(y)).tolist())
    if classes != {0, 1}:
        raise TrainingDataError(f"the {part} split has labels {sorted(classes)}; it needs both 0 and 1")


def choose_threshold(y_true, scores, policy: ThresholdPolicy) -> ThresholdChoice:
    """The highest threshold whose recall is at least policy.min_recall, else the F1-maximizing one."""
    y = np.asarray(y_true).astype(int)
    s = np.asarray(scores, dtype=float)
    require_both_classes(y, "validation")
    precision, recall, thresholds = precision_recall_curve(y, s)
    precision, recall = precision[:-1], recall[:-1]  # the last point has no threshold
    meets = np.flatnonzero(recall >= policy.min_recall)
    if meets.size:
        i = int(meets.max())  # thresholds ascend, so the last qualifying one is the highest
        rule = "min_recall"
    else:
        denom = precision + recall
        f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(denom), where=denom > 0)
        i = int(np.flatnonzero(f1 == f1.max()).max())  # ties: the highest threshold
        rule = "max_f1"
    return ThresholdChoice(float(thresholds[i]), rule, float(precision[i]), float(recall[i]))


def evaluate(y_true, scores, threshold: float) -> dict[str, float]:
    """Ranking, calibration and operating-point metrics of one part (validation or test)."""
    y = np.asarray(y_true).astype(int)
    s = np.asarray(scores, dtype=float)
    flagged = s >= threshold
    tn, fp, fn, tp = confusion_matrix(y, flagged.astype(int), labels=[0, 1]).ravel()
    both = len(np.unique(y)) == 2
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return {
        "roc_auc": float(roc_auc_score(y, s)) if both else float("nan"),
        "pr_auc": float(average_precision_score(y, s)) if both else float("nan"),
        "precision": float(precision),
        "recall": float(recall),
        "f1": float(2 * precision * recall / (precision + recall)) if precision + recall else 0.0,
        "brier": float(brier_score_loss(y, s)),
        "base_rate": float(y.mean()) if len(y) else float("nan"),
        "flag_rate": float(flagged.mean()) if len(y) else float("nan"),
        "rows": float(len(y)),
        "positives": float(y.sum()),
        "tp": float(tp),
        "fp": float(fp),
        "tn": float(tn),
        "fn": float(fn),
    }


def prefixed(part: str, metrics: dict[str, float]) -> dict[str, float]:
    return {f"{part}_{name}": value for name, value in metrics.items()}

