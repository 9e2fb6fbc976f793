"""The cost asset on a real Dagster instance: a month's runs in the cost table cross budget shares and
one estimate is far off; materializing `monitoring/cost` raises the budget alerts and fails its
reconciliation check, and the alert sensor delivers both to a real webhook and SMTP server, once."""

import datetime as dt

import dagster as dg
import pytest

from lakegate import environment
from lakegate.alerting.sensors import CHECK_ALERT_SENSOR, alert_sensors
from lakegate.cost.cost_table import CostTable
from lakegate.lake import Lake
from lakegate.lake_resource import LakeResource
from lakegate.platform import Platform
from ml_assets.cost.assets import COST_KEY, RECONCILIATION_CHECK, cost_table
from tests.cost_data import ran
from tests.integration.alert_receivers import ALERT_ENV as ENV
from tests.integration.alert_receivers import receiving

pytestmark = pytest.mark.integration
COST = """
cost:
  cost_centre: CC-4410
  monthly_budget_usd: 10
  use_case_budgets_usd: {claims_triage: 4}
  finance_approval_above_usd: 5
  run_cap_usd: 10
  reconciliation_tolerance: 0.5
"""
CHECK = f"{COST_KEY.to_user_string()}:{RECONCILIATION_CHECK}"


@pytest.fixture
def cost_receivers(tmp_path, monkeypatch):
    yield from receiving(tmp_path, monkeypatch, COST)


def resources(home) -> dict:
    platform = Platform(environment=ENV, home=str(home))
    return {"platform": platform, "lake": LakeResource(platform=platform)}


def materialize(instance, home):
    result = dg.materialize([cost_table], instance=instance, resources=resources(home))
    assert result.success  # a WARN check failing does not fail the run
    return result


def delivered(webhook) -> list[tuple[str, str, str]]:
    return [(b["lakegate"]["severity"], b["lakegate"]["kind"], b["lakegate"]["key"]) for b in webhook.bodies]


def tick(instance, home, cursor):
    [sensor] = [s for s in alert_sensors(environment.load_environment(ENV)) if s.name == CHECK_ALERT_SENSOR]
    definitions = dg.Definitions(assets=[cost_table], resources=resources(home))
    context = dg.build_sensor_context(instance=instance, cursor=cursor, definitions=definitions,
                                      resources={"platform": resources(home)["platform"]})
    sensor(context)
    return context.cursor


def test_budget_alerts_and_an_estimate_far_off_are_delivered_once(tmp_path, cost_receivers):
    webhook, smtp = cost_receivers
    table = CostTable(Lake(tmp_path / "lake"), "dev")
    now = dt.datetime.now(dt.timezone.utc)
    ran(table, "r1", estimate=1.0, actual_hours=1, usd_per_hour=1.0, at=now, environment=ENV)  # on estimate
    ran(table, "r2", estimate=1.0, actual_hours=4, usd_per_hour=1.0, at=now, environment=ENV, use_case=None)  # +300 %
    with dg.instance_for_test() as instance:
        result = materialize(instance, tmp_path)
        [check] = result.get_asset_check_evaluations()
        assert not check.passed and "1 of 2 newly reconciled runs" in check.description and "+300%" in check.description
        cursor = tick(instance, tmp_path, None)
        # environment 5 of 10 USD (50 %), claims_triage 1 of 4 USD (25 %): one budget alert, one check alert
        month = now.strftime("%Y-%m")
        assert sorted(delivered(webhook)) == [
            ("WARN", "firing", f"budget of environment {ENV}: 50% reached in {month}"), ("WARN", "firing", CHECK)]
        assert any(f"month-to-date spend of environment {ENV} in {month} is 5.00 USD" in b["text"] for b in webhook.bodies)
        assert len(smtp.messages) == 2

        ran(table, "r3", estimate=3.0, actual_hours=3, usd_per_hour=1.0, at=now, environment=ENV)  # claims at 4 of 4
        materialize(instance, tmp_path)
        tick(instance, tmp_path, cursor)
    assert sorted(delivered(webhook)[2:]) == [
        ("ERROR", "firing", f"budget of use case claims_triage: 100% reached in {month}"),
        ("WARN", "firing", f"budget of environment {ENV}: 80% reached in {month}"),
        ("WARN", "firing", f"budget of use case claims_triage: 50% reached in {month}"),
        ("WARN", "firing", f"budget of use case claims_triage: 80% reached in {month}"),
        ("WARN", "resolved", CHECK)]  # r3 was on its estimate
    assert len(smtp.messages) == len(webhook.bodies) == 7  # nothing delivered twice


def test_an_environment_without_a_cost_section_says_so_and_does_not_fail(tmp_path):
    platform = Platform(environment="test", home=str(tmp_path))
    result = dg.materialize([cost_table], resources={"platform": platform, "lake": LakeResource(platform=platform)})
    [materialization] = result.asset_materializations_for_node("monitoring__cost")
    assert result.success and "has no cost: section" in materialization.metadata["guardrails"].value
    assert not Lake(tmp_path / "lake").exists("test.monitoring.cost")
