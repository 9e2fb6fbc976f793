"""Mergeable profiles: reference bins, window counts that add up, deterministic JSON."""

import json

import numpy as np
import pyarrow as pa
import pytest

from lakegate.monitoring.profile import Profile, reference_profile


@pytest.fixture
def reference_rows():
    rng = np.random.default_rng(0)
    return pa.table({"amount": rng.lognormal(4, 1, 4000), "age": rng.integers(18, 90, 4000),
                     "region": rng.choice(["north", "south", "east"], 4000)})


@pytest.fixture
def reference(reference_rows):
    return reference_profile(reference_rows, ["amount", "age"], ["region"], bins=20)


def test_reference_holds_every_value_inside_its_range(reference, reference_rows):
    amount = reference.columns["amount"]
    assert amount.counts[0] == 0 and amount.counts[-1] == 0  # overflow bins: outside the reference only
    assert amount.count == reference_rows.num_rows and reference.num_rows == reference_rows.num_rows
    assert amount.psi_counts().size == 10 and amount.psi_counts().sum() == amount.count
    assert sorted(reference.columns["region"].categories) == ["east", "north", "south"]


def test_window_profiles_merge_to_the_profile_of_all_their_rows(reference):
    rng = np.random.default_rng(1)
    rows = pa.table({"amount": pa.array(list(rng.lognormal(5, 1, 900)) + [None, float("nan")]),
                     "age": pa.array(list(rng.integers(0, 120, 902))),
                     "region": pa.array(list(rng.choice(["north", "west"], 901)) + [None])})
    whole = reference.empty().observe(rows)
    halves = reference.empty().observe(rows.slice(0, 400)).merge(reference.empty().observe(rows.slice(400)))
    for name in whole.columns:  # counts add up exactly; float sums up to rounding
        merged, direct = halves.columns[name].to_dict(), whole.columns[name].to_dict()
        for key in ("sum", "sum_of_squares"):
            if key in direct:
                assert merged.pop(key) == pytest.approx(direct.pop(key))
        assert merged == direct
    assert halves.num_rows == whole.num_rows == 902
    amount = whole.columns["amount"]
    assert amount.num_nulls == 2 and amount.count == 900  # NaN counts as null
    assert amount.counts[-1] > 0  # values above the reference's maximum land in the overflow bin
    region = whole.columns["region"]
    assert region.num_nulls == 1 and region.counts[-1] == int((rows["region"].to_numpy(zero_copy_only=False) == "west").sum())


def test_summary_agrees_with_numpy(reference):
    values = np.random.default_rng(2).normal(50, 7, 1000)
    summary = reference.empty().observe(pa.table({"amount": values})).columns["amount"].summary()
    assert summary["avg"] == pytest.approx(values.mean())
    assert summary["stddev"] == pytest.approx(values.std(ddof=1))
    assert (summary["min"], summary["max"]) == (values.min(), values.max())


def test_a_missing_column_counts_as_nulls(reference):
    window = reference.empty().observe(pa.table({"amount": [1.0, 2.0]}))
    assert window.columns["age"].num_nulls == 2 and window.columns["region"].num_nulls == 2


def test_json_is_deterministic_and_round_trips(reference, reference_rows):
    text = reference.to_json()
    assert Profile.from_json(text).to_json() == text
    swapped = reference_profile(reference_rows.select(["region", "age", "amount"]), ["age", "amount"], ["region"], bins=20)
    assert swapped.to_json() == text  # column order of the input does not matter
    assert list(json.loads(text)["columns"]) == ["age", "amount", "region"]


def test_window_counts_are_stored_without_bins_and_read_back_with_the_reference(reference):
    window = reference.empty().observe(pa.table({"amount": [10.0, 1e6], "age": [30, 31], "region": ["east", "x"]}))
    counts_only = window.to_json(bins=False)
    assert "edges" not in counts_only and "categories" not in counts_only
    assert Profile.from_json(counts_only, like=reference).to_json() == window.to_json()
    with pytest.raises(ValueError, match="reference's columns"):
        Profile.from_json(counts_only, like=Profile({"age": reference.columns["age"]}))


def test_categories_past_the_cap_share_the_other_bucket():
    rows = pa.table({"c": ["a"] * 5 + ["b"] * 4 + ["c"] * 3 + ["d"]})
    profile = reference_profile(rows, [], ["c"], max_categories=2).columns["c"]
    assert profile.categories == ("a", "b") and profile.counts.tolist() == [5, 4, 4]
    assert profile.summary()["distinct_count"] is None  # "other" hides how many there were


def test_profiles_of_other_bins_do_not_merge(reference, reference_rows):
    other = reference_profile(reference_rows.slice(0, 100), ["amount", "age"], ["region"], bins=20)
    with pytest.raises(ValueError, match="same bin edges"):
        reference.merge(other)


def test_bad_reference_requests_are_refused(reference_rows):
    with pytest.raises(ValueError, match="multiple of 10"):
        reference_profile(reference_rows, ["amount"], [], bins=15)
    with pytest.raises(ValueError, match="missing"):
        reference_profile(reference_rows, ["nope"], [])
    with pytest.raises(ValueError, match="finite values"):
        reference_profile(pa.table({"x": pa.array([None, None], pa.float64())}), ["x"], [])


def test_reference_edges_are_numpys_quantiles(reference_rows):
    amount = reference_rows["amount"].to_numpy()
    edges = reference_profile(reference_rows, ["amount"], [], bins=20).columns["amount"].edges
    expected = np.quantile(amount, np.linspace(0, 1, 21))
    assert np.allclose(edges[:-1], expected[:-1], rtol=0, atol=1e-9) and edges[-1] == np.nextafter(expected[-1], np.inf)


def test_a_large_table_profiled_in_threads_counts_as_its_halves_do(reference):
    rng = np.random.default_rng(5)
    rows = pa.table({"amount": rng.lognormal(4, 1, 120_000), "age": rng.integers(0, 99, 120_000),
                     "region": rng.choice(["north", "south", "west"], 120_000)})
    threaded = reference.empty().observe(rows)  # above the threading threshold
    halves = reference.empty().observe(rows.slice(0, 60_000)).merge(reference.empty().observe(rows.slice(60_000)))
    for name in rows.column_names:
        assert threaded.columns[name].counts.tolist() == halves.columns[name].counts.tolist()
