"""Drift of one column between two profiles over the same bins, as the drift table's fields."""

from __future__ import annotations

from lakegate.monitoring import metrics
from lakegate.monitoring.profile import CategoricalProfile, ColumnProfile, NumericProfile

DRIFT_FIELDS = ("js_distance", "ks_test", "chi_squared_test", "tv_distance", "l_infinity_distance",
                "wasserstein_distance", "population_stability_index")


def no_drift_verdict() -> dict:
    """Every drift field NULL: a window too small for a verdict, or a side with no values."""
    return dict.fromkeys(DRIFT_FIELDS)


def column_drift(base: ColumnProfile, current: ColumnProfile) -> dict:
    """The drift fields for one column; those that do not apply to its kind stay NULL (as on Databricks)."""
    out = no_drift_verdict()
    if base.count == 0 or current.count == 0:
        return out
    if isinstance(base, NumericProfile) and isinstance(current, NumericProfile):
        ks = metrics.ks_test(base.counts, current.counts)
        out["ks_test"] = {"statistic": ks.statistic, "pvalue": ks.pvalue}
        out["wasserstein_distance"] = metrics.wasserstein_distance(base.counts, current.counts, base.centres(current))
        out["population_stability_index"] = metrics.population_stability_index(base.psi_counts(), current.psi_counts())
    elif isinstance(base, CategoricalProfile) and isinstance(current, CategoricalProfile):
        out["js_distance"] = metrics.js_distance(base.counts, current.counts)
        chi = metrics.chi_squared_test(base.counts, current.counts)
        out["chi_squared_test"] = {"statistic": chi.statistic, "pvalue": chi.pvalue}
        out["tv_distance"] = metrics.tv_distance(base.counts, current.counts)
        out["l_infinity_distance"] = metrics.l_infinity_distance(base.counts, current.counts)
    else:
        raise ValueError("a column's two profiles are of different kinds")
    return out
