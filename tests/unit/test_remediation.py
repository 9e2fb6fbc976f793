"""Remediation carried out on a real local control plane and audit ledger: the rollback goes through
the endpoint manager, and every action is a ledger record naming its verdict, written first."""

import datetime as dt

from gates.monitoring import QUALITY, MonitorVerdict
from gates.monitoring_policy import load_monitoring_policy
from gates.policy import policies_dir
from gates.monitoring_records import VERDICT_KIND, record_verdicts
from gates.remediation import ALERT_ONLY, RETRAIN, ROLLBACK, verdict_id
from lakegate.alerts import list_alerts
from lakegate.ledger import Ledger
from lakegate.serving.control import LocalEndpoints
from lakegate.serving.endpoints import single_version_config
from ml_assets.monitoring.remediation import remediate

MODEL = "dev.claims.triage_model"  # an ungated catalog: these tests are about the mechanics
ENDPOINT = "claims-triage"
POLICY = load_monitoring_policy("local", policies_dir("claims_triage"))
NOW = dt.datetime(2026, 12, 2, 12, tzinfo=dt.timezone.utc)
WINDOW = ("2026-12-02T10:00:00+00:00", "2026-12-02T11:00:00+00:00")


def rolled_out(tmp_path) -> tuple[LocalEndpoints, Ledger]:
    """v1 deployed, then v2 rolled out to 100 % with v1 kept at 0 % as the rollback target."""
    ledger = Ledger(tmp_path / "audit" / "ledger.jsonl")
    endpoints = LocalEndpoints(tmp_path, ledger=ledger)
    endpoints.create(ENDPOINT, single_version_config(MODEL, "1"), actor="rel", reason="v1")
    two = single_version_config(MODEL, "2").served_entities[0]
    config = endpoints.get(ENDPOINT).config
    endpoints.update_config(ENDPOINT, config.model_copy(update={
        "served_entities": (*config.served_entities, two),
        "traffic_config": config.traffic_config.model_copy(update={"routes": (
            *config.traffic_config.routes, config.traffic_config.routes[0].model_copy(
                update={"served_entity_name": two.name, "traffic_percentage": 0}))}),
    }), actor="rel", reason="canary")
    endpoints.set_traffic(ENDPOINT, {"triage_model-1": 0, "triage_model-2": 100}, actor="rel", reason="v2 at 100")
    return endpoints, ledger


def quality_error(version="2") -> MonitorVerdict:
    return MonitorVerdict(QUALITY, "error", "recall 0.210 < 0.5", version, WINDOW, {"recall": 0.21})


def test_an_error_on_the_champion_rolls_back_records_the_verdict_first_and_alerts(tmp_path):
    endpoints, ledger = rolled_out(tmp_path)
    done = remediate([quality_error()], ENDPOINT, MODEL, "2", endpoints, ledger, POLICY, tmp_path, NOW)
    assert [p.kind for p in done.planned] == [ROLLBACK, RETRAIN]
    assert endpoints.get(ENDPOINT).config.full_share_entity() == "triage_model-1"
    kinds = [r.kind for r in ledger.records()]
    assert kinds[-3:] == ["monitor_action", "rollback", "monitor_action"]  # the action's record precedes the change
    action = ledger.records(kind="monitor_action")[0]
    assert action.inputs["verdict_id"] == verdict_id(quality_error()) and action.inputs["verdict"]["figures"] == {"recall": 0.21}
    assert f"ledger record {action.seq}" in ledger.records(kind="rollback")[-1].reason
    assert "rollback" in list_alerts(tmp_path)[-1]["title"]
    assert ledger.verify().ok


def test_the_same_verdict_is_not_acted_on_twice(tmp_path):
    endpoints, ledger = rolled_out(tmp_path)
    remediate([quality_error()], ENDPOINT, MODEL, "2", endpoints, ledger, POLICY, tmp_path, NOW)
    again = remediate([quality_error()], ENDPOINT, MODEL, "1", endpoints, ledger, POLICY, tmp_path, NOW)
    assert again.planned == [] and endpoints.get(ENDPOINT).config.full_share_entity() == "triage_model-1"


def test_no_rollback_to_a_version_that_was_itself_unhealthy(tmp_path):
    endpoints, ledger = rolled_out(tmp_path)
    record_verdicts(ledger, ENDPOINT, MODEL, [quality_error(version="1")])
    done = remediate([quality_error()], ENDPOINT, MODEL, "2", endpoints, ledger, POLICY, tmp_path, NOW)
    assert done.planned[0].kind == ALERT_ONLY and "not healthy" in done.planned[0].reason
    assert endpoints.get(ENDPOINT).config.full_share_entity() == "triage_model-2"
    assert list_alerts(tmp_path)[-1]["severity"] == "ERROR"


def test_a_verdict_on_a_version_that_is_not_the_served_champion_changes_nothing(tmp_path):
    endpoints, ledger = rolled_out(tmp_path)
    assert remediate([quality_error()], ENDPOINT, MODEL, "3", endpoints, ledger, POLICY, tmp_path, NOW).planned == []
    assert remediate([quality_error()], "machine-failure", MODEL, "2", endpoints, ledger, POLICY, tmp_path, NOW).planned == []


def test_verdicts_are_recorded_on_transitions_only(tmp_path):
    ledger = Ledger(tmp_path / "ledger.jsonl")
    passing = MonitorVerdict(QUALITY, "pass", "ok", "2", WINDOW)
    assert record_verdicts(ledger, ENDPOINT, MODEL, [passing]) == 0  # a version starts out passing
    assert record_verdicts(ledger, ENDPOINT, MODEL, [quality_error()]) == 1
    assert record_verdicts(ledger, ENDPOINT, MODEL, [quality_error()]) == 0
    assert record_verdicts(ledger, ENDPOINT, MODEL, [MonitorVerdict(QUALITY, "none", "few labels", "2", WINDOW)]) == 0
    assert record_verdicts(ledger, ENDPOINT, MODEL, [passing]) == 1  # resolved
    assert [r.outcome["outcome"] for r in ledger.records(kind=VERDICT_KIND)] == ["error", "pass"]
