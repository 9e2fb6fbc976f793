"""The pre-flight cost decision, signed finance approvals and the live stop (lakegate/cost/)."""

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lakegate.cost.decision import Budget, decide
from lakegate.cost.finance_approval import (CostRequest, list_requests, load_finance_approvals, load_request,
                                             record_finance_approval, sign_finance_approval)
from lakegate.cost.guard import CostGuard, CostRefused, RunIdentity
from lakegate.cost.live_stop import LiveStop
from lakegate.environment import CostConfig
from lakegate.governance.policy import parse_policy
from lakegate.ledger import Ledger
from lakegate.signing import public_key_pem

COST = CostConfig(cost_centre="CC-1", monthly_budget_usd=100, use_case_budgets_usd={"claims_triage": 40},
                  finance_approval_above_usd=5, run_cap_usd=10)
KEYS = {pid: Ed25519PrivateKey.generate() for pid in ("fi.finance", "launch.er", "mo.risk")}
ROLES = {"fi.finance": ["finance"], "launch.er": ["finance", "data_scientist"], "mo.risk": ["model_risk"]}
POLICY = parse_policy({"version": "t1", "environments": {}, "principals": [
    {"id": pid, "display_name": pid, "roles": ROLES[pid], "public_key": public_key_pem(key.public_key())}
    for pid, key in KEYS.items()]})
RUN = RunIdentity("prod", "ml/claims_triage_training_set", "ml__claims_triage_training_set", "run-2", "run-1",
                  "launch.er", "claims_triage")


def guard(tmp_path, spent=(0.0, 0.0)) -> CostGuard:
    return CostGuard(COST, tmp_path, Ledger(tmp_path / "ledger.jsonl"), spend=lambda use_case: spent, policy=lambda: POLICY)


def approve(g: CostGuard, principal: str, estimate: float, run: RunIdentity = RUN) -> None:
    approval = sign_finance_approval(KEYS[principal], g.request(run, estimate, "p90 of 3 runs"), principal)
    record_finance_approval(approval, g.home, g.ledger)


def test_a_run_over_the_budget_left_is_refused_with_estimate_budget_and_spend(tmp_path):
    g = guard(tmp_path, spent=(20.0, 38.5))
    with pytest.raises(CostRefused) as refused:
        g.preflight(RUN, 2.0, "declared")
    assert "estimated $2.00 exceeds the budget left: use case claims_triage in prod: budget $40.00, spent $38.50 " \
           "this month, $1.50 left" in str(refused.value)
    (record,) = g.ledger.records("cost_decision")
    assert record.outcome["decision"] == "refused" and record.inputs["estimate_usd"] == "2.00"
    assert record.subject["root_run_id"] == "run-1"


def test_a_cheap_run_within_budget_runs_up_to_the_cap_or_the_budget_left(tmp_path):
    decision = guard(tmp_path, spent=(0.0, 0.0)).preflight(RUN, 1.0, "declared")
    assert (decision.outcome, decision.limit_usd) == ("allowed", 10.0)
    near_the_end = guard(tmp_path, spent=(0.0, 36.0)).preflight(RUN, 1.0, "declared")
    assert near_the_end.limit_usd == 4.0 and "budget left" in near_the_end.limit_reason


def test_a_high_cost_run_waits_for_finance_and_leaves_its_request(tmp_path):
    g = guard(tmp_path)
    with pytest.raises(CostRefused, match=r"above the finance-approval threshold of \$5.00.*lakegate cost approve"):
        g.preflight(RUN, 7.25, "p90 of 3 runs")
    (request,) = list_requests(tmp_path)
    assert (request.estimate_usd, request.launcher, request.dagster_run_id) == ("7.25", "launch.er", "run-1")
    assert load_request(request.request_id, tmp_path) == request
    assert g.ledger.records("cost_decision")[-1].outcome["decision"] == "awaiting_approval"


def test_the_launcher_may_not_approve_their_own_run_even_holding_finance(tmp_path):
    g = guard(tmp_path)
    approve(g, "launch.er", 7.25)
    with pytest.raises(CostRefused, match="launch.er launched the run and may not approve its cost"):
        g.preflight(RUN, 7.25, "p90 of 3 runs")


def test_only_the_role_finance_and_a_true_signature_unlock_a_run(tmp_path):
    g = guard(tmp_path)
    approve(g, "mo.risk", 7.25)
    with pytest.raises(CostRefused, match="mo.risk does not hold the role finance"):
        g.preflight(RUN, 7.25, "x")
    forged = sign_finance_approval(KEYS["mo.risk"], g.request(RUN, 7.25, "x"), "fi.finance")
    record_finance_approval(forged, tmp_path, g.ledger)
    with pytest.raises(CostRefused, match="fi.finance's approval does not verify"):
        g.preflight(RUN, 7.25, "x")


def test_a_finance_approval_covers_its_run_up_to_the_signed_amount(tmp_path):
    g = guard(tmp_path)
    approve(g, "fi.finance", 7.25)
    decision = g.preflight(RUN, 7.0, "x")  # a re-estimate below the approved amount
    assert (decision.outcome, decision.approver, decision.limit_usd) == ("approved", "fi.finance", 10.0)
    with pytest.raises(CostRefused, match="covers \\$7.25, not this estimate"):
        g.preflight(RUN, 8.0, "x")
    other_run = RunIdentity(**{**RUN.__dict__, "root_run_id": "run-7", "dagster_run_id": "run-7"})
    with pytest.raises(CostRefused, match="no valid finance approval"):
        g.preflight(other_run, 7.0, "x")
    assert [r.kind for r in g.ledger.records()][:1] == ["finance_approval"]
    assert len(load_finance_approvals(g.request(RUN, 7.0, "x").request_id, tmp_path)) == 1


def test_an_approval_above_the_cap_raises_the_runs_limit_to_the_approved_amount(tmp_path):
    g = guard(tmp_path)
    approve(g, "fi.finance", 25.0)
    assert g.preflight(RUN, 24.0, "x").limit_usd == 25.0


def test_the_live_stop_projects_one_poll_ahead():
    stop = LiveStop(usd_per_hour=36.0, limit_usd=0.05, limit_reason="the run cap of $0.05", poll_seconds=1.0, started=100.0)
    assert stop.verdict(now=103.0) is None  # 4 s × $0.01/s = $0.04
    assert "crosses the run cap of $0.05" in stop.verdict(now=104.0)


def test_a_stop_is_recorded_and_alerted(tmp_path):
    from lakegate.alerts import list_alerts

    g = guard(tmp_path)
    g.record_stop(RUN, 42, "projected cost $0.06 crosses the run cap")
    (record,) = g.ledger.records("cost_stop")
    assert record.subject["databricks_run_id"] == "42"
    (alert,) = list_alerts(tmp_path)
    assert alert["severity"] == "ERROR" and "42" in alert["text"]


def test_budgets_name_their_scope():
    budget = Budget("environment prod", 100.0, 120.0)
    assert budget.remaining_usd == 0.0 and "spent $120.00" in budget.describe()
    request = CostRequest("abc", "prod", "a", "r", "l", "1.00", "x")
    assert decide(COST, request, 0.5, [budget], [], None).outcome == "refused"
