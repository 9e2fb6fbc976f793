"""The alert sensor on a real Dagster instance: a tiny asset with checks is materialized in-process,
the sensor is evaluated, and a real SMTP server and a real HTTP receiver get the alerts."""

import json

import dagster as dg
import pytest

from lakegate import environment
from lakegate.alerting.sensors import CHECK_ALERT_SENSOR, alert_sensors
from lakegate.alerting.table import AlertTable
from lakegate.alerts import raise_alert
from lakegate.platform import Platform
from tests.cli import run_in_process
from tests.integration.alert_receivers import ALERT_ENV as ENV
from tests.integration.alert_receivers import receivers  # noqa: F401 (a fixture)

pytestmark = pytest.mark.integration

CHECK = "alert_test/tiny:rows_positive"
OUTCOME = {"passes": False}


@dg.asset(key=["alert_test", "tiny"])
def tiny():
    return dg.MaterializeResult(metadata={"rows": 3})


@dg.asset_check(asset=tiny, name="rows_positive")
def rows_positive():
    return dg.AssetCheckResult(passed=OUTCOME["passes"], severity=dg.AssetCheckSeverity.WARN,
                               description="rows must be positive")


@dg.asset_check(asset=tiny, name="always_passes")
def always_passes():
    return dg.AssetCheckResult(passed=True)


@pytest.fixture
def instance():
    return dg.DagsterInstance.ephemeral()


@pytest.fixture
def sqlite_instance():
    """What `dagster dev` uses by default: SQLite, its event log sharded by run."""
    with dg.instance_for_test() as instance:
        yield instance


def materialize(instance, passes: bool) -> None:
    OUTCOME["passes"] = passes
    result = dg.materialize([tiny, rows_positive, always_passes], instance=instance)
    assert result.success  # the run succeeds whatever the WARN check says (dagster#29896)


def tick(instance, home, cursor):
    sensors = {s.name: s for s in alert_sensors(environment.load_environment(ENV))}
    platform = Platform(environment=ENV, home=str(home))
    defs = dg.Definitions(assets=[tiny], asset_checks=[rows_positive, always_passes], sensors=list(sensors.values()))
    context = dg.build_sensor_context(instance=instance, cursor=cursor, definitions=defs, resources={"platform": platform})
    result = sensors[CHECK_ALERT_SENSOR](context)
    assert isinstance(result, dg.SkipReason)  # an alert sensor requests no runs
    return context.cursor


def test_one_alert_per_transition_and_one_resolved_on_both_receivers(tmp_path, receivers, sqlite_instance):
    webhook, smtp = receivers
    instance = sqlite_instance
    materialize(instance, passes=False)
    cursor = tick(instance, tmp_path, None)
    assert [b["lakegate"]["kind"] for b in webhook.bodies] == ["firing"]
    assert webhook.bodies[0]["text"].startswith(f"[WARN] {CHECK} failing: asset check {CHECK} failed (WARN)")
    assert webhook.bodies[0]["lakegate"]["key"] == CHECK and webhook.bodies[0]["lakegate"]["run_id"]
    assert [m["Subject"] for m in smtp.messages] == [f"[Lakegate WARN] {CHECK} failing"]

    materialize(instance, passes=False)  # failing again: the same open alert
    cursor = tick(instance, tmp_path, cursor)
    cursor = tick(instance, tmp_path, cursor)  # a restarted sensor resumes from its stored cursor
    assert len(webhook.bodies) == 1 and len(smtp.messages) == 1

    materialize(instance, passes=True)
    cursor = tick(instance, tmp_path, cursor)
    tick(instance, tmp_path, cursor)
    assert [b["lakegate"]["kind"] for b in webhook.bodies] == ["firing", "resolved"]
    assert [m["Subject"] for m in smtp.messages] == [f"[Lakegate WARN] {CHECK} failing", f"[Lakegate WARN] {CHECK} resolved"]
    assert webhook.bodies[0]["lakegate"]["alert_id"] == smtp.messages[0]["X-Lakegate-Alert-Id"]

    rows = AlertTable(tmp_path, "dev").read()
    assert [(r["kind"], r["key"], r["delivery_status"]) for r in rows] == [
        ("firing", CHECK, "delivered"), ("resolved", CHECK, "delivered")]
    assert rows[0]["deliveries"]["webhook"]["status"] == rows[0]["deliveries"]["email"]["status"] == "sent"


def test_a_failed_delivery_is_recorded_and_retried_and_the_url_is_kept_nowhere(tmp_path, receivers, instance):
    webhook, smtp = receivers
    webhook.fail_first = 1
    materialize(instance, passes=False)
    cursor = tick(instance, tmp_path, None)
    [row] = AlertTable(tmp_path, "dev").read()
    assert row["delivery_status"] == "pending" and webhook.bodies == [] and len(smtp.messages) == 1
    assert row["deliveries"]["webhook"] == {"tries": 1, "status": "retrying", "error": "webhook answered HTTP 500",
                                            "at": row["deliveries"]["webhook"]["at"]}
    tick(instance, tmp_path, cursor)
    [row] = AlertTable(tmp_path, "dev").read()
    assert row["delivery_status"] == "delivered" and len(webhook.bodies) == 1 and len(smtp.messages) == 1
    table_files = [p.read_bytes() for p in (tmp_path / "lake").rglob("*") if p.is_file()]
    assert table_files and not any(b"s3cr3t-webhook-path" in data for data in table_files)


def test_a_break_glass_is_delivered_and_listed_from_the_table(tmp_path, receivers, instance, monkeypatch):
    webhook, _ = receivers
    raise_alert(tmp_path, "ERROR", "break-glass on e", "m-9 serves past the deployment gate", source="ledger record 7")
    env = {"LAKEGATE_HOME": str(tmp_path), "LAKEGATE_ENV": ENV}
    listed = json.loads(run_in_process(env, "alerts", "list", "--json").stdout)
    assert [(a["title"], a["source"], a["delivery_status"]) for a in listed] == [
        ("break-glass on e", "ledger record 7", "pending")]
    tick(instance, tmp_path, None)
    assert [b["text"] for b in webhook.bodies] == ["[ERROR] break-glass on e: m-9 serves past the deployment gate"]
    listed = run_in_process(env, "alerts", "list")
    assert listed.returncode == 0 and "break-glass on e" in listed.stdout and "(ledger record 7; delivered)" in listed.stdout
    refused = run_in_process(env, "alerts", "list", "--severity", "INFO")
    assert refused.returncode == 2 and "--severity must be WARN or ERROR" in refused.stderr
