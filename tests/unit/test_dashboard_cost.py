"""The dashboard's Cost panel on a real cost table: month-to-date spend against the environment's and
the use case's budget, estimate against actual per run, and what it says with no table or no budget."""

import datetime as dt
import re

import pytest

from lakegate.cost.cost_table import CostTable
from lakegate.dashboard.context import Reading
from lakegate.dashboard.facts import ModelFacts
from lakegate.dashboard.panels_ops import cost_panel
from lakegate.environment import load_environment
from lakegate.lake import Lake
from tests.cost_data import DECEMBER, ran, record

LOCAL = load_environment("local")  # monthly budget 50 USD, no use-case budget
DATABRICKS = load_environment("databricks")  # 200 USD, claims_triage 120 USD


def facts(use_case: str = "claims_triage") -> ModelFacts:
    return ModelFacts(use_case=use_case, description="", endpoint=use_case.replace("_", "-"), models={"prod": "m"},
                      catalog="dev", tables=(), quarantine=(), limits=None)


def reading(tmp_path, env) -> Reading:
    return Reading(tmp_path, Lake(tmp_path / "lake"), registry=None, records=[], now=DECEMBER + dt.timedelta(days=1),
                   env=env)


def figures(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-figure="([^"]+)" data-value="([^"]*)"', html))


@pytest.fixture
def table(tmp_path):
    table = CostTable(Lake(tmp_path / "lake"), "dev")
    ran(table, "r1", estimate=10.0, actual_hours=2, usd_per_hour=32.0, environment="databricks", engine="databricks")
    ran(table, "r2", estimate=20.0, actual_hours=1, usd_per_hour=22.0, environment="databricks", engine="databricks",
        use_case="machine_failure")
    table.record_decision(record("r3", 400.0, environment="databricks", engine="databricks", decision="refused",
                                 reason="estimate 400.00 USD exceeds the 128.00 USD left"), at=DECEMBER)
    ran(table, "local", estimate=1.0, actual_hours=1, usd_per_hour=1.0)
    return table


def test_spend_against_both_budgets_and_each_runs_estimate_against_its_actual(tmp_path, table):
    html = cost_panel(reading(tmp_path, DATABRICKS), facts())
    found = figures(html)
    assert float(found["cost.environment.spend"]) == 86.0 and float(found["cost.environment.share"]) == 0.43
    assert float(found["cost.use_case.spend"]) == 64.0 and float(found["cost.use_case.share"]) == pytest.approx(64 / 120)
    assert float(found["cost.run.r1.estimate"]) == 10.0 and float(found["cost.run.r1.actual"]) == 64.0
    assert float(found["cost.runs"]) == 3 and float(found["cost.awaiting_actuals"]) == 0  # r3 was refused: no spend
    assert found["cost.run.r3.actual"] == "" and "exceeds the 128.00 USD left" in html and "refused" in html
    assert "cost.run.r2.estimate" not in found and "cost.run.local.estimate" not in found  # another use case, env
    assert "Month to date (2026-12)" in html and "as of Delta version" in html and "budgets of environment databricks" in html
    assert re.findall(r"<td>(none|50%)</td>", html) == ["none", "50%"]  # 43 %: none yet; 53 %: the 50 % share


def test_a_use_case_without_a_budget_and_an_environment_without_a_table(tmp_path, table):
    html = cost_panel(reading(tmp_path, LOCAL), facts())
    assert "no budget set" in html and float(figures(html)["cost.environment.spend"]) == 1.0
    empty = cost_panel(reading(tmp_path / "elsewhere", LOCAL), facts("machine_failure"))
    assert "`dev.monitoring.cost` does not exist yet" in empty and "no run of machine_failure recorded yet" in empty
