"""Live model quality and serving SLA per window.

Quality needs labels: with none in a window every figure is None (unknown), never a guess, and
`label_coverage` says what share of the window's records had one. A figure whose denominator is
zero (precision without a positive prediction, ROC AUC with one class) is None too.

SLA percentiles come from a mergeable log-bucket sketch (DDSketch's idea): each latency is kept
as its bucket, buckets 2% wide, so a window's p50/p99 are within 1% of the exact order statistic
and windows merge by adding bucket counts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

QUALITY_FIELDS = ("precision", "recall", "f1_score", "roc_auc", "false_positive_rate", "false_negative_rate",
                  "label_coverage")
SLA_FIELDS = ("request_count", "error_rate", "latency_p50_ms", "latency_p99_ms")
RELATIVE_ACCURACY = 0.01
_GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY)
_LOG_GAMMA = math.log(_GAMMA)
_SMALLEST_MS = 1e-3  # latencies below a microsecond share one bucket


def unknown_quality(coverage: float | None = None) -> dict:
    return {**dict.fromkeys(QUALITY_FIELDS), "label_coverage": coverage}


def quality_metrics(labels, predictions, scores=None) -> dict:
    """Binary quality on the labelled records; labels may hold NaN/None for records not yet labelled."""
    labels = np.asarray(labels, dtype=np.float64)
    if labels.size == 0:
        return unknown_quality()
    known = ~np.isnan(labels)
    coverage = float(known.mean())
    if not known.any():
        return unknown_quality(coverage)
    y = labels[known] > 0.5
    yhat = np.asarray(predictions, dtype=np.float64)[known] > 0.5
    tp, fp = int((y & yhat).sum()), int((~y & yhat).sum())
    fn, tn = int((y & ~yhat).sum()), int((~y & ~yhat).sum())
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    f1 = _ratio(2 * tp, 2 * tp + fp + fn) if precision is not None and recall is not None else None
    return {"precision": precision, "recall": recall, "f1_score": f1,
            "roc_auc": _roc_auc(y, np.asarray(scores, np.float64)[known]) if scores is not None else None,
            "false_positive_rate": _ratio(fp, fp + tn), "false_negative_rate": _ratio(fn, fn + tp),
            "label_coverage": coverage}


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def _roc_auc(y: np.ndarray, scores: np.ndarray) -> float | None:
    """The Mann-Whitney form of ROC AUC (ties count half); None with one class or a missing score."""
    positives, negatives = int(y.sum()), int((~y).sum())
    if positives == 0 or negatives == 0 or np.isnan(scores).any():
        return None
    from scipy.stats import rankdata  # scipy.stats loads when a monitor runs, not when the graph loads

    ranks = rankdata(scores)
    return float((ranks[y].sum() - positives * (positives + 1) / 2) / (positives * negatives))


@dataclass(frozen=True, eq=False)
class SlaProfile:
    """Request count, error count and a latency sketch of one window: merges by addition."""

    request_count: int = 0
    error_count: int = 0
    buckets: dict[int, int] = field(default_factory=dict)

    def observe(self, latency_ms, status_code) -> "SlaProfile":
        latency = np.asarray(latency_ms, dtype=np.float64)
        status = np.asarray(status_code, dtype=np.float64)
        latency = latency[~np.isnan(latency)]
        index = np.ceil(np.log(np.maximum(latency, _SMALLEST_MS)) / _LOG_GAMMA).astype(np.int64)
        keys, counts = np.unique(index, return_counts=True)
        added = SlaProfile(int(status.size), int((status >= 400).sum()), dict(zip(keys.tolist(), counts.tolist())))
        return self.merge(added)

    def merge(self, other: "SlaProfile") -> "SlaProfile":
        buckets = dict(self.buckets)
        for key, count in other.buckets.items():
            buckets[key] = buckets.get(key, 0) + count
        return SlaProfile(self.request_count + other.request_count, self.error_count + other.error_count, buckets)

    def quantile(self, q: float) -> float | None:
        """The latency at 0-based rank floor(q * (n - 1)) (numpy's method="lower"), within 1%."""
        total = sum(self.buckets.values())
        if total == 0:
            return None
        rank, seen = math.floor(q * (total - 1)), 0
        for key in sorted(self.buckets):
            seen += self.buckets[key]
            if seen > rank:
                return 2 * _GAMMA ** key / (_GAMMA + 1)
        raise AssertionError("unreachable: the ranks are inside the counts")

    def figures(self) -> dict:
        return {"request_count": self.request_count,
                "error_rate": self.error_count / self.request_count if self.request_count else None,
                "latency_p50_ms": self.quantile(0.5), "latency_p99_ms": self.quantile(0.99)}

    def to_dict(self) -> dict:
        return {"request_count": self.request_count, "error_count": self.error_count,
                "buckets": {str(k): v for k, v in sorted(self.buckets.items())}}

    @classmethod
    def from_dict(cls, d: dict) -> "SlaProfile":
        return cls(int(d["request_count"]), int(d["error_count"]), {int(k): int(v) for k, v in d["buckets"].items()})
