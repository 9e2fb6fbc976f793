"""Stability gate: the metric must hold steady across time and resampling.

- Time: rows are cut into `time_slices` equal-count slices by event time (quantiles; rows with the
  same timestamp stay in one slice) and the metric is computed per slice; its sample standard
  deviation (ddof=1) across slices must be at most `max_slice_std`.
- Resampling: `bootstrap_samples` resamples of all rows with replacement (numpy Generator with the
  policy's fixed seed, so the verdict is reproducible); the metric's sample standard deviation
  across them must be at most `max_bootstrap_std`.
A slice or resample where the metric is undefined (too few rows, one class) fails the gate.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gates.performance import RankedScores, as_labels, as_scores, metric_value, require_both_classes
from gates.policy import STABILITY, GateInputError, PromotionPolicy, run_gate
from gates.verdict import GateVerdict

GATE = STABILITY


def stability_gate(y_true, scores, event_times, policy: PromotionPolicy) -> GateVerdict:
    """event_times: one per row (datetimes, datetime strings or numbers), used only to order rows."""
    return run_gate(GATE, policy, _evaluate, y_true, scores, event_times)


def as_times(values: Any, rows: int) -> np.ndarray:
    """Event times as int64 nanoseconds since the epoch (UTC), or plain numbers; none missing."""
    if values is None:
        raise GateInputError("event_times is missing (None)")
    series = values.reset_index(drop=True) if isinstance(values, pd.Series) else pd.Series(np.asarray(values))
    if series.empty:
        raise GateInputError("event_times is empty")
    if len(series) != rows:
        raise GateInputError(f"event_times has {len(series)} rows but y_true has {rows}")
    if pd.api.types.is_bool_dtype(series):
        raise GateInputError("event_times must be times or numbers, got booleans")
    if pd.api.types.is_numeric_dtype(series):
        numbers = series.to_numpy(dtype=np.float64)
        if not np.isfinite(numbers).all():
            raise GateInputError(f"event_times has {int((~np.isfinite(numbers)).sum())} missing or infinite values")
        return numbers
    try:
        times = pd.to_datetime(series, utc=True)
    except (ValueError, TypeError) as exc:
        raise GateInputError(f"event_times are not times: {exc}") from None
    if times.isna().any():
        raise GateInputError(f"event_times has {int(times.isna().sum())} missing values")
    return times.dt.tz_localize(None).to_numpy().astype("datetime64[ns]").astype(np.int64)


def _time_text(value: Any, times: np.ndarray) -> Any:
    """A slice bound for people: ISO text for a time, the number itself otherwise."""
    if np.issubdtype(times.dtype, np.integer):
        return pd.Timestamp(int(value), tz="UTC").isoformat()
    return float(value)


def time_slices(times: np.ndarray, slices: int) -> np.ndarray:
    """Slice number per row: cut at the event-time quantiles, ties kept together."""
    ordered = np.sort(times)
    cuts = ordered[[int(np.floor(times.size * k / slices)) for k in range(1, slices)]]
    return np.searchsorted(cuts, times, side="right")


def bootstrap_values(ranked: RankedScores, metric: str, samples: int, seed: int) -> np.ndarray:
    """The metric on `samples` bootstrap resamples. A resample's row counts are Multinomial(n, 1/n),
    which is exchangeable: drawing them straight in the sorted order is the same distribution as
    resampling rows and re-sorting, and saves a gather per resample."""
    rng = np.random.default_rng(seed)
    n = ranked.size
    values = np.empty(samples)
    for i in range(samples):
        weights = np.bincount(rng.integers(0, n, n, dtype=np.int32), minlength=n)
        values[i] = ranked.value(metric, weights)
    return values


def _std(values: np.ndarray) -> float:
    return float(np.std(values, ddof=1))


def _evaluate(y_true, scores, event_times, policy: PromotionPolicy) -> GateVerdict:
    p = policy.stability
    y = as_labels(y_true)
    s = as_scores(scores, y.size)
    times = as_times(event_times, y.size)
    require_both_classes(y)

    slice_of = time_slices(times, p.time_slices)
    per_slice: list[dict[str, Any]] = []
    unjudgeable: list[str] = []
    for k in range(p.time_slices):
        rows = np.flatnonzero(slice_of == k)
        entry: dict[str, Any] = {"slice": k, "rows": int(rows.size)}
        if rows.size:
            entry.update(start=_time_text(times[rows].min(), times), end=_time_text(times[rows].max(), times),
                         positives=int(y[rows].sum()))
        if rows.size < p.min_slice_rows:
            unjudgeable.append(f"slice {k} has {rows.size} rows (minimum {p.min_slice_rows})")
        elif entry["positives"] in (0, rows.size):
            unjudgeable.append(f"slice {k} has only one class")
        else:
            entry[p.metric] = round(metric_value(p.metric, y[rows], s[rows]), 6)
        per_slice.append(entry)
    measured: dict[str, Any] = {"metric": p.metric, "rows": int(y.size), "slices": per_slice}
    if unjudgeable:
        return policy.failed(GATE, f"time slices cannot be judged: {'; '.join(unjudgeable)} "
                             f"(too many ties in event time or too few rows for {p.time_slices} slices)", **measured)

    slice_values = np.array([entry[p.metric] for entry in per_slice])
    boot = bootstrap_values(RankedScores(y, s), p.metric, p.bootstrap_samples, p.seed)
    if not np.isfinite(boot).all():
        return policy.failed(GATE, f"{int((~np.isfinite(boot)).sum())} bootstrap resamples had one class only", **measured)
    slice_std, boot_std = _std(slice_values), _std(boot)
    measured.update(
        slice_std=round(slice_std, 6), slice_min=round(float(slice_values.min()), 6), slice_max=round(float(slice_values.max()), 6),
        bootstrap_std=round(boot_std, 6), bootstrap_mean=round(float(boot.mean()), 6),
        bootstrap_p05=round(float(np.quantile(boot, 0.05)), 6), bootstrap_p95=round(float(np.quantile(boot, 0.95)), 6),
        bootstrap_samples=p.bootstrap_samples, seed=p.seed,
    )
    problems = []
    if slice_std > p.max_slice_std:
        problems.append(f"{p.metric} varies across {p.time_slices} time slices with std {slice_std:.4f} "
                        f"(from {slice_values.min():.4f} to {slice_values.max():.4f}), above the maximum {p.max_slice_std}")
    if boot_std > p.max_bootstrap_std:
        problems.append(f"{p.metric} varies across {p.bootstrap_samples} bootstrap resamples with std {boot_std:.4f}, "
                        f"above the maximum {p.max_bootstrap_std}")
    if problems:
        return policy.verdict(GATE, False, "; ".join(problems), measured)
    return policy.verdict(GATE, True, f"{p.metric} std {slice_std:.4f} across {p.time_slices} time slices (max {p.max_slice_std}), "
                          f"{boot_std:.4f} across {p.bootstrap_samples} bootstrap resamples (max {p.max_bootstrap_std})", measured)
