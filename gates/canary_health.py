"""Canary health: is the new served entity at least as good as the incumbent on the same live traffic?

Both sides are judged from the inference-log rows of one observation window (see
lakegate.serving.inference_log.INFERENCE_LOG_SCHEMA), so they see the same callers at the same time.

Errors are split by who caused them. A 5xx (or a row with no or an unexpected status) is a server
error: the model or its runtime failed, and that is the canary's fault. A 4xx is a caller error:
the request was refused as bad input before any model ran, so both sides refuse it alike and a
noisy caller must not fail (or pass) a rollout through the error rate. 4xx rates are still
compared, against their own limit: a version with another input schema refuses requests the
incumbent accepts, and that is the canary's fault too. Latency is measured on the requests a model
worked on (4xx excluded: refusals are fast and would hide a slow model).

A p99 of a few hundred requests is the second- or third-slowest of them, so one scheduling hiccup
on a busy machine moves it by half. Latency limits therefore fail a canary only when the evidence
shows it: the canary's p99 at the lower end of its 95 % confidence interval against the limit, or
against the incumbent's p99 at the upper end of its own (order-statistic bounds, which assume no
distribution). A p99 that breaks a limit without that evidence is reported as not yet judged.
The absolute limit fails the canary only when the incumbent is shown to keep it in the same window
(its p99's upper bound within it): otherwise the host or the load is slow, which says nothing about
the new version (the ratio still compares the two, and the endpoint's SLA check reports the breach).

Precision and recall need claim outcomes, which arrive days after the request: they are judged only
once each side has `min_labelled` served records with an outcome, and reported as not yet judged
before that, which is not a failure.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from gates.deployment_policy import GATE, CanaryStep, HealthLimits
from gates.policy import GateInputError
from gates.verdict import GateVerdict

PSI_BINS = 10  # deciles of the incumbent's scores, the usual PSI binning
PSI_FLOOR = 1e-4  # an empty bin's share, so a bin one side never fills gives a large but finite PSI
LATENCY_NOISE_MS = 1.0  # a p99 ratio over a gap this small is scheduling noise on a shared machine, not a slower model
P99, CONFIDENCE = 0.99, 0.95
_NEEDED = ("served_entity", "status_code", "latency_ms", "scores")
LABEL_COLUMNS = ["request_id", "served_entity", "record_key", "flag", "score", "label"]


@dataclass(frozen=True)
class SideStats:
    served_entity: str
    requests: int  # all rows in the window
    caller_errors: int  # 4xx
    server_errors: int  # 5xx, missing or unexpected status
    judged_requests: int  # requests - caller_errors: what min_requests counts
    error_rate: float | None  # server_errors / judged_requests
    caller_error_rate: float | None  # caller_errors / requests
    p50_latency_ms: float | None
    p99_latency_ms: float | None
    p99_latency_low_ms: float | None  # the p99's 95 % confidence interval (order statistics)
    p99_latency_high_ms: float | None
    scores: int  # scores returned (a request may score several records)
    labelled: int  # served records with an outcome
    precision: float | None  # of the served flags against outcomes; None: not computable
    recall: float | None
    flagged: int = 0  # labelled records the side flagged (precision's denominator)
    positives: int = 0  # labelled records that needed review (recall's denominator)


@dataclass(frozen=True)
class CanaryHealth:
    canary: SideStats
    incumbent: SideStats
    limits: HealthLimits
    traffic: int | None  # the canary's share during the window
    policy_version: str | None
    score_psi: float | None
    enough_data: bool
    problems: tuple[str, ...]  # limits broken; empty unless enough_data
    not_judged: tuple[str, ...]  # checks that could not be judged yet, with why (not failures)

    @property
    def healthy(self) -> bool:
        return self.enough_data and not self.problems

    @property
    def reason(self) -> str:
        c, i = self.canary, self.incumbent
        if not self.enough_data:
            return (f"not enough data: {c.served_entity} has {c.judged_requests} and {i.served_entity} "
                    f"{i.judged_requests} requests; {self.limits.min_requests} each are needed")
        if self.problems:
            return f"canary {c.served_entity} is unhealthy: " + "; ".join(self.problems)
        text = (f"canary {c.served_entity} is healthy: server-error rate {c.error_rate:.4f} vs {i.error_rate:.4f}, "
                f"p99 {c.p99_latency_ms:.1f} ms vs {i.p99_latency_ms:.1f} ms")
        if self.score_psi is not None:
            text += f", score PSI {self.score_psi:.3f}"
        if c.precision is not None and i.precision is not None:
            text += f", precision {c.precision:.3f} vs {i.precision:.3f}"
        if c.recall is not None and i.recall is not None:
            text += f", recall {c.recall:.3f} vs {i.recall:.3f}"
        return text + "".join(f"; not yet judged: {n}" for n in self.not_judged)

    def as_verdict(self) -> GateVerdict:
        measured = {"traffic": self.traffic, "enough_data": self.enough_data, "score_psi": _round(self.score_psi),
                    "canary": _rounded(asdict(self.canary)), "incumbent": _rounded(asdict(self.incumbent)),
                    "problems": list(self.problems), "not_judged": list(self.not_judged)}
        return GateVerdict(gate=GATE, passed=self.healthy, reason=self.reason, measured=measured,
                           thresholds=self.limits.model_dump(mode="json"), policy_version=self.policy_version)


def canary_health(rows: pa.Table | pd.DataFrame | None, canary: str, incumbent: str,
                  policy_step: CanaryStep | HealthLimits, labels: pd.DataFrame | None = None) -> CanaryHealth:
    """Judge the canary against the incumbent on inference-log rows of one observation window.

    labels: `labels_for(rows, outcomes)`; None when no outcomes are available yet.
    """
    limits = policy_step.limits if isinstance(policy_step, CanaryStep) else policy_step
    frame = _frame(rows)
    labels = pd.DataFrame(columns=LABEL_COLUMNS) if labels is None else labels
    c, i = (_side(frame, name, labels) for name in (canary, incumbent))
    c_scores, i_scores = _scores(frame, canary), _scores(frame, incumbent)
    psi = population_stability_index(i_scores, c_scores) if c_scores.size and i_scores.size else None
    enough = min(c.judged_requests, i.judged_requests) >= limits.min_requests
    problems, not_judged = _judge(c, i, psi, limits) if enough else ([], [])
    return CanaryHealth(canary=c, incumbent=i, limits=limits, traffic=getattr(policy_step, "traffic", None),
                        policy_version=getattr(policy_step, "policy_version", None), score_psi=psi,
                        enough_data=enough, problems=tuple(problems), not_judged=tuple(not_judged))


def _judge(c: SideStats, i: SideStats, psi: float | None, limits: HealthLimits) -> tuple[list[str], list[str]]:
    problems, not_judged = [], []
    if c.error_rate - i.error_rate > limits.max_error_rate_increase:
        problems.append(f"server-error rate {c.error_rate:.4f} ({c.server_errors} of {c.judged_requests}) is more than "
                        f"{limits.max_error_rate_increase} above the incumbent's {i.error_rate:.4f}")
    if c.caller_error_rate - i.caller_error_rate > limits.max_caller_error_rate_increase:
        problems.append(f"it refuses {c.caller_error_rate:.4f} of requests as bad input (4xx), more than "
                        f"{limits.max_caller_error_rate_increase} above the incumbent's {i.caller_error_rate:.4f}")
    if c.p99_latency_ms is None or i.p99_latency_ms is None:
        problems.append("latency is missing from the inference log, so it cannot be judged")
    else:
        _judge_latency(c, i, limits, problems, not_judged)
    if psi is not None and psi > limits.max_score_psi:
        problems.append(f"score distribution shifted from the incumbent's: PSI {psi:.3f} above {limits.max_score_psi}")
    elif psi is None and i.scores and not c.scores:
        problems.append("it returns no scores while the incumbent does (monitoring would go blind)")
    elif psi is None:
        not_judged.append(f"score shift ({'the incumbent returns no' if c.scores else 'neither side returns'} scores)")
    if min(c.labelled, i.labelled) < limits.min_labelled:
        not_judged.append(f"precision and recall ({c.labelled} and {i.labelled} served records have outcomes; "
                          f"{limits.min_labelled} each are needed)")
    else:
        for metric, limit, trials in (("precision", limits.max_precision_drop, c.flagged),
                                      ("recall", limits.max_recall_drop, c.positives)):
            cv, iv = getattr(c, metric), getattr(i, metric)
            if cv is None or iv is None:
                not_judged.append(f"{metric} (no flagged records or no positive outcomes on one side)")
            elif iv - cv > limit and iv - wilson_upper(cv, trials) > limit:
                problems.append(f"{metric} {cv:.3f} (of {trials}; 95% upper bound {wilson_upper(cv, trials):.3f}) is more "
                                f"than {limit} below the incumbent's {iv:.3f}")
            elif iv - cv > limit:
                not_judged.append(f"{metric} {cv:.3f} vs {iv:.3f} (of {trials}: too few to tell the drop from chance)")
    return problems, not_judged


def _judge_latency(c: SideStats, i: SideStats, limits: HealthLimits, problems: list[str], not_judged: list[str]) -> None:
    too_few = f"of {c.judged_requests} and {i.judged_requests} requests: too few to tell it from scheduling noise"
    limit = limits.max_p99_latency_ms
    incumbent_keeps_it = i.p99_latency_high_ms <= limit  # shown by the old side on the same traffic
    if c.p99_latency_low_ms > limit and incumbent_keeps_it:
        problems.append(f"p99 latency {c.p99_latency_ms:.1f} ms (95% lower bound {c.p99_latency_low_ms:.1f}) is above "
                        f"the maximum {limit} ms, which the incumbent keeps (its 95% upper bound "
                        f"{i.p99_latency_high_ms:.1f} ms)")
    elif c.p99_latency_ms > limit and not incumbent_keeps_it:
        not_judged.append(f"p99 latency {c.p99_latency_ms:.1f} ms over the maximum {limit} ms, but the incumbent is not "
                          f"shown to keep it on the same traffic (p99 {i.p99_latency_ms:.1f} ms, 95% upper bound "
                          f"{i.p99_latency_high_ms:.1f}): the host or the load is slow, not the canary (the ratio "
                          f"compares them; the endpoint's SLA check judges the breach)")
    elif c.p99_latency_ms > limit:
        not_judged.append(f"p99 latency {c.p99_latency_ms:.1f} ms over the maximum {limit} ms ({too_few})")
    if _slower(c.p99_latency_low_ms, i.p99_latency_high_ms, limits):
        problems.append(f"p99 latency {c.p99_latency_ms:.1f} ms is {c.p99_latency_ms / i.p99_latency_ms:.2f} times the "
                        f"incumbent's {i.p99_latency_ms:.1f} ms, and even its 95% lower bound {c.p99_latency_low_ms:.1f} ms "
                        f"is {c.p99_latency_low_ms / i.p99_latency_high_ms:.2f} times the incumbent's upper bound "
                        f"{i.p99_latency_high_ms:.1f} ms (maximum {limits.max_p99_latency_ratio})")
    elif _slower(c.p99_latency_ms, i.p99_latency_ms, limits):
        not_judged.append(f"p99 latency {c.p99_latency_ms:.1f} ms vs {i.p99_latency_ms:.1f} ms ({too_few})")


def _slower(canary_ms: float, incumbent_ms: float, limits: HealthLimits) -> bool:
    return (incumbent_ms > 0 and canary_ms / incumbent_ms > limits.max_p99_latency_ratio
            and canary_ms - incumbent_ms > LATENCY_NOISE_MS)


def quantile_bounds(values: np.ndarray, q: float = P99, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """A distribution-free confidence interval of the q-quantile of `values`' population: the k-th
    smallest sample lies below the quantile with the probability that a binomial(n, q) count reaches
    k, so the bounds are the order statistics at its two tail quantiles. Where n is too small for a
    bound at this confidence, the smallest or largest sample stands in (the widest interval there is)."""
    from scipy.stats import binom  # 0.5 s to import: when a canary is judged, not when the graph loads

    ordered = np.sort(np.asarray(values, dtype=np.float64))
    n, tail = ordered.size, (1 - confidence) / 2
    lower = int(binom.ppf(tail, n, q))  # 1-based rank of the lower bound
    upper = int(binom.ppf(1 - tail, n, q)) + 1
    return float(ordered[min(max(lower, 1), n) - 1]), float(ordered[min(max(upper, 1), n) - 1])


def wilson_upper(rate: float, trials: int, z: float = 1.96) -> float:
    """Upper end of the Wilson score interval (95 % by default) of a proportion seen in `trials`.
    A canary's precision or recall fails only when even this bound is too far below the incumbent:
    at 10 % traffic a few dozen labelled claims would otherwise fail good versions by chance."""
    if trials <= 0:
        return 1.0
    centre = rate + z * z / (2 * trials)
    spread = z * np.sqrt(rate * (1 - rate) / trials + z * z / (4 * trials * trials))
    return float(min(1.0, (centre + spread) / (1 + z * z / trials)))


def population_stability_index(expected: np.ndarray, actual: np.ndarray, bins: int = PSI_BINS) -> float:
    """PSI of `actual` against `expected`: sum over bins of (a - e) * ln(a / e), bins cut at the
    quantiles of `expected` (ties merge bins, so a score with few distinct values still works)."""
    expected, actual = np.asarray(expected, dtype=np.float64), np.asarray(actual, dtype=np.float64)
    if not expected.size or not actual.size:
        raise GateInputError("PSI needs scores on both sides")
    cuts = np.unique(np.quantile(expected, np.arange(1, bins) / bins))
    e = np.bincount(np.searchsorted(cuts, expected, side="right"), minlength=cuts.size + 1) / expected.size
    a = np.bincount(np.searchsorted(cuts, actual, side="right"), minlength=cuts.size + 1) / actual.size
    e, a = np.maximum(e, PSI_FLOOR), np.maximum(a, PSI_FLOOR)
    return float(np.sum((a - e) * np.log(a / e)))


def labels_for(rows: pa.Table | pd.DataFrame | None, outcomes: pd.DataFrame | None) -> pd.DataFrame:
    """One row per served record that has an outcome: its served flag and score next to the label.

    outcomes: the use case's labels as `record_key`, `label` and, when known, `available_at`
    (the deployment's outcomes reader names them so from the use case's label spec).

    A request's `record_keys`, the `predictions` in its response and its `scores` are aligned
    lists; requests that failed, carry no keys, or whose lists do not line up are left out. An
    outcome decided more than once counts with its latest decision.
    """
    frame = _frame(rows, ("request_id", "served_entity", "status_code", "response", "scores", "record_keys"))
    if outcomes is None or outcomes.empty or frame.empty:
        return pd.DataFrame(columns=LABEL_COLUMNS)
    served = []
    ok = frame[pd.to_numeric(frame["status_code"], errors="coerce").between(200, 299) & frame["record_keys"].map(_is_list)]
    for row in ok.itertuples(index=False):
        keys, flags = list(row.record_keys), _flags(row.response)
        scores = list(row.scores) if _is_list(row.scores) else [np.nan] * len(keys)
        if flags is None or not len(keys) == len(flags) == len(scores):
            continue
        served.extend(zip([row.request_id] * len(keys), [row.served_entity] * len(keys), keys, flags, scores))
    known = outcomes.sort_values("available_at") if "available_at" in outcomes else outcomes
    known = known.dropna(subset=["label"]).drop_duplicates("record_key", keep="last")
    joined = pd.DataFrame(served, columns=LABEL_COLUMNS[:-1]).merge(known[["record_key", "label"]], on="record_key",
                                                                     how="inner")
    joined["label"] = joined["label"].astype(int)
    return joined[LABEL_COLUMNS]


def _flags(response: Any) -> list[int] | None:
    """The 0/1 flags of a scoring response `{"predictions": [...]}`; None when it holds anything else."""
    try:
        predictions = json.loads(response)["predictions"]
    except (TypeError, ValueError, KeyError):
        return None
    if not isinstance(predictions, list) or not all(p in (0, 1) and not isinstance(p, str) for p in predictions):
        return None
    return [int(p) for p in predictions]


def _is_list(value: Any) -> bool:
    return isinstance(value, (list, tuple, np.ndarray))


def _frame(rows: pa.Table | pd.DataFrame | None, columns: tuple[str, ...] = _NEEDED) -> pd.DataFrame:
    if rows is None:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    frame = rows.to_pandas() if isinstance(rows, pa.Table) else rows
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise GateInputError(f"inference-log rows lack columns {missing}")
    return frame


def _side(frame: pd.DataFrame, name: str, labels: pd.DataFrame) -> SideStats:
    side = frame[frame["served_entity"] == name]
    status = pd.to_numeric(side["status_code"], errors="coerce")
    caller = status.between(400, 499)
    server = ~caller & ~status.between(200, 299)  # includes a missing status: an unknown outcome is not a success
    judged = int(len(side) - caller.sum())
    latency = pd.to_numeric(side.loc[~caller, "latency_ms"], errors="coerce").dropna().to_numpy()
    low, high = quantile_bounds(latency) if latency.size else (None, None)
    mine = labels[labels["served_entity"] == name]
    flagged, positive = mine["flag"] == 1, mine["label"] == 1
    hits = int((flagged & positive).sum())
    return SideStats(
        served_entity=name, requests=len(side), caller_errors=int(caller.sum()), server_errors=int(server.sum()),
        judged_requests=judged, error_rate=int(server.sum()) / judged if judged else None,
        caller_error_rate=float(caller.mean()) if len(side) else None,
        p50_latency_ms=float(np.percentile(latency, 50)) if latency.size else None,
        p99_latency_ms=float(np.percentile(latency, 99)) if latency.size else None,
        p99_latency_low_ms=low, p99_latency_high_ms=high,
        scores=int(_scores(frame, name).size), labelled=len(mine),
        precision=hits / int(flagged.sum()) if flagged.any() else None,
        recall=hits / int(positive.sum()) if positive.any() else None,
        flagged=int(flagged.sum()), positives=int(positive.sum()),
    )


def _scores(frame: pd.DataFrame, name: str) -> np.ndarray:
    lists = [s for s in frame.loc[frame["served_entity"] == name, "scores"] if _is_list(s)]
    values = np.concatenate([np.asarray(s, dtype=np.float64) for s in lists]) if len(lists) else np.empty(0)
    return values[np.isfinite(values)]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def _rounded(stats: dict[str, Any]) -> dict[str, Any]:
    return {k: _round(v) if isinstance(v, float) else v for k, v in stats.items()}
