"""Bias gate: per protected attribute (age band, sex, region, ...), the model's flags must not differ
between groups by more than the policy allows, in selection rate, true positive rate and false
positive rate (fairlearn's MetricFrame; the difference is highest minus lowest judged group).

The rates depend only on how many rows each (group, label, flag) cell holds, so MetricFrame runs
on those cells with their row counts as sample weights: the same rates as on the raw rows, without
fairlearn's per-row cost (measured here: 2 s per 100,000 rows per attribute, about a minute for
three attributes at a million rows; on the cells, 0.3 s).

A group's rate is judged only when it rests on at least `min_group_size` rows (all its rows for
the selection rate, its actual positives for the TPR, its actual negatives for the FPR); smaller
groups are reported in `measured` but not judged. Rows without a value form the group
"(missing)". An attribute with fewer than two judged groups for a rate cannot be judged: a failure.
"""

from __future__ import annotations

import warnings
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from gates.performance import as_labels
from gates.policy import BIAS, GateInputError, PromotionPolicy, run_gate
from gates.verdict import GateVerdict

GATE = BIAS
MISSING = "(missing)"


def _rows(y_true, y_pred, sample_weight) -> int:
    return int(np.sum(sample_weight))


def _positives(y_true, y_pred, sample_weight) -> int:
    return int(np.sum(sample_weight * y_true))


def _negatives(y_true, y_pred, sample_weight) -> int:
    return int(np.sum(sample_weight * (1 - y_true)))


def _metrics() -> dict:
    """MetricFrame's metrics. fairlearn (and scikit-learn under it, about 1 s) loads when a gate
    judges, not when the graph's definitions load."""
    from fairlearn.metrics import false_positive_rate, selection_rate, true_positive_rate

    return {
        "selection_rate": partial(selection_rate, pos_label=1),
        "tpr": partial(true_positive_rate, pos_label=1),
        "fpr": partial(false_positive_rate, pos_label=1),
        "rows": _rows,
        "positives": _positives,
        "negatives": _negatives,
    }

# Each judged rate, the count it rests on, and the policy field bounding its difference.
RATES = (
    ("selection_rate", "rows", "max_selection_rate_difference"),
    ("tpr", "positives", "max_tpr_difference"),
    ("fpr", "negatives", "max_fpr_difference"),
)


def bias_gate(y_true, y_pred, sensitive: pd.DataFrame, policy: PromotionPolicy) -> GateVerdict:
    """y_pred are the model's 0/1 flags at its operating threshold; `sensitive` has one column per
    protected attribute, row for row with y_true (its index is ignored)."""
    return run_gate(GATE, policy, _evaluate, y_true, y_pred, sensitive)


def _evaluate(y_true, y_pred, sensitive, policy: PromotionPolicy) -> GateVerdict:
    p = policy.bias
    y = as_labels(y_true)
    flags = as_labels(y_pred, "y_pred")
    if flags.size != y.size:
        raise GateInputError(f"y_pred has {flags.size} rows but y_true has {y.size}")
    if sensitive is None:
        raise GateInputError("the protected attributes (sensitive) are missing (None)")
    if not isinstance(sensitive, pd.DataFrame):
        raise GateInputError(f"sensitive must be a pandas DataFrame, got {type(sensitive).__name__}")
    if len(sensitive) != y.size:
        raise GateInputError(f"sensitive has {len(sensitive)} rows but y_true has {y.size}")
    absent = [a for a in p.protected_attributes if a not in sensitive.columns]
    if absent:
        raise GateInputError(f"protected attribute(s) {', '.join(absent)} missing from the sensitive columns "
                             f"({', '.join(map(str, sensitive.columns)) or 'none'})")

    measured: dict[str, Any] = {"rows": int(y.size), "min_group_size": p.min_group_size, "attributes": {}}
    problems: list[str] = []
    for attribute in p.protected_attributes:
        result, attribute_problems = _judge_attribute(attribute, y, flags, sensitive[attribute], policy)
        measured["attributes"][attribute] = result
        problems.extend(attribute_problems)
    unjudged = sorted(set(map(str, sensitive.columns)) - set(p.protected_attributes))
    if unjudged:
        measured["not_in_policy"] = unjudged
    if problems:
        return policy.verdict(GATE, False, "; ".join(problems), measured)
    widest = {rate: max(measured["attributes"][a]["differences"][rate] for a in p.protected_attributes) for rate, _, _ in RATES}
    return policy.verdict(
        GATE, True,
        f"{', '.join(p.protected_attributes)}: largest differences selection rate {widest['selection_rate']:.3f} "
        f"(max {p.max_selection_rate_difference}), TPR {widest['tpr']:.3f} (max {p.max_tpr_difference}), "
        f"FPR {widest['fpr']:.3f} (max {p.max_fpr_difference})",
        measured,
    )


def confusion_cells(y: np.ndarray, flags: np.ndarray, values: pd.Series) -> pd.DataFrame:
    """One row per non-empty (group, label, flag) cell with its row count. Group labels are text
    (stable in JSON); rows without a value form the group "(missing)"."""
    codes, labels = pd.factorize(pd.Series(values).reset_index(drop=True), use_na_sentinel=True)
    names = np.array([str(v) for v in labels] + [MISSING], dtype=object)
    if MISSING in names[:-1]:
        raise GateInputError(f"a group is literally named {MISSING!r}, which stands for missing values")
    codes = np.where(codes < 0, len(labels), codes)
    counts = np.bincount(codes * 4 + y.astype(np.int64) * 2 + flags, minlength=(len(labels) + 1) * 4)
    cell = np.flatnonzero(counts)
    return pd.DataFrame({"group": names[cell // 4], "y_true": (cell // 2) % 2, "y_pred": cell % 2, "rows": counts[cell]})


def _judge_attribute(attribute: str, y: np.ndarray, flags: np.ndarray, values: pd.Series,
                     policy: PromotionPolicy) -> tuple[dict[str, Any], list[str]]:
    p = policy.bias
    cells = confusion_cells(y, flags, values)
    from fairlearn.metrics import MetricFrame

    metrics = _metrics()
    with warnings.catch_warnings():  # a group without positives or negatives has no TPR or FPR: not judged
        warnings.simplefilter("ignore")
        frame = MetricFrame(metrics=metrics, y_true=cells["y_true"].to_numpy(), y_pred=cells["y_pred"].to_numpy(),
                            sensitive_features=cells["group"].to_numpy(),
                            sample_params={name: {"sample_weight": cells["rows"].to_numpy()} for name in metrics})
    by_group = frame.by_group
    groups: dict[str, dict[str, Any]] = {}
    for label, row in by_group.iterrows():
        groups[str(label)] = {
            "rows": int(row["rows"]), "positives": int(row["positives"]), "negatives": int(row["negatives"]),
            **{rate: (round(float(row[rate]), 6) if int(row[base]) > 0 else None) for rate, base, _ in RATES},
            "judged": [rate for rate, base, _ in RATES if int(row[base]) >= p.min_group_size],
        }
    differences: dict[str, float | None] = {}
    extremes: dict[str, dict[str, str]] = {}
    problems: list[str] = []
    for rate, base, limit_field in RATES:
        limit = getattr(p, limit_field)
        eligible = by_group.loc[by_group[base] >= p.min_group_size, rate].astype(float)
        if len(eligible) < 2:
            differences[rate] = None
            problems.append(f"{attribute}: {rate} cannot be judged, {len(eligible)} group(s) have at least "
                            f"{p.min_group_size} {base} (need 2)")
            continue
        high, low = str(eligible.idxmax()), str(eligible.idxmin())
        difference = float(eligible.max() - eligible.min())
        differences[rate] = round(difference, 6)
        extremes[rate] = {"highest": high, "lowest": low}
        if difference > limit:
            problems.append(f"{attribute}: {rate} differs by {difference:.3f} between {high} ({eligible[high]:.3f}) "
                            f"and {low} ({eligible[low]:.3f}), above the maximum {limit}")
    return {"groups": groups, "differences": differences, "extremes": extremes}, problems
