"""Monitoring verdicts: the monitoring policy applied to one window's figures of one model version.

Plain functions of figures the monitor has already computed (lakegate/monitoring); the monitor
asset's checks wrap them (ml_assets/monitoring). Each verdict is one of:
- `pass`: within every limit;
- `warn`: an advisory limit is crossed (the check fails with WARN severity: someone is told);
- `error`: an acting limit is crossed (ERROR: on the prod champion, remediation acts);
- `none`: no verdict, because the window is below the policy's minimum rows or, for quality, too
  few labels have arrived. Unknown is never guessed into a pass or a fail.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass, field
from typing import Literal

from gates.monitoring_policy import MonitoringPolicy

DRIFT, QUALITY, SLA, MODEL_AGE = "monitor_drift", "monitor_quality", "monitor_sla", "model_age"
FAMILIES = (DRIFT, QUALITY, SLA, MODEL_AGE)  # one asset check each on a use case's monitor
Outcome = Literal["pass", "warn", "error", "none"]


@dataclass(frozen=True)
class MonitorVerdict:
    family: str
    outcome: Outcome
    reason: str
    model_version: str | None = None
    window: tuple[str, str] | None = None  # ISO start, end of the judged window
    figures: dict = field(default_factory=dict)
    policy_version: str = ""
    policy_sha256: str = ""

    @property
    def passed(self) -> bool:
        return self.outcome in ("pass", "none")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "MonitorVerdict":
        """Back from `to_dict` after a JSON round trip (the window comes back as a list)."""
        return cls(**{**data, "window": tuple(data["window"]) if data.get("window") else None})


@dataclass(frozen=True)
class FeatureDrift:
    """One feature's drift against the reference in one window (drift_metrics row, BASELINE)."""

    column: str
    population_stability_index: float | None
    js_distance: float | None
    pvalue: float | None  # KS for numeric, chi-squared for categorical features


@dataclass(frozen=True)
class WindowFigures:
    """What the monitor computed for one window of one model version (whole population slice)."""

    model_version: str
    window: tuple[str, str]
    rows: int
    drift: tuple[FeatureDrift, ...] = ()
    labelled: int = 0
    precision: float | None = None
    recall: float | None = None
    p99_latency_ms: float | None = None
    error_rate: float | None = None


def _verdict(policy: MonitoringPolicy, family: str, outcome: Outcome, reason: str, figures: WindowFigures | None,
             **numbers) -> MonitorVerdict:
    return MonitorVerdict(family, outcome, reason, figures.model_version if figures else None,
                          figures.window if figures else None, numbers, policy.version, policy.sha256)


def drifted(feature: FeatureDrift, policy: MonitoringPolicy, features_tested: int) -> bool:
    limits = policy.drift
    corrected_alpha = limits.alpha / max(features_tested, 1)
    return any((
        feature.population_stability_index is not None and feature.population_stability_index >= limits.psi_bands[1],
        feature.js_distance is not None and feature.js_distance >= limits.max_js_distance,
        feature.pvalue is not None and feature.pvalue < corrected_alpha,
    ))


def judge_drift(figures: WindowFigures | None, policy: MonitoringPolicy) -> MonitorVerdict:
    if figures is None or figures.rows < policy.min_window_rows:
        return _verdict(policy, DRIFT, "none", _too_few(figures, policy), figures)
    if not figures.drift:
        return _verdict(policy, DRIFT, "none", "no verdict: no reference profile to compare with", figures)
    tested = len(figures.drift)
    names = sorted(f.column for f in figures.drift if drifted(f, policy, tested))
    share = len(names) / tested
    worst = max(figures.drift, key=lambda f: f.population_stability_index or 0.0)
    numbers = dict(drifted_share=round(share, 4), drifted=names, features_tested=tested, rows=figures.rows,
                   worst_psi={worst.column: worst.population_stability_index})
    limits = policy.drift
    if share >= limits.error_drifted_share:
        return _verdict(policy, DRIFT, "error", f"{len(names)} of {tested} features drifted "
                        f"({share:.0%} >= {limits.error_drifted_share:.0%}): {', '.join(names)}", figures, **numbers)
    if share >= limits.warn_drifted_share:
        return _verdict(policy, DRIFT, "warn", f"{len(names)} of {tested} features drifted "
                        f"({share:.0%} >= {limits.warn_drifted_share:.0%}): {', '.join(names)}", figures, **numbers)
    return _verdict(policy, DRIFT, "pass", f"{len(names)} of {tested} features drifted", figures, **numbers)


def judge_quality(figures: WindowFigures | None, policy: MonitoringPolicy) -> MonitorVerdict:
    limits = policy.quality
    if figures is None or figures.rows < policy.min_window_rows:
        return _verdict(policy, QUALITY, "none", _too_few(figures, policy), figures)
    coverage = figures.labelled / figures.rows if figures.rows else 0.0
    numbers = dict(labelled=figures.labelled, label_coverage=round(coverage, 4), precision=figures.precision,
                   recall=figures.recall, rows=figures.rows)
    # Precision has no value when nothing was flagged; recall when nothing was positive: judge what there is.
    if figures.labelled < limits.min_labelled or (figures.precision is None and figures.recall is None):
        return _verdict(policy, QUALITY, "none", f"quality unknown: {figures.labelled} labelled rows "
                        f"(the policy judges from {limits.min_labelled})", figures, **numbers)
    errors = _below(figures, limits.error_min_precision, limits.error_min_recall)
    if errors:
        return _verdict(policy, QUALITY, "error", "; ".join(errors), figures, **numbers)
    warnings = _below(figures, limits.warn_min_precision, limits.warn_min_recall)
    if warnings:
        return _verdict(policy, QUALITY, "warn", "; ".join(warnings), figures, **numbers)
    return _verdict(policy, QUALITY, "pass", f"precision {_text(figures.precision)}, recall {_text(figures.recall)}",
                    figures, **numbers)


def judge_sla(figures: WindowFigures | None, policy: MonitoringPolicy) -> MonitorVerdict:
    limits = policy.sla
    if figures is None or figures.rows < policy.min_window_rows or figures.p99_latency_ms is None:
        return _verdict(policy, SLA, "none", _too_few(figures, policy), figures)
    p99, errors = figures.p99_latency_ms, figures.error_rate or 0.0
    numbers = dict(p99_latency_ms=round(p99, 3), error_rate=round(errors, 5), rows=figures.rows)
    for outcome, p99_limit, error_limit in (("error", limits.error_p99_latency_ms, limits.error_error_rate),
                                           ("warn", limits.warn_p99_latency_ms, limits.warn_error_rate)):
        crossed = [f"p99 {p99:.1f} ms > {p99_limit:g} ms"] if p99 > p99_limit else []
        crossed += [f"error rate {errors:.2%} > {error_limit:.2%}"] if errors > error_limit else []
        if crossed:
            return _verdict(policy, SLA, outcome, "; ".join(crossed), figures, **numbers)
    return _verdict(policy, SLA, "pass", f"p99 {p99:.1f} ms, error rate {errors:.2%}", figures, **numbers)


def judge_model_age(version: str | None, registered_at: dt.datetime | None, now: dt.datetime,
                    policy: MonitoringPolicy) -> MonitorVerdict:
    """A champion older than the model-risk policy allows must be replaced (WARN at the retraining
    cadence, ERROR past the maximum age); age alone never rolls back, there is nothing better to go to."""
    risk = policy.model_risk
    if version is None or registered_at is None:
        return MonitorVerdict(MODEL_AGE, "none", "no champion", None, None, {}, policy.version, policy.sha256)
    days = (now - registered_at).total_seconds() / 86_400
    numbers = dict(age_days=round(days, 2), retraining_cadence_days=risk.retraining_cadence_days,
                   max_model_age_days=risk.max_model_age_days)
    outcome: Outcome = "error" if days > risk.max_model_age_days else "warn" if days > risk.retraining_cadence_days else "pass"
    reason = {"error": f"champion v{version} is {days:.0f} days old, past the maximum of {risk.max_model_age_days}",
              "warn": f"champion v{version} is {days:.0f} days old, past the retraining cadence of "
                      f"{risk.retraining_cadence_days}",
              "pass": f"champion v{version} is {days:.1f} days old"}[outcome]
    return MonitorVerdict(MODEL_AGE, outcome, reason, version, None, numbers, policy.version, policy.sha256)


def _below(figures: WindowFigures, min_precision: float, min_recall: float) -> list[str]:
    found = []
    if figures.precision is not None and figures.precision < min_precision:
        found.append(f"precision {figures.precision:.3f} < {min_precision:g}")
    if figures.recall is not None and figures.recall < min_recall:
        found.append(f"recall {figures.recall:.3f} < {min_recall:g}")
    return found


def _text(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _too_few(figures: WindowFigures | None, policy: MonitoringPolicy) -> str:
    if figures is None:
        return "no window of the champion yet"
    return f"no verdict: the window has {figures.rows} rows (the policy judges from {policy.min_window_rows})"


def finite(value) -> float | None:
    """A metric-table value as a float, None for NULL or NaN."""
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value
