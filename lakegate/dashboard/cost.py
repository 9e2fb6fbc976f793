"""The Cost panel's facts from `<catalog>.monitoring.cost`: this month's spend against the environment's
budget and the use case's, and estimate against actual for the use case's latest runs. Spend is the
cost table's own month-to-date (lakegate/cost/cost_table.py): actuals, and the estimate of a run whose
billing has not landed yet."""

from __future__ import annotations

import datetime as dt

from lakegate.cost.budget_alerts import ENVIRONMENT, USE_CASE, crossed_shares
from lakegate.cost.cost_table import MonthToDate, cost_table_name, month_to_date
from lakegate.dashboard.reads import Snapshot, latest
from lakegate.environment import Environment
from lakegate.lake import Lake

RUNS_SHOWN = 20


def cost_snapshot(lake: Lake, catalog: str) -> Snapshot:
    return latest(lake, str(cost_table_name(catalog)))


def spend_this_month(snapshot: Snapshot, env: Environment, now: dt.datetime) -> MonthToDate:
    return month_to_date(snapshot.rows.to_pylist() if snapshot.exists else [], env.name, now)


def budget_rows(mtd: MonthToDate, env: Environment, use_case: str) -> list[dict]:
    """This month's spend of the environment and of the use case, each with its budget (None: none set)."""
    cost = env.cost
    shares = cost.budget_alert_shares if cost else []
    scopes = [(ENVIRONMENT, env.name, mtd.total_usd, cost.monthly_budget_usd if cost else None),
              (USE_CASE, use_case, mtd.by_use_case.get(use_case, 0.0), cost.use_case_budgets_usd.get(use_case) if cost else None)]
    return [{"scope": scope, "name": name, "month": mtd.month, "spend_usd": spend, "budget_usd": budget,
             "share": spend / budget if budget else None,
             "crossed_shares": crossed_shares(spend, budget, shares) if budget else []}
            for scope, name, spend, budget in scopes]


def run_rows(snapshot: Snapshot, env: Environment, use_case: str) -> list[dict]:
    """The use case's latest runs in this environment, newest first."""
    if not snapshot.exists:
        return []
    rows = [r for r in snapshot.rows.to_pylist() if r["environment"] == env.name and r["use_case"] == use_case]
    return sorted(rows, key=lambda r: (r["recorded_at"], r["run_key"]), reverse=True)[:RUNS_SHOWN]
