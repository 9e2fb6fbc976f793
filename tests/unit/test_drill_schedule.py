"""The scheduled rollback drill: due at the model-risk policy's drill cadence after the endpoint's last
drill record (scheduled or by hand), never for an endpoint that does not exist."""

import datetime as dt

import dagster as dg

from lakegate.ledger import Ledger
from lakegate.serving.control import LocalEndpoints
from lakegate.serving.endpoints import single_version_config
from ml_assets import keys
from ml_assets.monitoring.drill import drill_due, drill_request
from ml_assets.usecases import CLAIMS_TRIAGE

NOW = dt.datetime(2026, 12, 2, 4, 45, tzinfo=dt.timezone.utc)
DAY = dt.timedelta(days=1)


def test_a_drill_is_due_when_never_drilled_or_the_cadence_has_passed():
    assert drill_due(None, NOW, 90)
    assert drill_due(NOW - 90 * DAY, NOW, 90) and not drill_due(NOW - 89 * DAY, NOW, 90)


def test_the_drill_is_requested_at_the_cadence_after_the_last_drill_and_not_in_between(tmp_path):
    endpoint, ledger = keys.endpoint_name(CLAIMS_TRIAGE), Ledger.for_home(tmp_path)
    nothing = drill_request(tmp_path, ledger, CLAIMS_TRIAGE, 90, NOW)
    assert isinstance(nothing, dg.SkipReason) and "does not exist" in nothing.skip_message
    LocalEndpoints(tmp_path).create(endpoint, single_version_config(CLAIMS_TRIAGE.registered_model_name("dev"), "1"),
                                    actor="tests", reason="drill schedule test")
    first = drill_request(tmp_path, ledger, CLAIMS_TRIAGE, 90, NOW)
    assert isinstance(first, dg.RunRequest) and first.run_key == "claims_triage-drill-2026-12-02"
    ledger.append("drill", "lakegate/drill", {"endpoint": "machine-failure"}, inputs={}, outcome={"passed": True})
    assert isinstance(drill_request(tmp_path, ledger, CLAIMS_TRIAGE, 90, NOW), dg.RunRequest)  # another endpoint's drill
    ledger.append("drill", "lakegate/drill", {"endpoint": endpoint}, inputs={}, outcome={"passed": True})
    drilled = dt.datetime.now(dt.timezone.utc)
    waiting = drill_request(tmp_path, ledger, CLAIMS_TRIAGE, 90, drilled + 89 * DAY)
    assert isinstance(waiting, dg.SkipReason) and "cadence is 90 days" in waiting.skip_message
    again = drill_request(tmp_path, ledger, CLAIMS_TRIAGE, 90, drilled + 90 * DAY + DAY)
    assert isinstance(again, dg.RunRequest) and again.run_key != first.run_key


def test_a_drill_record_reads_back_as_the_result_it_records_and_reports_in_one_sentence(tmp_path):
    from dataclasses import asdict

    from lakegate.serving.drill import DrillResult, report

    result = DrillResult("claims-triage", "triage-1", 0.004, 0.0031, 0, 8.14, 12, {"200": 900, "no answer": 12})
    record = Ledger.for_home(tmp_path).append("drill", "lakegate/drill", {"endpoint": "claims-triage"}, inputs={},
                                              outcome={**asdict(result), "passed": result.passed})
    assert DrillResult.from_record(record) == result
    assert report(result, record.seq) == (
        "claims-triage: rollback to triage-1 in 4 ms, forward in 3 ms, 0 failed requests; recovery after losing the "
        "host in 8.1 s (12 requests failed while it was down); by status {'200': 900, 'no answer': 12}; "
        f"ledger record {record.seq}")


def test_lakegate_drill_refuses_an_unknown_endpoint_and_a_home_without_landed_traffic(tmp_path):
    from tests.cli import run_in_process

    env = {"LAKEGATE_HOME": str(tmp_path), "LAKEGATE_ENV": "local"}
    unknown = run_in_process(env, "drill", "nope")
    assert unknown.returncode == 2 and "known: claims-triage, machine-failure" in " ".join(unknown.stderr.split())
    bare = run_in_process(env, "drill", "claims-triage")
    assert bare.returncode == 2 and "no landed records" in bare.stderr
