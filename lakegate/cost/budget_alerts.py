"""Budget alerts: once per share (50, 80, 100 % by default) per budget per month, for the
environment's monthly budget and each use case's.

An alert is raised into the alert outbox (lakegate/alerts.py), the durable record the alert sensor
stores in `<catalog>.monitoring.alerts` and delivers on the severity's routes: WARN below the whole
budget, ERROR at it. The outbox also tells which shares have alerted this month, so a refresh that
runs again raises nothing twice (docs/decisions/0040-cost-table-and-budget-alerts.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock

from lakegate.alerts import list_alerts, raise_alert
from lakegate.cost.cost_table import MonthToDate
from lakegate.environment import CostConfig

SOURCE = "cost budget"
ENVIRONMENT, USE_CASE = "environment", "use case"
LOCK_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class MonthlyBudget:
    scope: str  # environment | use case
    name: str  # the environment's or the use case's name
    monthly_usd: float

    def spend(self, mtd: MonthToDate) -> float:
        return mtd.total_usd if self.scope == ENVIRONMENT else mtd.by_use_case.get(self.name, 0.0)


def budgets(cost: CostConfig, environment: str) -> list[MonthlyBudget]:
    return [MonthlyBudget(ENVIRONMENT, environment, cost.monthly_budget_usd),
            *(MonthlyBudget(USE_CASE, name, usd) for name, usd in sorted(cost.use_case_budgets_usd.items()))]


def crossed_shares(spend_usd: float, budget_usd: float, shares: list[float]) -> list[float]:
    return sorted(s for s in shares if spend_usd >= s * budget_usd)


def newly_crossed_shares(spend_usd: float, budget_usd: float, shares: list[float], alerted: set[float]) -> list[float]:
    """The shares this month's spend has reached that have not alerted this month."""
    return [s for s in crossed_shares(spend_usd, budget_usd, shares) if s not in alerted]


def alert_title(budget: MonthlyBudget, share: float, month: str) -> str:
    """One title per budget, share and month: how the outbox tells what has alerted."""
    return f"budget of {budget.scope} {budget.name}: {share:.0%} reached in {month}"


def alerted_shares(alerts: list[dict], budget: MonthlyBudget, shares: list[float], month: str) -> set[float]:
    titles = {a["title"] for a in alerts if a.get("source") == SOURCE}
    return {s for s in shares if alert_title(budget, s, month) in titles}


def raise_budget_alerts(home: Path, cost: CostConfig, mtd: MonthToDate) -> list[dict]:
    """Raise an alert for each share newly crossed, per budget; returns the alerts raised."""
    lock = FileLock(str(Path(home) / "alerts" / "budget.lock"), timeout=LOCK_TIMEOUT_SECONDS)
    Path(lock.lock_file).parent.mkdir(parents=True, exist_ok=True)
    raised = []
    with lock:  # two refreshes at once read the outbox one after the other
        alerts = list_alerts(home)
        for budget in budgets(cost, mtd.environment):
            spend = budget.spend(mtd)
            done = alerted_shares(alerts, budget, cost.budget_alert_shares, mtd.month)
            for share in newly_crossed_shares(spend, budget.monthly_usd, cost.budget_alert_shares, done):
                text = (f"month-to-date spend of {budget.scope} {budget.name} in {mtd.month} is {spend:.2f} USD, "
                        f"{spend / budget.monthly_usd:.0%} of its {budget.monthly_usd:.2f} USD budget "
                        f"(cost centre {cost.cost_centre}; {mtd.awaiting_actuals} run(s) counted at their estimate "
                        "until billing lands)")
                raised.append(raise_alert(home, "ERROR" if share >= 1.0 else "WARN",
                                          alert_title(budget, share, mtd.month), text, SOURCE))
    return raised

