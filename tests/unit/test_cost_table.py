"""The cost table on real Delta in a temporary folder: decisions, embedded and billing actuals,
month-to-date spend per environment and use case, and reconciliation."""

import datetime as dt
import math

import pytest

from lakegate.cost.billing import BILLING, BilledRun
from lakegate.cost.cost_table import WALL_TIME, CostTable, cost_table_name, month_to_date
from lakegate.cost.reconciliation import estimate_error, reconcile
from lakegate.lake import Lake
from tests.cost_data import DECEMBER, ran, record


@pytest.fixture
def table(tmp_path):
    return CostTable(Lake(tmp_path / "lake"), "dev")


def by_key(table):
    return {r["run_key"]: r for r in table.rows()}


def test_a_decision_row_is_updated_in_place_and_keeps_its_actual(table, tmp_path):
    ran(table, "r1", estimate=0.5, actual_hours=0.5, usd_per_hour=0.8)
    table.record_decision(record("r1", 0.5, decision="stopped", reason="projection past the run cap"), at=DECEMBER)
    rows = table.rows()
    assert len(rows) == 1 and rows[0]["decision"] == "stopped" and rows[0]["reason"] == "projection past the run cap"
    assert rows[0]["actual_usd"] == pytest.approx(0.4) and rows[0]["actual_source"] == WALL_TIME
    assert rows[0]["duration_seconds"] == 1800 and rows[0]["started_at"] == DECEMBER
    assert Lake(tmp_path / "lake").exists(cost_table_name("dev"))  # dev.monitoring.cost, a Delta table


def test_filling_an_unknown_run_is_an_error_not_a_new_row(table):
    table.record_decision(record("r1", 1.0))
    with pytest.raises(KeyError, match="r2"):
        table.fill_wall_time_actual("r2", DECEMBER, DECEMBER, 1.0)
    assert [r["run_key"] for r in table.rows()] == ["r1"]


def test_a_bad_engine_or_decision_is_refused():
    with pytest.raises(ValueError, match="engine"):
        record("r", 1.0, engine="spark")
    with pytest.raises(ValueError, match="decision"):
        record("r", 1.0, decision="maybe")


def billed(run_id: str, usd: float, dbus: float, hours: float = 1.0) -> BilledRun:
    return BilledRun(run_id, dbus, usd, DECEMBER, DECEMBER + dt.timedelta(hours=hours), 1)


def test_billing_fills_databricks_rows_by_job_run_id_and_updates_when_more_lands(table):
    table.record_decision(record("d1", 2.0, engine="databricks", environment="databricks", databricks_run_id=41))
    table.record_decision(record("d2", 2.0, engine="databricks", environment="databricks"))
    table.record_databricks_run("d2", 42)
    table.record_decision(record("prod", 2.0, engine="databricks", environment="prod", databricks_run_id=41))
    ran(table, "s1", estimate=1.0, actual_hours=1, usd_per_hour=1.0, environment="databricks")
    assert table.awaiting_billing("databricks") == [41, 42] and table.awaiting_billing("prod") == [41]
    assert table.fill_billing_actuals({"41": billed("41", 1.5, 10.0)}, "databricks") == ["d1"]
    assert table.fill_billing_actuals({"41": billed("41", 1.5, 10.0)}, "databricks") == []  # unchanged: not rewritten
    more = {"41": billed("41", 1.8, 12.0, hours=2), "42": billed("42", 3.0, 20.0)}
    assert table.fill_billing_actuals(more, "databricks") == ["d1", "d2"]
    rows = by_key(table)
    assert rows["prod"]["actual_usd"] is None  # another workspace's run 41
    assert rows["d1"]["actual_usd"] == 1.8 and rows["d1"]["billed_dbus"] == 12.0 and rows["d1"]["actual_source"] == BILLING
    assert rows["d1"]["duration_seconds"] == 7200 and rows["d2"]["actual_usd"] == 3.0
    assert rows["s1"]["actual_source"] == WALL_TIME and rows["s1"]["billed_dbus"] is None


def test_month_to_date_counts_actuals_estimates_awaiting_billing_and_never_refused_runs(table):
    ran(table, "a", estimate=1.0, actual_hours=2, usd_per_hour=1.5)  # actual 3.0
    table.record_decision(record("b", 4.0, use_case="machine_failure", engine="databricks"), at=DECEMBER)  # awaiting billing
    table.record_decision(record("c", 90.0, decision="refused"), at=DECEMBER)
    table.record_decision(record("held", 60.0, decision="awaiting_approval"), at=DECEMBER)
    table.record_decision(record("d", 7.0, use_case=None), at=DECEMBER)  # an asset no use case owns
    ran(table, "november", estimate=1.0, actual_hours=1, usd_per_hour=5.0, at=DECEMBER - dt.timedelta(days=20))
    ran(table, "other-env", estimate=1.0, actual_hours=1, usd_per_hour=5.0, environment="databricks")
    mtd = month_to_date(table.rows(), "local", DECEMBER + dt.timedelta(days=1))
    assert mtd.month == "2026-12" and mtd.total_usd == pytest.approx(3.0 + 4.0 + 7.0)
    assert mtd.by_use_case == {"claims_triage": pytest.approx(3.0), "machine_failure": 4.0}
    assert mtd.runs == 5 and mtd.awaiting_actuals == 2
    assert table.spend("local", "claims_triage", DECEMBER) == (pytest.approx(14.0), pytest.approx(3.0))
    assert table.spend("local", None, DECEMBER) == (pytest.approx(14.0), 0.0)  # what the cost guard's `spend` asks


def test_reconciliation_flags_runs_off_by_more_than_the_tolerance_once_each(table):
    ran(table, "close", estimate=1.0, actual_hours=1, usd_per_hour=1.4)  # +40 %
    ran(table, "over", estimate=1.0, actual_hours=1, usd_per_hour=1.6)  # +60 %
    ran(table, "under", estimate=1.0, actual_hours=1, usd_per_hour=0.3)  # -70 %
    table.record_decision(record("pending", 1.0))  # no actual yet: not judged
    verdicts, flagged = reconcile(table.rows(), tolerance=0.5)
    assert sorted(verdicts) == ["close", "over", "under"]
    assert [(d.run_key, round(d.estimate_error, 2)) for d in flagged] == [("over", 0.6), ("under", -0.7)]
    assert "+60%" in flagged[0].describe()
    table.record_reconciliation(verdicts, DECEMBER)
    assert reconcile(table.rows(), tolerance=0.5) == ({}, [])  # judged once
    rows = by_key(table)
    assert rows["over"]["flagged"] is True and rows["close"]["flagged"] is False
    assert rows["close"]["estimate_error"] == pytest.approx(0.4)
    table.fill_wall_time_actual("close", DECEMBER, DECEMBER + dt.timedelta(hours=2), 1.4)  # a new actual: judged again
    assert [d.run_key for d in reconcile(table.rows(), tolerance=0.5)[1]] == ["close"]


def test_an_estimate_of_zero_is_infinitely_off_unless_the_run_cost_nothing():
    assert estimate_error(0.0, 0.0) == 0.0 and math.isinf(estimate_error(0.0, 0.01))
    assert estimate_error(2.0, 1.0) == -0.5
