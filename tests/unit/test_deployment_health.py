"""Canary health on synthetic inference-log rows, and the deployment policies it is judged by."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from gates.deployment_policy import DeploymentPolicy, load_deployment_policy
from gates.policy import PolicyError
from lakegate.serving.inference_log import INFERENCE_LOG_SCHEMA
from gates.canary_health import canary_health, labels_for, population_stability_index, quantile_bounds
from gates.policy import policies_dir

CLAIMS_POLICIES = policies_dir("claims_triage")

CANARY, INCUMBENT = "triage_model-2", "triage_model-1"
STEP = load_deployment_policy("local", CLAIMS_POLICIES).canary_steps()[0]  # 10 %: min_requests 200, p99 ≤ 25 ms and ≤ 1.5x


def inference_rows(entity: str, n: int, *, seed: int, server_errors: float = 0.0, caller_errors: float = 0.0,
                   latency_ms: float = 5.0, score_beta: tuple[float, float] = (2.0, 5.0),
                   flag_accuracy: float = 0.9, start: dt.datetime | None = None) -> pd.DataFrame:
    """n rows shaped like the inference log: one claim a request, with its score, flag and outcome.

    The outcome (`needs_review`) is drawn from the score; the served flag agrees with it for a
    `flag_accuracy` share of requests. Errors are the first rows, so their shares are exact.
    """
    rng = np.random.default_rng(seed)
    start = start or dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.timezone.utc)
    scores = rng.beta(*score_beta, n)
    labels = (rng.random(n) < scores).astype(int)
    flags = np.where(rng.random(n) < flag_accuracy, labels, 1 - labels)
    status = np.full(n, 200)
    n_server, n_caller = round(n * server_errors), round(n * caller_errors)
    status[:n_server], status[n_server:n_server + n_caller] = 500, 400
    ok = status == 200
    times = [start + dt.timedelta(seconds=i) for i in range(n)]
    keys = [f"C-{entity}-{seed}-{i}" for i in range(n)]
    return pd.DataFrame({
        "request_id": [f"r-{entity}-{seed}-{i}" for i in range(n)],
        "timestamp": times, "date": [t.date() for t in times],
        "endpoint": "claims-triage", "served_entity": entity,
        "model_name": "dev.claims.triage_model", "model_version": entity.rsplit("-", 1)[-1],
        "status_code": status.astype("int32"), "error_code": np.where(ok, None, "ERROR"),
        "latency_ms": latency_ms + rng.exponential(1.0, n), "n_rows": np.int32(1),
        "features": json.dumps({"columns": ["amount"], "data": [[100.0]]}),
        "response": [json.dumps({"predictions": [int(f)]}) if o else '{"error_code": "ERROR"}' for f, o in zip(flags, ok)],
        "scores": [[float(s)] if o else None for s, o in zip(scores, ok)],
        "record_keys": [[k] if o else None for k, o in zip(keys, ok)],
        "needs_review": labels,  # not an inference-log column: tests turn it into claim outcomes
    })


def as_log(*frames: pd.DataFrame) -> pa.Table:
    """The frames as the inference table stores them (outcomes dropped)."""
    frame = pd.concat(frames, ignore_index=True)[INFERENCE_LOG_SCHEMA.names]
    return pa.Table.from_pandas(frame, schema=INFERENCE_LOG_SCHEMA, preserve_index=False)


def outcomes_of(*frames: pd.DataFrame) -> pd.DataFrame:
    keys = pd.concat(frames, ignore_index=True)
    keys = keys[keys["record_keys"].notna()]
    return pd.DataFrame({"record_key": [k[0] for k in keys["record_keys"]], "label": keys["needs_review"].astype(bool),
                         "available_at": pd.Timestamp("2026-12-01", tz="UTC")})


def judge(canary: pd.DataFrame, incumbent: pd.DataFrame, step=STEP, with_labels: bool = False):
    rows = as_log(canary, incumbent)
    labels = labels_for(rows, outcomes_of(canary, incumbent)) if with_labels else None
    return canary_health(rows, CANARY, INCUMBENT, step, labels)


def test_healthy_canary_passes_with_figures_for_the_ui():
    health = judge(inference_rows(CANARY, 300, seed=1), inference_rows(INCUMBENT, 300, seed=2))
    assert health.enough_data and health.healthy, health.reason
    assert health.problems == ()
    assert health.canary.requests == 300 and health.canary.error_rate == 0.0
    assert 5.0 < health.canary.p50_latency_ms < health.canary.p99_latency_ms < 25.0
    assert health.score_psi < 0.2
    verdict = health.as_verdict()
    assert verdict.gate == "canary_health" and verdict.passed
    assert verdict.policy_version == STEP.policy_version
    assert verdict.thresholds["min_requests"] == 200
    assert verdict.measured["traffic"] == 10 and verdict.measured["canary"]["requests"] == 300
    assert "precision and recall" in verdict.measured["not_judged"][0]  # no outcomes: not yet judged, not failed
    json.dumps(verdict.to_dict())  # metadata-ready


def test_five_percent_server_errors_fail_on_error_rate():
    health = judge(inference_rows(CANARY, 300, seed=1, server_errors=0.05), inference_rows(INCUMBENT, 300, seed=2))
    assert health.enough_data and not health.healthy
    assert health.canary.server_errors == 15 and health.canary.error_rate == pytest.approx(0.05)
    assert len(health.problems) == 1 and "server-error rate" in health.problems[0]
    assert not health.as_verdict().passed


def test_slow_canary_fails_on_p99_latency():
    health = judge(inference_rows(CANARY, 300, seed=1, latency_ms=30.0), inference_rows(INCUMBENT, 300, seed=2))
    assert not health.healthy
    assert any("above the maximum 25" in p for p in health.problems)
    assert any("times the incumbent's" in p for p in health.problems)


def test_a_slow_host_that_slows_both_sides_does_not_fail_the_canary_on_the_absolute_limit():
    """The demo loop on the loaded 2-core CI machine (2026-12-03): the canary's p99 30.5 ms against
    the incumbent's 44.4 ms on the same traffic, rolled back for breaking the 25 ms limit."""
    health = judge(inference_rows(CANARY, 300, seed=1, latency_ms=26.0),
                   inference_rows(INCUMBENT, 900, seed=2, latency_ms=40.0))
    assert health.canary.p99_latency_low_ms > STEP.limits.max_p99_latency_ms
    assert health.healthy, health.problems
    assert any("not shown to keep it" in n and "not the canary" in n for n in health.not_judged), health.not_judged


def test_a_host_slow_at_its_tail_leaves_the_absolute_limit_not_judged():
    """The fresh-clone CI on three workers (2026-12-03): the 25 % canary at 31.6 ms (lower bound 25.2)
    against an incumbent at 27.0 ms whose own lower bound was under 25 ms. A fortieth of the
    incumbent's requests are slowed by the host here: its p99 is over the limit, its upper bound too."""
    incumbent = inference_rows(INCUMBENT, 845, seed=2)
    incumbent.loc[incumbent.index[-20:], "latency_ms"] = np.linspace(22.0, 32.0, 20)
    health = judge(inference_rows(CANARY, 286, seed=1, latency_ms=26.0), incumbent)
    assert health.canary.p99_latency_low_ms > 25.0 and health.incumbent.p99_latency_low_ms <= 25.0
    assert health.healthy, health.problems
    assert any("not shown to keep it" in n for n in health.not_judged), health.not_judged


def test_a_canary_over_the_absolute_limit_fails_while_the_incumbent_keeps_it():
    """Within the ratio (about 1.4 times) but over 25 ms while the incumbent's upper bound stays under it."""
    health = judge(inference_rows(CANARY, 300, seed=1, latency_ms=26.0),
                   inference_rows(INCUMBENT, 300, seed=2, latency_ms=17.0))
    assert health.incumbent.p99_latency_high_ms <= 25.0
    assert health.canary.p99_latency_ms / health.incumbent.p99_latency_ms < STEP.limits.max_p99_latency_ratio
    assert not health.healthy
    assert [p for p in health.problems if "above the maximum 25" in p and "the incumbent keeps" in p], health.problems


def test_two_stragglers_on_a_busy_machine_leave_the_p99_not_judged_rather_than_failed():
    """The demo loop's failure on a loaded 2-core machine: 200 requests a side, the canary's two
    slowest hit by scheduling (its p99 1.6 times the incumbent's), the rest alike."""
    canary = inference_rows(CANARY, 200, seed=1)
    canary.loc[canary.index[-3:], "latency_ms"] = [24.0, 24.6, 25.0]
    incumbent = inference_rows(INCUMBENT, 200, seed=2)
    incumbent.loc[incumbent.index[-2:], "latency_ms"] = [14.0, 15.1]
    health = judge(canary, incumbent)
    assert health.canary.p99_latency_ms / health.incumbent.p99_latency_ms > STEP.limits.max_p99_latency_ratio
    assert health.healthy, health.problems
    assert any(n.startswith("p99 latency") and "too few to tell" in n for n in health.not_judged), health.not_judged


def test_a_canary_slower_at_its_tail_fails_once_the_bounds_show_it():
    """A tenth of the canary's requests take 15 ms more: its p99's lower bound is well past the
    incumbent's upper bound, so the ratio fails however few requests there are beyond min_requests."""
    canary = inference_rows(CANARY, 300, seed=1)
    canary.loc[canary.index[::10], "latency_ms"] += 15.0
    health = judge(canary, inference_rows(INCUMBENT, 300, seed=2))
    assert not health.healthy
    assert [p for p in health.problems if "times the incumbent's" in p and "lower bound" in p], health.problems


def test_the_p99_bounds_hold_the_true_p99_about_95_percent_of_the_time():
    rng = np.random.default_rng(7)
    true_p99 = float(np.exp(2 + 0.8 * 2.326348))  # lognormal(2, 0.8)
    samples = [rng.lognormal(2, 0.8, 300) for _ in range(400)]
    covered = [low <= true_p99 <= high for low, high in map(quantile_bounds, samples)]
    assert 0.92 <= np.mean(covered) <= 0.995
    low, high = quantile_bounds(samples[0])
    assert low < np.percentile(samples[0], 99) <= high


def test_shifted_score_distribution_fails_on_psi():
    health = judge(inference_rows(CANARY, 300, seed=1, score_beta=(5.0, 2.0)), inference_rows(INCUMBENT, 300, seed=2))
    assert not health.healthy
    assert health.score_psi > 1.0
    assert [p for p in health.problems if "PSI" in p]


def test_worse_precision_fails_once_enough_outcomes_are_known():
    canary = inference_rows(CANARY, 300, seed=1, flag_accuracy=0.5)
    health = judge(canary, inference_rows(INCUMBENT, 300, seed=2), with_labels=True)
    assert health.canary.labelled == health.incumbent.labelled == 300
    assert health.incumbent.precision - health.canary.precision > 0.1
    assert not health.healthy
    assert any(p.startswith("precision") for p in health.problems)


def test_too_few_outcomes_leave_precision_not_yet_judged():
    canary, incumbent = inference_rows(CANARY, 300, seed=1, flag_accuracy=0.5), inference_rows(INCUMBENT, 300, seed=2)
    rows = as_log(canary, incumbent)
    labels = labels_for(rows, outcomes_of(canary.head(40), incumbent.head(40)))  # fewer than min_labelled (50)
    health = canary_health(rows, CANARY, INCUMBENT, STEP, labels)
    assert health.canary.labelled == 40
    assert health.healthy, health.reason
    assert any("precision and recall" in n for n in health.not_judged)


def test_a_drop_within_chance_on_few_outcomes_is_not_a_failure():
    """60 labelled claims a side: an apparent drop beyond the limit that chance explains is reported, not failed."""
    canary = inference_rows(CANARY, 300, seed=6, flag_accuracy=0.88)  # nearly as good as the incumbent
    incumbent = inference_rows(INCUMBENT, 300, seed=106, flag_accuracy=0.9)
    rows = as_log(canary, incumbent)
    labels = labels_for(rows, outcomes_of(canary.head(60), incumbent.head(60)))
    health = canary_health(rows, CANARY, INCUMBENT, STEP, labels)
    drops = {m: getattr(health.incumbent, m) - getattr(health.canary, m) for m in ("precision", "recall")}
    assert max(drops.values()) > 0.1, drops  # the point estimates alone would fail it
    assert not [p for p in health.problems if p.startswith(("precision", "recall"))], health.problems
    assert any("too few to tell" in n for n in health.not_judged), health.not_judged


def test_too_few_rows_is_not_enough_data():
    health = judge(inference_rows(CANARY, 150, seed=1, server_errors=0.5), inference_rows(INCUMBENT, 300, seed=2))
    assert not health.enough_data and not health.healthy
    assert health.problems == ()  # 150 requests are not judged, even with errors in them
    assert "not enough data: triage_model-2 has 150 and triage_model-1 300 requests" in health.reason
    assert not health.as_verdict().passed


def test_no_rows_at_all_is_not_enough_data():
    health = canary_health(None, CANARY, INCUMBENT, STEP)
    assert not health.enough_data and health.canary.requests == 0


def test_caller_errors_are_not_canary_errors():
    health = judge(inference_rows(CANARY, 330, seed=1, caller_errors=0.1), inference_rows(INCUMBENT, 330, seed=2, caller_errors=0.1))
    assert health.healthy, health.reason
    assert health.canary.caller_errors == 33 and health.canary.server_errors == 0
    assert health.canary.judged_requests == 297 and health.canary.error_rate == 0.0


def test_a_canary_that_refuses_more_requests_fails_on_caller_errors():
    # A new version with another input schema answers 400 where the incumbent answers 200.
    health = judge(inference_rows(CANARY, 330, seed=1, caller_errors=0.1), inference_rows(INCUMBENT, 330, seed=2))
    assert health.canary.server_errors == 0
    assert not health.healthy and "bad input" in health.problems[0]


def test_labels_join_record_keys_flags_and_scores_to_the_latest_outcome():
    rows = pd.DataFrame({
        "request_id": ["a", "b", "c", "d"], "served_entity": [CANARY, CANARY, INCUMBENT, CANARY],
        "status_code": [200, 200, 200, 500],
        "response": [json.dumps({"predictions": [1, 0]}), json.dumps({"predictions": [1]}),
                     json.dumps({"predictions": [0.7]}), '{"error_code": "INTERNAL_ERROR"}'],
        "scores": [[0.9, 0.1], [0.8, 0.2], [0.7], None],
        "record_keys": [["C1", "C2"], ["C3"], ["C4"], ["C5"]],
    })
    outcomes = pd.DataFrame({"record_key": ["C1", "C1", "C2", "C4", "C5"], "label": [False, True, False, True, True],
                             "available_at": pd.to_datetime(["2026-12-01", "2026-12-02", "2026-12-01", "2026-12-01", "2026-12-01"])})
    labels = labels_for(rows, outcomes)
    # b: keys and scores do not line up; c: predictions are not flags; d: failed; C3: no outcome yet.
    assert labels.to_dict("records") == [
        {"request_id": "a", "served_entity": CANARY, "record_key": "C1", "flag": 1, "score": 0.9, "label": 1},
        {"request_id": "a", "served_entity": CANARY, "record_key": "C2", "flag": 0, "score": 0.1, "label": 0},
    ]


def test_psi_is_zero_for_the_same_distribution_and_large_for_a_shift():
    rng = np.random.default_rng(0)
    base = rng.beta(2, 5, 5000)
    assert population_stability_index(base, base) == pytest.approx(0.0)
    assert population_stability_index(base, rng.beta(2, 5, 5000)) < 0.02
    assert population_stability_index(base, rng.beta(5, 2, 5000)) > 1.0
    assert population_stability_index(np.full(100, 0.5), np.full(100, 0.5)) == pytest.approx(0.0)  # one distinct score


@pytest.mark.parametrize("env", ["local", "dev", "test", "prod"])
def test_every_environment_has_a_deployment_policy_ending_at_100(env):
    policy = load_deployment_policy(env, CLAIMS_POLICIES)
    assert policy.environment == env
    assert [s.traffic for s in policy.canary_steps()] == [10, 25, 50, 100]


def test_a_step_overrides_only_what_it_names():
    steps = load_deployment_policy("prod", CLAIMS_POLICIES).canary_steps()
    assert steps[0].limits.max_wait_seconds == 14400 and steps[1].limits.max_wait_seconds == 3600
    assert steps[0].limits.min_requests == steps[1].limits.min_requests == 2000


@pytest.mark.parametrize("change, message", [
    ({"steps": [10, 50]}, "last traffic step must be 100"),
    ({"steps": [50, 25, 100]}, "must rise strictly"),
    ({"steps": [{"traffic": 10, "max_wait": 5}, 100]}, "step 1 (10 %): max_wait: Extra inputs are not permitted"),
    ({"steps": [10, {"traffic": 100, "min_requests": 5}]}, "the 100 % step is not observed"),
    ({"canary": True}, "canary: Extra inputs are not permitted"),
    ({"health": {"min_requests": 200}}, "health.max_wait_seconds: Field required"),
])
def test_bad_policies_are_refused_with_a_clear_message(tmp_path, change, message):
    raw = load_deployment_policy("local", CLAIMS_POLICIES).model_dump(mode="json")
    (tmp_path / "deployment.local.yaml").write_text(json.dumps({**raw, **change}))  # JSON is YAML
    with pytest.raises(PolicyError) as err:
        load_deployment_policy("local", tmp_path)
    assert message in str(err.value)


def test_unknown_environment_names_the_known_ones():
    with pytest.raises(PolicyError, match="known: databricks, dev, local, prod, test"):
        load_deployment_policy("staging", CLAIMS_POLICIES)


def test_policy_model_refuses_a_boolean_step():
    raw = load_deployment_policy("local", CLAIMS_POLICIES).model_dump(mode="json")
    with pytest.raises(ValueError):
        DeploymentPolicy(**{**raw, "steps": [True, 100]})
