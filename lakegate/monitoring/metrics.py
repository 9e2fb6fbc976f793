"""Drift metrics between two binned distributions, with Databricks Lakehouse Monitoring's meanings.

Every function takes the bin counts of the two sides over the same bins (a reference or earlier
window first, the current window second), never raw rows, so a profile of a billion rows costs
the same as one of a thousand. Which metric applies to which kind of column follows Lakehouse
Monitoring's drift table: numeric columns get `ks_test`, `wasserstein_distance` and
`population_stability_index`; categorical columns get `js_distance`, `chi_squared_test`,
`tv_distance` and `l_infinity_distance`.

Binned data, stated plainly (docs/decisions/0022-monitor-drift-metrics.md):
- KS: the statistic is the largest gap between the two empirical CDFs at the bin edges. It equals
  the exact two-sample KS statistic of data whose values sit on the bins, and is at most the
  statistic of the raw data (ties inside a bin hide a gap). The p-value is the asymptotic one,
  Kolmogorov's distribution of D at n*m/(n+m) observations, as scipy's ks_2samp(method="asymp").
- Wasserstein: W1 between the two histograms with each bin's mass at one shared value (the bin
  centre), so the error is at most half a bin width.
- PSI: proportions below PSI_EPSILON are raised to it (empty bins would make it infinite); the
  proportions are not renormalised.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PSI_EPSILON = 1e-4  # floor of a bin's share in PSI; 1e-4 is the usual choice (Evidently uses it too)


@dataclass(frozen=True)
class TestResult:
    """A statistical test's outcome, as Lakehouse Monitoring's struct<statistic, pvalue>."""

    statistic: float
    pvalue: float


def proportions(counts) -> np.ndarray:
    counts = np.asarray(counts, dtype=np.float64)
    total = counts.sum()
    if total <= 0:
        raise ValueError("a distribution with no observations has no proportions")
    return counts / total


def _pair(expected, actual) -> tuple[np.ndarray, np.ndarray]:
    p, q = proportions(expected), proportions(actual)
    if p.shape != q.shape:
        raise ValueError(f"the two distributions have different bins ({p.size} and {q.size})")
    return p, q


def js_distance(expected, actual) -> float:
    """Jensen-Shannon distance with base-2 logarithms: 0 for equal distributions, 1 for disjoint ones."""
    p, q = _pair(expected, actual)
    m = (p + q) / 2
    divergence = (_kl_base2(p, m) + _kl_base2(q, m)) / 2
    return float(np.sqrt(max(divergence, 0.0)))


def _kl_base2(p: np.ndarray, m: np.ndarray) -> float:
    nonzero = p > 0  # 0 * log 0 = 0; m > 0 wherever p > 0
    return float(np.sum(p[nonzero] * np.log2(p[nonzero] / m[nonzero])))


def tv_distance(expected, actual) -> float:
    """Total variation distance: half the L1 distance between the proportions, in [0, 1]."""
    p, q = _pair(expected, actual)
    return float(np.abs(p - q).sum() / 2)


def l_infinity_distance(expected, actual) -> float:
    """The largest difference in one category's proportion, in [0, 1]."""
    p, q = _pair(expected, actual)
    return float(np.abs(p - q).max())


def chi_squared_test(expected, actual) -> TestResult:
    """Pearson's chi-squared test of homogeneity on the 2 x k table of counts (no continuity correction).

    Categories empty on both sides carry no information and are dropped; with fewer than two
    categories left there is nothing to test and the result is (0, 1).
    """
    table = np.vstack([np.asarray(expected, np.float64), np.asarray(actual, np.float64)])
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2 or (table.sum(axis=1) == 0).any():
        return TestResult(0.0, 1.0)
    fitted = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    statistic = float(((table - fitted) ** 2 / fitted).sum())
    from scipy import stats  # 0.5 s to import: when a monitor runs, not when the graph loads

    return TestResult(statistic, float(stats.chi2.sf(statistic, table.shape[1] - 1)))


def ks_test(expected, actual) -> TestResult:
    """Two-sample Kolmogorov-Smirnov on binned counts (see the module docstring for what binning costs)."""
    exp, act = np.asarray(expected, np.float64), np.asarray(actual, np.float64)
    n, m = exp.sum(), act.sum()
    p, q = _pair(exp, act)
    statistic = float(np.abs(np.cumsum(p) - np.cumsum(q)).max())
    effective_n = np.round(n * m / (n + m))
    from scipy import stats  # as in chi_squared_test

    return TestResult(statistic, float(np.clip(stats.kstwo.sf(statistic, effective_n), 0.0, 1.0)))


def wasserstein_distance(expected, actual, centres) -> float:
    """Earth mover's distance between the histograms, each bin's mass at its centre (same units as the column)."""
    p, q = _pair(expected, actual)
    centres = np.asarray(centres, np.float64)
    if centres.shape != p.shape or (np.diff(centres) < 0).any():
        raise ValueError("bin centres must be one ascending value per bin")
    gaps = np.abs(np.cumsum(p) - np.cumsum(q))[:-1]
    return float(np.sum(gaps * np.diff(centres)))


def population_stability_index(expected, actual, epsilon: float = PSI_EPSILON) -> float:
    """PSI = sum (a - e) * ln(a / e) over bins, shares floored at `epsilon`: 0.1 and 0.25 are the usual bands."""
    e, a = _pair(expected, actual)
    e, a = np.maximum(e, epsilon), np.maximum(a, epsilon)
    return float(np.sum((a - e) * np.log(a / e)))
