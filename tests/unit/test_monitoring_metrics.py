"""Drift metrics agree with scipy/numpy reference computations on the same bins (to 1e-6)."""

import numpy as np
import pyarrow as pa
import pytest
from scipy import stats
from scipy.spatial.distance import jensenshannon

from lakegate.monitoring import metrics
from lakegate.monitoring.drift import column_drift
from lakegate.monitoring.profile import reference_profile

TOL = 1e-6


@pytest.fixture(params=[0, 1, 2])
def counts(request):
    """Two count vectors over the same 12 bins, some bins empty on one side."""
    rng = np.random.default_rng(request.param)
    expected = rng.integers(0, 400, 12)
    actual = rng.integers(0, 400, 12)
    expected[3], actual[7] = 0, 0
    return expected, actual


def test_js_distance_is_scipys_base_2_jensen_shannon(counts):
    e, a = counts
    assert metrics.js_distance(e, a) == pytest.approx(jensenshannon(e, a, base=2), abs=TOL)
    assert metrics.js_distance(e, e) == pytest.approx(0.0, abs=TOL)
    assert metrics.js_distance([1, 0], [0, 1]) == pytest.approx(1.0, abs=TOL)


def test_tv_and_l_infinity_distances_on_proportions(counts):
    e, a = counts
    p, q = e / e.sum(), a / a.sum()
    assert metrics.tv_distance(e, a) == pytest.approx(0.5 * np.abs(p - q).sum(), abs=TOL)
    assert metrics.l_infinity_distance(e, a) == pytest.approx(np.abs(p - q).max(), abs=TOL)
    assert metrics.tv_distance([3, 0], [0, 5]) == pytest.approx(1.0)


def test_chi_squared_is_scipys_contingency_test_without_correction(counts):
    e, a = counts
    table = np.vstack([e, a])
    table = table[:, table.sum(axis=0) > 0]
    ref = stats.chi2_contingency(table, correction=False)
    got = metrics.chi_squared_test(np.append(e, 0), np.append(a, 0))  # a category empty on both sides is dropped
    assert got.statistic == pytest.approx(ref.statistic, abs=TOL)
    assert got.pvalue == pytest.approx(ref.pvalue, abs=TOL)


def test_chi_squared_with_one_category_has_nothing_to_test():
    assert metrics.chi_squared_test([5, 0], [7, 0]) == metrics.TestResult(0.0, 1.0)


def test_ks_equals_ks_2samp_on_data_whose_values_sit_on_the_bins(counts):
    e, a = counts
    x, y = np.repeat(np.arange(e.size), e), np.repeat(np.arange(a.size), a)
    ref = stats.ks_2samp(x, y, method="asymp")
    got = metrics.ks_test(e, a)
    assert got.statistic == pytest.approx(ref.statistic, abs=TOL)
    assert got.pvalue == pytest.approx(ref.pvalue, abs=TOL)


def test_wasserstein_is_scipys_with_bin_centres_as_values_and_counts_as_weights(counts):
    e, a = counts
    centres = np.cumsum(np.random.default_rng(9).uniform(0.5, 3.0, e.size))
    ref = stats.wasserstein_distance(centres, centres, u_weights=e, v_weights=a)
    assert metrics.wasserstein_distance(e, a, centres) == pytest.approx(ref, abs=TOL)
    with pytest.raises(ValueError):
        metrics.wasserstein_distance(e, a, centres[::-1])


def test_psi_with_the_documented_epsilon_for_empty_bins(counts):
    e, a = counts
    p = np.where(e == 0, metrics.PSI_EPSILON, e / e.sum())
    q = np.where(a == 0, metrics.PSI_EPSILON, a / a.sum())
    assert metrics.population_stability_index(e, a) == pytest.approx(np.sum((q - p) * np.log(q / p)), abs=TOL)
    # by hand: (0.25 - 0.5) ln(0.5) + (0.75 - 0.5) ln(1.5)
    assert metrics.population_stability_index([1, 1], [1, 3]) == pytest.approx(0.2746530722, abs=TOL)


def test_distributions_without_observations_or_of_other_bins_are_refused():
    with pytest.raises(ValueError, match="no observations"):
        metrics.js_distance([0, 0], [1, 2])
    with pytest.raises(ValueError, match="different bins"):
        metrics.tv_distance([1, 2, 3], [1, 2])


def test_profile_drift_matches_scipy_on_the_raw_values_binned():
    rng = np.random.default_rng(4)
    ref = pa.table({"x": rng.normal(0, 1, 5000), "c": rng.choice(list("abcd"), 5000, p=[.4, .3, .2, .1])})
    cur = pa.table({"x": rng.normal(0.3, 1.2, 3000), "c": rng.choice(list("abcde"), 3000)})
    reference = reference_profile(ref, ["x"], ["c"], bins=20)
    window = reference.empty().observe(cur)

    numeric = column_drift(reference.columns["x"], window.columns["x"])
    edges = reference.columns["x"].edges
    bx, by = (np.searchsorted(edges, t["x"].to_numpy(), side="right") for t in (ref, cur))
    ks = stats.ks_2samp(bx, by, method="asymp")
    assert numeric["ks_test"]["statistic"] == pytest.approx(ks.statistic, abs=TOL)
    assert numeric["ks_test"]["pvalue"] == pytest.approx(ks.pvalue, abs=TOL)
    assert numeric["js_distance"] is None and numeric["chi_squared_test"] is None  # numeric: not these

    categorical = column_drift(reference.columns["c"], window.columns["c"])
    cats = ["a", "b", "c", "d"]  # "e" is not a reference category: it lands in "other"
    e = [int((ref["c"].to_numpy(zero_copy_only=False) == k).sum()) for k in cats] + [0]
    a = [int((cur["c"].to_numpy(zero_copy_only=False) == k).sum()) for k in cats]
    a.append(cur.num_rows - sum(a))
    assert categorical["js_distance"] == pytest.approx(jensenshannon(e, a, base=2), abs=TOL)
    chi = stats.chi2_contingency(np.vstack([e, a]), correction=False)
    assert categorical["chi_squared_test"] == pytest.approx({"statistic": chi.statistic, "pvalue": chi.pvalue}, abs=TOL)
    assert categorical["ks_test"] is None and categorical["population_stability_index"] is None
