"""Budget alert shares: which of 50/80/100 % a month's spend newly crossed, per environment and use-case
budget, raised once per share per month into the alert outbox."""

import pytest

from lakegate.alerts import list_alerts
from lakegate.cost.budget_alerts import (ENVIRONMENT, SOURCE, USE_CASE, MonthlyBudget, budgets,
                                         newly_crossed_shares, raise_budget_alerts)
from lakegate.cost.cost_table import MonthToDate
from lakegate.environment import CostConfig

SHARES = [0.5, 0.8, 1.0]
COST = CostConfig(cost_centre="CC-1", monthly_budget_usd=100, use_case_budgets_usd={"claims_triage": 40},
                  finance_approval_above_usd=5, run_cap_usd=10)


def mtd(total: float, claims: float = 0.0, month: str = "2026-12") -> MonthToDate:
    return MonthToDate("local", month, total, {"claims_triage": claims}, runs=3, awaiting_actuals=1)


@pytest.mark.parametrize("spend,alerted,expected", [
    (49.99, set(), []),
    (50.0, set(), [0.5]),  # reaching the share counts
    (85.0, set(), [0.5, 0.8]),  # a jump past two shares raises both
    (85.0, {0.5}, [0.8]),
    (130.0, {0.5, 0.8}, [1.0]),
    (130.0, {0.5, 0.8, 1.0}, []),
])
def test_newly_crossed_shares(spend, alerted, expected):
    assert newly_crossed_shares(spend, 100.0, SHARES, alerted) == expected


def test_budgets_are_the_environments_and_each_use_cases():
    assert budgets(COST, "local") == [MonthlyBudget(ENVIRONMENT, "local", 100.0),
                                      MonthlyBudget(USE_CASE, "claims_triage", 40.0)]


def test_alerts_are_raised_once_per_share_per_budget_per_month(tmp_path):
    raised = raise_budget_alerts(tmp_path, COST, mtd(55.0, claims=33.0))  # env 55 %, claims 82.5 %
    assert [a["title"] for a in raised] == ["budget of environment local: 50% reached in 2026-12",
                                            "budget of use case claims_triage: 50% reached in 2026-12",
                                            "budget of use case claims_triage: 80% reached in 2026-12"]
    assert {a["severity"] for a in raised} == {"WARN"} and {a["source"] for a in raised} == {SOURCE}
    assert "55.00 USD, 55% of its 100.00 USD budget" in raised[0]["text"]
    assert raise_budget_alerts(tmp_path, COST, mtd(56.0, claims=34.0)) == []  # a second refresh: nothing again
    over = raise_budget_alerts(tmp_path, COST, mtd(101.0, claims=34.0))
    assert [(a["title"], a["severity"]) for a in over] == [
        ("budget of environment local: 80% reached in 2026-12", "WARN"),
        ("budget of environment local: 100% reached in 2026-12", "ERROR")]
    january = raise_budget_alerts(tmp_path, COST, mtd(60.0, month="2027-01"))
    assert [a["title"] for a in january] == ["budget of environment local: 50% reached in 2027-01"]
    assert len(list_alerts(tmp_path)) == 6  # every one is in the outbox the alert sensor delivers from
