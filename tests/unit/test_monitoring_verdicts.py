"""The monitoring policy, its verdicts and the remediation they allow, as plain functions."""

import datetime as dt

import pytest

from gates.monitoring import (
    DRIFT, QUALITY, SLA, FeatureDrift, MonitorVerdict, WindowFigures, drifted, judge_drift, judge_model_age,
    judge_quality, judge_sla,
)
from gates.monitoring_policy import load_monitoring_policy
from gates.policy import PolicyError, policies_dir
from gates.remediation import ALERT_ONLY, RETRAIN, ROLLBACK, PastAction, plan_remediation, verdict_id
from ml_assets.usecases import USE_CASES

POLICY = load_monitoring_policy("local", policies_dir("claims_triage"))
WINDOW = ("2026-12-02T10:00:00+00:00", "2026-12-02T11:00:00+00:00")
NOW = dt.datetime(2026, 12, 2, 12, tzinfo=dt.timezone.utc)


def figures(rows=500, drift=(), **kw) -> WindowFigures:
    return WindowFigures(model_version="3", window=WINDOW, rows=rows, drift=tuple(drift), **kw)


def quiet(name: str) -> FeatureDrift:
    return FeatureDrift(name, population_stability_index=0.01, js_distance=0.02, pvalue=0.6)


def shifted(name: str) -> FeatureDrift:
    return FeatureDrift(name, population_stability_index=0.8, js_distance=0.4, pvalue=1e-12)


@pytest.mark.parametrize("use_case", sorted(USE_CASES))
@pytest.mark.parametrize("env", ["local", "dev", "test", "prod"])
def test_every_use_case_has_a_valid_monitoring_policy_per_environment(use_case, env):
    policy = load_monitoring_policy(env, policies_dir(use_case))
    assert policy.environment == env and policy.drift.psi_bands == (0.1, 0.25)


def test_a_policy_with_an_unknown_field_or_inverted_floors_is_refused(tmp_path):
    text = (policies_dir("claims_triage") / "monitoring.local.yaml").read_text()
    (tmp_path / "monitoring.local.yaml").write_text(text.replace("cooldown_minutes:", "typo: 1\n  cooldown_minutes:"))
    with pytest.raises(PolicyError, match="actions.typo"):
        load_monitoring_policy("local", tmp_path)
    (tmp_path / "monitoring.local.yaml").write_text(text.replace("error_min_recall: 0.5", "error_min_recall: 0.9"))
    with pytest.raises(PolicyError, match="error floor"):
        load_monitoring_policy("local", tmp_path)


def test_the_ks_test_is_corrected_for_the_number_of_features():
    borderline = FeatureDrift("amount", None, None, pvalue=0.01)  # below 0.05, above 0.05 / 24
    assert drifted(borderline, POLICY, features_tested=1)
    assert not drifted(borderline, POLICY, features_tested=24)


def test_drift_verdict_by_share_of_drifted_features():
    assert judge_drift(figures(drift=[quiet(f"f{i}") for i in range(10)]), POLICY).outcome == "pass"
    warn = judge_drift(figures(drift=[shifted("f0"), shifted("f1"), *[quiet(f"f{i}") for i in range(2, 10)]]), POLICY)
    assert warn.outcome == "warn" and warn.figures["drifted"] == ["f0", "f1"]
    error = judge_drift(figures(drift=[*[shifted(f"f{i}") for i in range(5)], *[quiet(f"q{i}") for i in range(5)]]), POLICY)
    assert error.outcome == "error" and not error.passed and error.policy_version == POLICY.version


def test_a_window_below_the_minimum_gets_no_verdict_even_when_everything_drifted():
    small = figures(rows=POLICY.min_window_rows - 1, drift=[shifted("f0")], labelled=90, precision=0.0, recall=0.0,
                    p99_latency_ms=900.0, error_rate=0.5)
    for judge in (judge_drift, judge_quality, judge_sla):
        verdict = judge(small, POLICY)
        assert verdict.outcome == "none" and verdict.passed and "no verdict" in verdict.reason
    assert judge_drift(None, POLICY).outcome == "none"


def test_quality_is_unknown_until_enough_labels_then_judged_against_both_floors():
    few = judge_quality(figures(labelled=POLICY.quality.min_labelled - 1, precision=0.0, recall=0.0), POLICY)
    assert few.outcome == "none" and "unknown" in few.reason
    ok = judge_quality(figures(labelled=200, precision=0.4, recall=0.8), POLICY)
    assert ok.outcome == "pass" and ok.figures["label_coverage"] == 0.4
    assert judge_quality(figures(labelled=200, precision=0.2, recall=0.8), POLICY).outcome == "warn"
    dropped = judge_quality(figures(labelled=200, precision=0.4, recall=0.3), POLICY)
    assert dropped.outcome == "error" and "recall 0.300 < 0.5" in dropped.reason


def test_sla_verdicts_on_latency_and_error_rate():
    assert judge_sla(figures(p99_latency_ms=3.0, error_rate=0.0), POLICY).outcome == "pass"
    assert judge_sla(figures(p99_latency_ms=30.0, error_rate=0.0), POLICY).outcome == "warn"
    assert judge_sla(figures(p99_latency_ms=3.0, error_rate=0.05), POLICY).outcome == "error"


def test_model_age_warns_at_the_cadence_and_errors_past_the_maximum():
    risk = POLICY.model_risk
    assert judge_model_age("3", NOW - dt.timedelta(days=1), NOW, POLICY).outcome == "pass"
    assert judge_model_age("3", NOW - dt.timedelta(days=risk.retraining_cadence_days + 1), NOW, POLICY).outcome == "warn"
    assert judge_model_age("3", NOW - dt.timedelta(days=risk.max_model_age_days + 1), NOW, POLICY).outcome == "error"
    assert judge_model_age(None, None, NOW, POLICY).outcome == "none"


def error_verdict(family=QUALITY, version="3") -> MonitorVerdict:
    return MonitorVerdict(family, "error", "recall 0.300 < 0.5", version, WINDOW)


def test_an_error_on_the_champion_rolls_back_to_a_healthy_previous_champion_and_asks_for_retraining():
    planned = plan_remediation([error_verdict()], "3", "2", True, [], POLICY, NOW)
    assert [p.kind for p in planned] == [ROLLBACK, RETRAIN] and planned[0].rollback_to_version == "2"


def test_without_a_healthy_previous_champion_the_verdict_only_alerts():
    assert [p.kind for p in plan_remediation([error_verdict()], "3", None, True, [], POLICY, NOW)] == [ALERT_ONLY, RETRAIN]
    unhealthy = plan_remediation([error_verdict()], "3", "2", False, [], POLICY, NOW)
    assert unhealthy[0].kind == ALERT_ONLY and "not healthy" in unhealthy[0].reason


def test_warn_sla_or_other_versions_never_act():
    warn = MonitorVerdict(QUALITY, "warn", "precision low", "3", WINDOW)
    sla = MonitorVerdict(SLA, "error", "p99 high", "3", WINDOW)
    assert plan_remediation([warn, sla, error_verdict(version="2")], "3", "2", True, [], POLICY, NOW) == []


def test_cooldown_and_dedup_keep_one_bad_hour_from_acting_ten_times():
    verdict = error_verdict(DRIFT)
    assert plan_remediation([verdict], "3", "2", True, [PastAction(ROLLBACK, NOW, verdict_id(verdict))], POLICY, NOW) == []
    recent = [PastAction(ROLLBACK, NOW - dt.timedelta(minutes=5), "other"), PastAction(RETRAIN, NOW - dt.timedelta(minutes=5), "other")]
    assert plan_remediation([verdict], "3", "2", True, recent, POLICY, NOW) == []
    later = NOW + dt.timedelta(minutes=POLICY.actions.cooldown_minutes + 1)
    assert [p.kind for p in plan_remediation([verdict], "3", "2", True, recent, POLICY, later)] == [ROLLBACK, RETRAIN]


def test_quality_judges_recall_when_nothing_was_flagged_so_precision_has_no_value():
    verdict = judge_quality(figures(labelled=200, precision=None, recall=0.0), POLICY)
    assert verdict.outcome == "error" and "recall 0.000" in verdict.reason
    assert judge_quality(figures(labelled=200, precision=None, recall=None), POLICY).outcome == "none"


def test_retraining_is_due_at_the_cadence_and_never_without_a_champion():
    from ml_assets.monitoring.schedules import retraining_due

    assert retraining_due(30.0, 30) and not retraining_due(29.9, 30) and not retraining_due(None, 30)
