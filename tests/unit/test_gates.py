"""The automated promotion gates as plain functions: a passing case, each failing case with its
reason, and fail-closed behaviour on missing, empty or unusable inputs. Also the policy files."""

import json
import re
import textwrap
from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from gates.bias import bias_gate
from gates.calibration import calibration_gate
from gates.performance import RankedScores, metric_value, performance_gate
from gates.policy import GATES, POLICIES_DIR, VERSION_PATTERN, PolicyError, PromotionPolicy, load_policy
from gates.quality import quality_gate
from gates.skew import skew_gate
from gates.stability import stability_gate
from gates.unit_tests import feature_unit_tests_gate
from ml_assets.features.parity import ParityResult
from gates.policy import policies_dir

CLAIMS_POLICIES = policies_dir("claims_triage")

ENVIRONMENTS = ("local", "dev", "test", "prod")


@pytest.fixture(scope="module")
def policy() -> PromotionPolicy:
    return load_policy("test", CLAIMS_POLICIES)


def with_section(policy: PromotionPolicy, section: str, **changes) -> PromotionPolicy:
    return policy.model_copy(update={section: getattr(policy, section).model_copy(update=changes)})


def scored(n: int = 4000, signal: float = 1.2, seed: int = 0, base_rate: float = 0.25):
    """Labels and scores with a ROC AUC that grows with `signal` (0.5 at 0)."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < base_rate).astype(int)
    return y, signal * y + rng.normal(0.0, 1.0, n)


def assert_failed(verdict, reason_pattern: str, policy: PromotionPolicy | None = None):
    assert verdict.passed is False, verdict
    assert re.search(reason_pattern, verdict.reason), verdict.reason
    if policy is not None:
        assert verdict.policy_version == policy.version
        assert verdict.thresholds == policy.thresholds(verdict.gate)


def assert_json(verdict):
    json.dumps(verdict.to_dict())  # evidence: every verdict serializes as it is


# the policy files

@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_each_shipped_policy_loads(env):
    p = load_policy(env, CLAIMS_POLICIES)
    assert p.environment == env and re.fullmatch(VERSION_PATTERN, p.version)
    assert set(GATES) <= set(type(p).model_fields)
    assert {"age_band", "sex", "region"} <= set(p.bias.protected_attributes)
    assert (POLICIES_DIR.parent.parent / p.unit_tests.selection[0]).is_file()


def test_test_and_prod_are_at_least_as_strict_as_local_and_dev():
    loose = [load_policy("local", CLAIMS_POLICIES), load_policy("dev", CLAIMS_POLICIES)]
    for strict in (load_policy("test", CLAIMS_POLICIES), load_policy("prod", CLAIMS_POLICIES)):
        for other in loose:
            assert strict.performance.min_value > other.performance.min_value
            assert strict.performance.max_drop_vs_champion < other.performance.max_drop_vs_champion
            for field in ("max_selection_rate_difference", "max_tpr_difference", "max_fpr_difference"):
                assert getattr(strict.bias, field) < getattr(other.bias, field), field
            assert strict.stability.max_slice_std < other.stability.max_slice_std
            assert strict.stability.max_bootstrap_std < other.stability.max_bootstrap_std
            assert strict.calibration.max_ece < other.calibration.max_ece
            assert strict.calibration.max_brier < other.calibration.max_brier
            assert strict.skew.min_keys_compared > other.skew.min_keys_compared
            assert max(strict.quality.max_quarantine_share.values()) < min(other.quality.max_quarantine_share.values())
    prod, test = load_policy("prod", CLAIMS_POLICIES), load_policy("test", CLAIMS_POLICIES)
    assert prod.bias.max_tpr_difference <= test.bias.max_tpr_difference
    assert prod.stability.max_bootstrap_std <= test.stability.max_bootstrap_std
    assert prod.calibration.max_brier <= test.calibration.max_brier


def write_policy(directory: Path, env: str, text: str) -> None:
    (directory / f"promotion.{env}.yaml").write_text(text)


def shipped_text(env: str = "test") -> str:
    return (CLAIMS_POLICIES / f"promotion.{env}.yaml").read_text()


def test_load_policy_refuses_unknown_fields(tmp_path):
    write_policy(tmp_path, "test", shipped_text() + "\nmax_anything: 1\n")
    with pytest.raises(PolicyError, match=r"max_anything: Extra inputs are not permitted"):
        load_policy("test", tmp_path)
    nested = shipped_text().replace("  max_ece: 0.05", "  max_ece: 0.05\n  max_eec: 0.5")
    write_policy(tmp_path, "test", nested)
    with pytest.raises(PolicyError, match=r"calibration\.max_eec: Extra inputs are not permitted"):
        load_policy("test", tmp_path)


def test_load_policy_refuses_a_missing_gate_or_threshold(tmp_path):
    text = shipped_text()
    write_policy(tmp_path, "test", text[: text.index("skew:")] + text[text.index("unit_tests:"):])
    with pytest.raises(PolicyError, match=r"skew: Field required"):
        load_policy("test", tmp_path)
    write_policy(tmp_path, "test", text.replace("  max_brier: 0.18\n", ""))
    with pytest.raises(PolicyError, match=r"calibration\.max_brier: Field required"):
        load_policy("test", tmp_path)


@pytest.mark.parametrize(
    "old,new,message",
    [
        ('version: "2026-11-27.1"', 'version: "latest"', r"version: String should match pattern"),
        ("  min_value: 0.65", "  min_value: 1.5", r"performance\.min_value: Input should be less than or equal to 1"),
        ("  metric: roc_auc\n  min_value", "  metric: accuracy\n  min_value", r"performance\.metric: Input should be"),
        ("    silver.claims: 0.05", "    dev.silver.claims: 0.05", r"must be schema\.table"),
        ("    - silver/claims:silver_row_conservation", "    - silver_row_conservation", r"must be 'asset/key:check_name'"),
        ("  protected_attributes: [age_band, sex, region]", "  protected_attributes: []", r"protected_attributes: List should have at least 1"),
    ],
)
def test_load_policy_refuses_bad_values(tmp_path, old, new, message):
    assert old in shipped_text()
    write_policy(tmp_path, "test", shipped_text().replace(old, new, 1))
    with pytest.raises(PolicyError, match=message):
        load_policy("test", tmp_path)


def test_load_policy_refuses_unknown_environments_and_mismatched_names(tmp_path):
    with pytest.raises(PolicyError, match=r"no promotion policy for environment 'staging'.*known: dev, local, prod, test"):
        load_policy("staging", CLAIMS_POLICIES)
    with pytest.raises(PolicyError, match="invalid environment name"):
        load_policy("../test", CLAIMS_POLICIES)
    write_policy(tmp_path, "test", shipped_text().replace("environment: test", "environment: prod"))
    with pytest.raises(PolicyError, match="does not match the file name 'test'"):
        load_policy("test", tmp_path)
    write_policy(tmp_path, "test", "- just\n- a list\n")
    with pytest.raises(PolicyError, match="expected a mapping"):
        load_policy("test", tmp_path)


# every gate: no policy means no pass

def test_every_gate_fails_closed_without_a_policy(tmp_path):
    y, s = scored()
    verdicts = [
        quality_gate([], {}, None),
        performance_gate(y, s, None, None),
        bias_gate(y, (s > 0).astype(int), pd.DataFrame({"sex": ["F"] * y.size}), None),
        stability_gate(y, s, np.arange(y.size), None),
        calibration_gate(y, np.full(y.size, 0.25), None),
        skew_gate(ParityResult(keys_compared=500), None),
        feature_unit_tests_gate(None, tmp_path / "junit.xml"),
    ]
    for verdict in verdicts:
        assert_failed(verdict, r"no promotion policy")
    assert not (tmp_path / "junit.xml").exists()


# ranking metrics shared by the gates

@pytest.mark.parametrize("decimals", [None, 1], ids=["distinct scores", "many ties"])
def test_ranked_metrics_equal_sklearn_with_and_without_ties_and_weights(decimals):
    rng = np.random.default_rng(3)
    y = (rng.random(3000) < 0.3).astype(int)
    s = rng.random(3000) + 0.4 * y
    s = s if decimals is None else np.round(s, decimals)
    w = rng.integers(0, 4, 3000)
    ranked = RankedScores(y, s)
    assert ranked.tied is (decimals is not None)
    sorted_w = w[np.argsort(s, kind="stable")]
    assert metric_value("roc_auc", y, s) == pytest.approx(roc_auc_score(y, s), abs=1e-12)
    assert metric_value("pr_auc", y, s) == pytest.approx(average_precision_score(y, s), abs=1e-12)
    assert ranked.value("roc_auc", sorted_w) == pytest.approx(roc_auc_score(y, s, sample_weight=w), abs=1e-12)
    assert ranked.value("pr_auc", sorted_w) == pytest.approx(average_precision_score(y, s, sample_weight=w), abs=1e-12)


# performance

def test_performance_passes_without_a_champion_on_the_absolute_threshold_only(policy):
    y, s = scored(signal=1.2)  # roc_auc ≈ 0.80
    verdict = performance_gate(y, s, None, policy)
    assert verdict.passed, verdict.reason
    assert "absolute threshold only" in verdict.reason
    assert verdict.measured["compared_with_champion"] is False and verdict.measured["champion"] is None
    assert verdict.measured["candidate"] == pytest.approx(roc_auc_score(y, s), abs=1e-6)
    assert verdict.thresholds["min_value"] == policy.performance.min_value and verdict.policy_version == policy.version
    assert_json(verdict)


def test_performance_passes_when_no_worse_than_the_champion_within_tolerance(policy):
    y, s = scored(signal=1.2)
    champion = s + np.random.default_rng(9).normal(0, 0.05, s.size)  # nearly the same ranking
    verdict = performance_gate(y, s, champion, policy)
    assert verdict.passed, verdict.reason
    assert verdict.measured["compared_with_champion"] is True
    assert abs(verdict.measured["drop_vs_champion"]) <= policy.performance.max_drop_vs_champion


def test_a_model_under_the_absolute_threshold_fails(policy):
    y, s = scored(signal=0.4)  # roc_auc ≈ 0.60 < 0.65
    verdict = performance_gate(y, s, None, policy)
    assert_failed(verdict, r"roc_auc 0\.5\d+ is below the minimum 0\.6500", policy)
    assert verdict.measured["candidate"] == pytest.approx(roc_auc_score(y, s), abs=1e-6)


def test_a_model_worse_than_the_champion_beyond_tolerance_fails(policy):
    y, champion = scored(signal=1.6, seed=1)  # ≈ 0.87
    _, candidate = scored(signal=1.2, seed=1)  # ≈ 0.80: above the minimum, but 0.07 below the champion
    verdict = performance_gate(y, candidate, champion, policy)
    assert_failed(verdict, r"below the champion's 0\.8\d+ on the same held-out set \(tolerance 0\.0100\)", policy)
    assert "below the minimum" not in verdict.reason
    assert verdict.measured["drop_vs_champion"] > 0.05


@pytest.mark.parametrize(
    "y,candidate,champion,reason",
    [
        (None, [0.1, 0.2], None, r"y_true is missing \(None\)"),
        ([], [], None, r"y_true is empty"),
        ([0, 1], None, None, r"candidate_scores is missing"),
        ([0, 1, 1], [0.1, 0.2], None, r"candidate_scores has 2 rows but y_true has 3"),
        ([0, 1, 2], [0.1, 0.2, 0.3], None, r"must hold only 0 and 1, found \[2\]"),
        ([0, 1, np.nan], [0.1, 0.2, 0.3], None, r"must hold only 0 and 1"),
        ([0, 1], [0.1, np.nan], None, r"candidate_scores has 1 missing or infinite"),
        ([0, 1], ["a", "b"], None, r"candidate_scores must be numbers"),
        ([0, 1], [0.1, 0.9], [], r"champion_scores is empty"),
        ([0, 1], [0.1, 0.9], [0.5], r"champion_scores has 1 rows but y_true has 2: they must score the same rows"),
    ],
)
def test_performance_fails_closed_on_missing_or_unusable_inputs(policy, y, candidate, champion, reason):
    small = with_section(policy, "performance", min_rows=1)
    assert_failed(performance_gate(y, candidate, champion, small), reason, small)


def test_performance_fails_closed_on_one_class_or_too_few_rows(policy):
    y, s = scored()
    assert_failed(performance_gate(np.zeros(y.size, int), s, None, policy), r"only label 0 .* needs both 0 and 1", policy)
    assert_failed(performance_gate(y[:100], s[:100], None, policy), r"100 rows, fewer than the 2000", policy)


# bias

def protected(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "age_band": rng.choice(["0-17", "18-34", "35-49", "50-64", "65+"], n),
        "sex": rng.choice(["F", "M"], n),
        "region": rng.choice(["north", "south", "east", "west", "central"], n),
    })


def flags(y: np.ndarray, tpr: float, fpr: float, seed: int = 0) -> np.ndarray:
    u = np.random.default_rng(seed + 100).random(y.size)
    return np.where(y == 1, u < tpr, u < fpr).astype(int)


@pytest.fixture(scope="module")
def fair():
    n = 20_000
    y = (np.random.default_rng(5).random(n) < 0.25).astype(int)
    return y, flags(y, 0.8, 0.3), protected(n)


def test_an_unbiased_model_passes_and_every_group_is_measured(policy, fair):
    y, pred, sensitive = fair
    verdict = bias_gate(y, pred, sensitive, policy)
    assert verdict.passed, verdict.reason
    region = verdict.measured["attributes"]["region"]
    assert set(region["groups"]) == {"north", "south", "east", "west", "central"}
    east = region["groups"]["east"]
    rows = (sensitive["region"] == "east").to_numpy()
    assert east["rows"] == rows.sum() and east["positives"] == y[rows].sum()
    assert east["selection_rate"] == pytest.approx(pred[rows].mean(), abs=1e-6)
    assert east["tpr"] == pytest.approx(pred[rows & (y == 1)].mean(), abs=1e-6)
    assert east["fpr"] == pytest.approx(pred[rows & (y == 0)].mean(), abs=1e-6)
    assert east["judged"] == ["selection_rate", "tpr", "fpr"]
    for attribute in ("age_band", "sex", "region"):
        assert all(v < 0.05 for v in verdict.measured["attributes"][attribute]["differences"].values())
    assert_json(verdict)


def test_bias_rates_on_confusion_cells_equal_fairlearn_on_the_raw_rows(policy, fair):
    from functools import partial

    from fairlearn.metrics import MetricFrame, false_positive_rate, selection_rate, true_positive_rate

    y, pred, sensitive = fair
    raw = MetricFrame(metrics={"selection_rate": selection_rate, "tpr": partial(true_positive_rate, pos_label=1),
                               "fpr": partial(false_positive_rate, pos_label=1)},
                      y_true=y[:3000], y_pred=pred[:3000], sensitive_features=sensitive["age_band"].head(3000))
    verdict = bias_gate(y[:3000], pred[:3000], sensitive.head(3000), with_section(policy, "bias", min_group_size=1))
    groups = verdict.measured["attributes"]["age_band"]["groups"]
    for band, row in raw.by_group.iterrows():
        for rate in ("selection_rate", "tpr", "fpr"):
            assert groups[band][rate] == pytest.approx(row[rate], abs=1e-6), (band, rate)
    assert verdict.measured["attributes"]["age_band"]["differences"]["tpr"] == pytest.approx(raw.difference()["tpr"], abs=1e-6)


def test_a_model_flagging_one_group_far_more_often_fails_on_selection_rate(policy, fair):
    y, pred, sensitive = fair
    older = (sensitive["age_band"] == "65+").to_numpy()
    biased = np.where(older, flags(y, 0.95, 0.7, seed=1), pred)  # 65+ flagged about twice as often
    verdict = bias_gate(y, biased, sensitive, policy)
    assert_failed(verdict, r"age_band: selection_rate differs by 0\.\d+ between 65\+ .* above the maximum 0\.15", policy)
    assert "sex:" not in verdict.reason and "region:" not in verdict.reason
    assert verdict.measured["attributes"]["age_band"]["extremes"]["selection_rate"]["highest"] == "65+"


def test_a_model_missing_one_groups_positives_fails_on_true_positive_rate(policy, fair):
    y, pred, sensitive = fair
    east = (sensitive["region"] == "east").to_numpy()
    biased = pred.copy()
    drop = east & (y == 1) & (np.random.default_rng(2).random(y.size) < 0.4)
    biased[drop] = 0  # east's reviews missed: TPR ≈ 0.48 against ≈ 0.8 elsewhere
    verdict = bias_gate(y, biased, sensitive, policy)
    assert_failed(verdict, r"region: tpr differs by 0\.\d+ between \w+ \(0\.8\d+\) and east \(0\.4\d+\)", policy)
    assert verdict.measured["attributes"]["region"]["differences"]["tpr"] > 0.25


def test_small_groups_are_reported_but_not_judged(policy, fair):
    y, pred, sensitive = fair
    sensitive = sensitive.copy()
    odd = np.zeros(y.size, bool)
    odd[:60] = True  # 60 rows, about 15 positives: under min_group_size 100
    sensitive.loc[odd, "sex"] = "X"
    skewed = pred.copy()
    skewed[odd] = 1  # every one of them flagged
    verdict = bias_gate(y, skewed, sensitive, policy)
    assert verdict.passed, verdict.reason
    x = verdict.measured["attributes"]["sex"]["groups"]["X"]
    assert x["rows"] == 60 and x["selection_rate"] == 1.0 and x["judged"] == []


def test_rows_without_a_protected_value_form_their_own_group(policy, fair):
    y, pred, sensitive = fair
    sensitive = sensitive.copy()
    sensitive.loc[:999, "region"] = None
    verdict = bias_gate(y, pred, sensitive, policy)
    assert verdict.passed, verdict.reason
    assert verdict.measured["attributes"]["region"]["groups"]["(missing)"]["rows"] == 1000


def test_an_attribute_with_fewer_than_two_judged_groups_cannot_pass(policy, fair):
    y, pred, sensitive = fair
    one_sex = sensitive.assign(sex="F")
    assert_failed(bias_gate(y, pred, one_sex, policy), r"sex: selection_rate cannot be judged, 1 group\(s\) have at least 100 rows", policy)


@pytest.mark.parametrize(
    "case,reason",
    [
        ("no_sensitive", r"protected attributes \(sensitive\) are missing \(None\)"),
        ("missing_column", r"protected attribute\(s\) region missing from the sensitive columns"),
        ("short_sensitive", r"sensitive has 10 rows but y_true has 20000"),
        ("not_a_frame", r"sensitive must be a pandas DataFrame"),
        ("scores_not_flags", r"y_pred must hold only 0 and 1"),
        ("empty", r"y_true is empty"),
    ],
)
def test_bias_fails_closed_on_missing_or_unusable_inputs(policy, fair, case, reason):
    y, pred, sensitive = fair
    args = {
        "no_sensitive": (y, pred, None),
        "missing_column": (y, pred, sensitive.drop(columns=["region"])),
        "short_sensitive": (y, pred, sensitive.head(10)),
        "not_a_frame": (y, pred, sensitive.to_numpy()),
        "scores_not_flags": (y, pred * 0.7, sensitive),
        "empty": ([], [], sensitive.head(0)),
    }[case]
    assert_failed(bias_gate(*args, policy), reason, policy)


# stability

def timeline(n: int, seed: int = 0) -> pd.Series:
    start = pd.Timestamp("2025-01-01", tz="UTC")
    days = np.sort(np.random.default_rng(seed).integers(0, 365, n))
    return pd.Series(start + pd.to_timedelta(days, unit="D"))


def test_a_steady_metric_passes_and_the_verdict_is_reproducible(policy):
    y, s = scored(n=20_000, signal=1.2)
    times = timeline(y.size)
    first, second = stability_gate(y, s, times, policy), stability_gate(y, s, times, policy)
    assert first.passed, first.reason
    assert first.measured == second.measured  # fixed seed: the same bootstrap
    slices = first.measured["slices"]
    assert len(slices) == policy.stability.time_slices and sum(sl["rows"] for sl in slices) == y.size
    assert slices[0]["start"].startswith("2025-01-01") and slices[-1]["end"] <= "2025-12-31T23:59:59+00:00"
    assert first.measured["bootstrap_std"] == pytest.approx(0.004, abs=0.002)  # ≈ the AUC's standard error
    assert_json(first)


def test_a_metric_that_decays_over_time_fails_on_the_slices(policy):
    n = 20_000
    rng = np.random.default_rng(4)
    y = (rng.random(n) < 0.25).astype(int)
    signal = np.linspace(2.0, 0.1, n)  # rows are in time order: the model gets worse and worse
    s = signal * y + rng.normal(0, 1, n)
    verdict = stability_gate(y, s, timeline(n), policy)
    assert_failed(verdict, r"roc_auc varies across 4 time slices with std 0\.\d+ \(from 0\.5\d+ to 0\.8\d+\), above the maximum 0\.04", policy)
    assert "bootstrap" not in verdict.reason


def test_a_metric_that_swings_across_bootstrap_resamples_fails(policy):
    y, s = scored(n=2400, signal=0.6, seed=8)
    tight = with_section(policy, "stability", max_bootstrap_std=0.005)  # a 2,400-row set cannot be that precise
    verdict = stability_gate(y, s, timeline(y.size), tight)
    assert_failed(verdict, r"varies across 200 bootstrap resamples with std 0\.01\d+, above the maximum 0\.005", tight)


def test_slices_that_cannot_be_judged_fail_closed(policy):
    y, s = scored(n=4000)
    same_day = pd.Series([pd.Timestamp("2025-03-01", tz="UTC")] * y.size)
    assert_failed(stability_gate(y, s, same_day, policy), r"slice 0 has 0 rows .*too many ties", policy)
    assert_failed(stability_gate(y[:1000], s[:1000], timeline(1000), policy), r"slice 0 has 2\d\d rows \(minimum 500\)", policy)


@pytest.mark.parametrize(
    "times,reason",
    [
        (None, r"event_times is missing \(None\)"),
        ([], r"event_times is empty"),
        ("short", r"event_times has 10 rows but y_true has 4000"),
        ("with_gap", r"event_times has 1 missing values"),
        ("text", r"event_times are not times"),
    ],
)
def test_stability_fails_closed_on_missing_or_unusable_event_times(policy, times, reason):
    y, s = scored(n=4000)
    good = timeline(y.size)
    times = {"short": good.head(10), "with_gap": good.where(good.index != 5), "text": pd.Series(["soon"] * y.size)}.get(times, times) \
        if isinstance(times, str) else times
    assert_failed(stability_gate(y, s, times, policy), reason, policy)


def test_stability_fails_closed_on_one_class(policy):
    _, s = scored(n=4000)
    assert_failed(stability_gate(np.ones(4000, int), s, timeline(4000), policy), r"only label 1", policy)


# calibration

def probabilities(n: int = 20_000, seed: int = 6) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    p = rng.beta(1.2, 4.0, n)  # mean ≈ 0.23, like the claims base rate
    return (rng.random(n) < p).astype(int), p


def test_calibrated_probabilities_pass(policy):
    y, p = probabilities()
    verdict = calibration_gate(y, p, policy)
    assert verdict.passed, verdict.reason
    assert verdict.measured["ece"] < 0.02 and verdict.measured["brier"] < policy.calibration.max_brier
    assert sum(b["rows"] for b in verdict.measured["bins"]) == y.size
    assert_json(verdict)


def test_badly_calibrated_probabilities_fail(policy):
    y, p = probabilities()
    inflated = 0.4 + 0.6 * p  # what class-weighted training does: every probability far too high
    verdict = calibration_gate(y, inflated, policy)
    assert_failed(verdict, r"expected calibration error 0\.\d+ \(10 bins\) is above the maximum 0\.05", policy)
    assert verdict.measured["ece"] > 0.3 and verdict.measured["mean_probability"] > 0.5


def test_calibrated_but_uninformative_probabilities_fail_on_brier(policy):
    rng = np.random.default_rng(7)
    y = (rng.random(20_000) < 0.5).astype(int)
    verdict = calibration_gate(y, np.full(y.size, y.mean()), policy)  # perfectly calibrated, no skill
    assert_failed(verdict, r"Brier score 0\.25\d* is above the maximum 0\.18", policy)
    assert "calibration error" not in verdict.reason


@pytest.mark.parametrize(
    "y,p,reason",
    [
        ([0, 1], [0.2, 1.3], r"probabilities must be probabilities in \[0, 1\]"),
        ([0, 1], [0.2, np.nan], r"probabilities has 1 missing or infinite values"),
        ([1, 1, 1], [0.2, 0.9, 0.5], r"only label 1"),
        ([0, 1], None, r"probabilities is missing \(None\)"),
        ([], [], r"y_true is empty"),
    ],
)
def test_calibration_fails_closed_on_unusable_inputs(policy, y, p, reason):
    assert_failed(calibration_gate(y, p, policy), reason, policy)


# train/serve skew

def test_parity_without_mismatches_on_enough_keys_passes(policy):
    verdict = skew_gate(ParityResult(keys_compared=900), policy)
    assert verdict.passed, verdict.reason
    assert verdict.measured == {"keys_compared": 900, "mismatches": 0, "mismatch_examples": []}


def test_skew_with_mismatches_fails_and_shows_them(policy):
    mismatch = {"view": "member_claims_90d", "key": "m1", "feature": "member_claims_90d", "online": 3, "offline": 4}
    verdict = skew_gate(ParityResult(keys_compared=900, mismatches=[mismatch] * 30), policy)
    assert_failed(verdict, r"30 online/offline feature mismatches \(maximum 0\)", policy)
    assert verdict.measured["mismatches"] == 30 and verdict.measured["mismatch_examples"][0] == mismatch
    assert len(verdict.measured["mismatch_examples"]) == 20


def test_skew_with_zero_or_too_few_keys_fails(policy):
    assert_failed(skew_gate(ParityResult(keys_compared=0), policy), r"only 0 keys were compared", policy)
    assert_failed(skew_gate(ParityResult(keys_compared=150), policy), r"only 150 keys .* \(minimum 200\)", policy)


@pytest.mark.parametrize(
    "result,reason",
    [
        (None, r"no parity result \(None\)"),
        (object(), r"parity result has no keys_compared"),
        (ParityResult(keys_compared=-1), r"keys_compared must be a count"),
        (ParityResult(keys_compared=900, mismatches=None), r"mismatches is missing \(None\)"),
    ],
)
def test_skew_fails_closed_on_unusable_parity_results(policy, result, reason):
    assert_failed(skew_gate(result, policy), reason, policy)


# data quality

def check(asset: str, name: str, passed: bool = True, severity: str = "ERROR") -> dict:
    return {"asset": asset, "check": name, "passed": passed, "severity": severity, "metadata": {}}


def passing_checks(policy: PromotionPolicy) -> list[dict]:
    required = [check(*name.split(":")) for name in policy.quality.required_checks]
    return required + [check("silver/claims", "expect_channel_known", passed=False, severity="WARN")]


SHARES = {"silver.claims": 0.0145, "silver.members": 0.0085, "silver.providers": 0.0, "silver.claim_outcomes": 0.0138}


def test_quality_passes_with_required_checks_passed_and_shares_within_policy(policy):
    verdict = quality_gate(passing_checks(policy), SHARES, policy)
    assert verdict.passed, verdict.reason
    assert verdict.measured["failed_warn_checks"] == ["silver/claims:expect_channel_known"]  # reported, not blocking
    assert verdict.measured["quarantine_shares"]["silver.claims"] == 0.0145
    assert_json(verdict)


def test_quality_accepts_dagster_severities(policy):
    checks = [{**c, "severity": dg.AssetCheckSeverity(c["severity"])} for c in passing_checks(policy)]
    assert quality_gate(checks, SHARES, policy).passed


def test_a_failed_error_check_fails_the_quality_gate(policy):
    checks = passing_checks(policy) + [check("silver/claims", "expect_amount_below_circuit_breaker", passed=False)]
    verdict = quality_gate(checks, SHARES, policy)
    assert_failed(verdict, r"ERROR checks did not pass: silver/claims:expect_amount_below_circuit_breaker", policy)
    unrequired = passing_checks(policy) + [check("gold/daily_claims_kpis", "not_null_claims", passed=False)]
    assert_failed(quality_gate(unrequired, SHARES, policy), r"ERROR checks did not pass: gold/daily_claims_kpis:not_null_claims")


def test_a_required_check_that_did_not_run_fails_the_quality_gate(policy):
    checks = [c for c in passing_checks(policy) if c["check"] != "bronze_row_conservation" or c["asset"] != "bronze/claims"]
    assert_failed(quality_gate(checks, SHARES, policy), r"required checks have no result: bronze/claims:bronze_row_conservation", policy)


def test_a_quarantine_share_over_policy_fails_the_quality_gate(policy):
    verdict = quality_gate(passing_checks(policy), {**SHARES, "silver.members": 0.08}, policy)
    assert_failed(verdict, r"silver\.members quarantined 8\.00% of its rows, above the maximum 5\.00%", policy)
    missing = {k: v for k, v in SHARES.items() if k != "silver.claims"}
    assert_failed(quality_gate(passing_checks(policy), missing, policy), r"no quarantine share reported for silver\.claims", policy)


@pytest.mark.parametrize(
    "checks,shares,reason",
    [
        (None, SHARES, r"no check results \(None\)"),
        ([], SHARES, r"no check results: nothing was checked"),
        ("required", None, r"no quarantine shares \(None\)"),
        ([{"asset": "silver/claims", "check": "x", "passed": True}], SHARES, r"check result #0 lacks severity"),
        ([check("silver/claims", "x", severity="INFO")], SHARES, r"has severity 'INFO'"),
        ([{**check("silver/claims", "x"), "passed": "yes"}], SHARES, r"has passed='yes', not a boolean"),
        ("required", {**SHARES, "silver.claims": float("nan")}, r"quarantine share of silver\.claims must be a number"),
    ],
)
def test_quality_fails_closed_on_missing_or_malformed_inputs(policy, checks, shares, reason):
    checks = passing_checks(policy) if checks == "required" else checks
    assert_failed(quality_gate(checks, shares, policy), reason, policy)


# the feature logic's own unit tests

def test_the_unit_test_gate_passes_on_the_real_selection_and_leaves_the_junit_xml(policy, tmp_path):
    xml = tmp_path / "evidence" / "junit.xml"
    verdict = feature_unit_tests_gate(policy, xml)
    assert verdict.passed, verdict.reason + verdict.measured.get("output_tail", "")
    assert verdict.measured["junit_xml"] == str(xml) and xml.is_file()
    assert verdict.measured["passed"] >= 20 and verdict.measured["failed"] == verdict.measured["errors"] == 0
    assert "tests/unit/test_request_features.py" in verdict.reason
    assert_json(verdict)


def test_the_unit_test_gate_fails_on_a_failing_test_and_never_reads_a_stale_report(policy, tmp_path):
    broken = tmp_path / "test_broken_feature.py"
    broken.write_text(textwrap.dedent("""
        def test_fine():
            assert 1 + 1 == 2

        def test_broken():
            assert round(2.5) == 3, "banker's rounding says 2"
    """))
    xml = tmp_path / "junit.xml"
    xml.write_text('<testsuites><testsuite tests="1"><testcase classname="old" name="ok"/></testsuite></testsuites>')
    verdict = feature_unit_tests_gate(with_section(policy, "unit_tests", selection=[str(broken)]), xml)
    assert_failed(verdict, r"1 failed and 0 errored of 2 unit tests in .*test_broken_feature\.py: .*test_broken")
    assert verdict.measured["passed"] == 1 and verdict.measured["junit_xml"] == str(xml)


def test_the_unit_test_gate_fails_when_no_test_runs(policy, tmp_path):
    empty = tmp_path / "test_nothing.py"
    empty.write_text("# no tests here\n")
    verdict = feature_unit_tests_gate(with_section(policy, "unit_tests", selection=[str(empty)]), tmp_path / "junit.xml")
    assert_failed(verdict, r"no unit test ran in .*test_nothing\.py \(0 collected")
    importing = tmp_path / "test_import_error.py"
    importing.write_text("import no_such_module_anywhere\n\ndef test_x():\n    pass\n")
    verdict = feature_unit_tests_gate(with_section(policy, "unit_tests", selection=[str(importing)]), tmp_path / "junit2.xml")
    assert_failed(verdict, r"0 failed and 1 errored")


def test_the_unit_test_gate_fails_closed_without_a_report_path(policy):
    assert_failed(feature_unit_tests_gate(policy, None), r"no path to write the JUnit XML to", policy)
