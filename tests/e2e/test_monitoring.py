"""The demo's closing loop, end to end: shifted traffic and its late outcomes, the monitor's tables
and verdicts, the action they caused with its ledger record, and the commands to look further."""

import json
import re

import pytest

from lakegate.lake import Lake
from lakegate.ledger import Ledger
from lakegate.monitoring import MonitorTables
from lakegate.serving.control import LocalEndpoints
from tests.e2e.conftest import cli_in_process, run_cli

pytestmark = pytest.mark.e2e
ENDPOINT = "claims-triage"


def test_the_monitor_writes_lakehouse_monitoring_tables_for_the_endpoint(looped):
    home, result = looped
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    lake, tables = Lake(home / "lake"), MonitorTables.for_endpoint("dev", ENDPOINT)
    profile, drift = lake.read_arrow(tables.profile_metrics), lake.read_arrow(tables.drift_metrics)
    assert {"window", "granularity", "model_id", "slice_key", "slice_value", "column_name", "count"} <= set(profile.column_names)
    assert {"drift_type", "population_stability_index", "js_distance", "ks_test", "chi_squared_test"} <= set(drift.column_names)
    assert set(profile["granularity"].to_pylist()) == {"1 hour", "1 day"}
    assert "BASELINE" in drift["drift_type"].to_pylist()


def test_shifted_traffic_is_flagged_and_the_quality_drop_acts_through_the_ledger(looped):
    home, result = looped
    status = cli_in_process(home, "monitor", "status", ENDPOINT, "--json")
    assert status.returncode == 0, status.stderr
    doc = json.loads(status.stdout)
    verdicts = {v["family"]: v for v in doc["verdicts"]}
    assert verdicts["monitor_drift"]["outcome"] in ("warn", "error"), verdicts["monitor_drift"]
    assert verdicts["monitor_quality"]["outcome"] == "error", verdicts["monitor_quality"]
    assert "drift: replaying" in result.stdout
    [action, *_] = doc["actions"]
    assert action["action"] in ("rollback", "alert_only")
    assert action["verdict_id"].split(":")[0] in ("monitor_drift", "monitor_quality")  # the first acting verdict
    record = Ledger.for_home(home).records(kind="monitor_action")[0]
    assert record.inputs["verdict"]["outcome"] == "error" and record.inputs["verdict_id"] == action["verdict_id"]
    if action["action"] == "rollback":  # the second champion's canary passed, so there was somewhere to go
        rollback = Ledger.for_home(home).records(kind="rollback")[-1]
        assert f"ledger record {record.seq}" in rollback.reason and rollback.seq > record.seq
        endpoint = LocalEndpoints(home).get(ENDPOINT)
        assert endpoint.config.entity(endpoint.config.full_share_entity()).entity_version == record.inputs["rollback_to_version"]
    failed = re.search(r"failed \(5xx or no\s+answer\): (\d+)", result.stdout)  # rich wraps lines
    assert failed and failed.group(1) == "0", result.stdout[-2000:]


def test_the_action_alerts_and_the_ledger_still_verifies(looped):
    home, _ = looped
    alerts = cli_in_process(home, "alerts", "list", "--json")
    assert alerts.returncode == 0
    assert any(ENDPOINT in a["title"] for a in json.loads(alerts.stdout)), alerts.stdout[:2000]
    assert cli_in_process(home, "audit", "verify").returncode == 0


def test_the_loop_rehearses_rollback_and_forward_under_load_then_recovery_and_records_the_drill(looped):
    """The drill as its schedule runs it (the drill asset), reported as `lakegate drill` reports it."""
    home, result = looped
    [record] = Ledger.for_home(home).records(kind="drill", subject_filter={"endpoint": ENDPOINT})
    drill = record.outcome
    assert drill["rolled_back_to"] is not None and drill["rollback_failed_requests"] == 0 and drill["passed"]
    assert 0 < drill["rollback_seconds"] < 30 and 0 < drill["forward_seconds"] < 30
    assert 0 < drill["recovery_seconds"] < 300 and sum(drill["requests"].values()) > 0
    printed = re.search(rf"{ENDPOINT}:\s+rollback\s+to\s+\S+\s+in\s+\d+\s+ms.*?(\d+)\s+failed\s+requests;.*?ledger\s+record\s+(\d+)",
                        result.stdout, re.S)
    assert printed and printed.groups() == ("0", str(record.seq)), result.stdout[-3000:]
    assert "drill_passed: passed" in result.stdout


def test_the_hot_plant_drifts_the_machine_monitor_whose_quality_stays_unknown_without_labels(looped):
    home, result = looped
    status = cli_in_process(home, "monitor", "status", "machine-failure", "--json")
    assert status.returncode == 0, status.stderr
    verdicts = {v["family"]: v for v in json.loads(status.stdout)["verdicts"]}
    assert verdicts["monitor_drift"]["outcome"] in ("warn", "error"), verdicts["monitor_drift"]
    assert verdicts["monitor_quality"]["outcome"] == "none", verdicts["monitor_quality"]
    assert re.search(r"drift:\s+replaying\s+[\d,]+\s+requests\s+from\s+a\s+changed\s+population\s+against\s+machine-failure",
                     result.stdout), result.stdout[-3000:]
