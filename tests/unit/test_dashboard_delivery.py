"""The Delivery and Alerts-and-actions figures, from ledger records alone."""

import datetime as dt

from lakegate.dashboard import delivery, timeline
from lakegate.ledger import Record

PROD = "prod.claims.triage_model"


def record(seq, time, kind, subject, inputs=None, outcome=None, reason=None, actor="someone"):
    return Record(seq, time, kind, actor, subject, inputs or {}, outcome or {}, reason, "", "")


RECORDS = [
    record(1, "2026-12-01T08:00:00Z", "training", {"artifact_sha256": "a1", "model": "dev.claims.triage_model"}),
    record(2, "2026-12-01T09:00:00Z", "promotion", {"artifact_sha256": "a1", "model": PROD, "version": "1"}),
    record(3, "2026-12-01T10:30:00Z", "alias_move", {"model": PROD}, {"alias": "champion", "to_version": "1"}),
    record(4, "2026-12-01T11:00:00Z", "deployment", {"endpoint": "claims-triage", "action": "create"}),
    record(5, "2026-12-02T06:00:00Z", "monitor_action", {"endpoint": "claims-triage", "action": "rollback"},
           {"verdict_id": "monitor_drift:v2:w", "verdict": {"family": "monitor_drift", "outcome": "error",
                                                            "model_version": "2", "reason": "14 of 22 drifted"}}),
    record(6, "2026-12-02T06:00:02.500000Z", "rollback", {"endpoint": "claims-triage", "action": "rollback"},
           outcome={"to": {"served_entities": {"m-1": f"{PROD}/1"}}}, reason="monitor verdict (ledger record 5)"),
    record(7, "2026-12-02T07:00:00Z", "rollback", {"endpoint": "claims-triage", "action": "rollback"}, reason="by hand"),
    record(8, "2026-12-02T08:00:00Z", "drill", {"endpoint": "claims-triage"},
           outcome={"passed": True, "rollback_seconds": 0.02, "recovery_seconds": 9.5, "rollback_failed_requests": 0}),
]


def test_cycle_time_runs_from_the_artifacts_registration_to_its_champion_alias():
    [cycle] = delivery.cycle_times(RECORDS, PROD)
    assert cycle["version"] == "1" and cycle["hours"] == 2.5


def test_a_rollback_the_monitor_asked_for_carries_its_recovery_time_and_cause():
    by_monitor, by_hand = delivery.rollbacks(RECORDS, "claims-triage")
    assert by_monitor["recovery_seconds"] == 2.5 and by_monitor["verdict"] == "monitor_drift:v2:w"
    assert by_hand["recovery_seconds"] is None and by_hand["verdict"] is None


def test_deployments_and_the_last_drill_are_counted_per_endpoint():
    now = dt.datetime(2026, 12, 2, 9, tzinfo=dt.timezone.utc)
    assert delivery.deployments(RECORDS, "claims-triage", now)["total"] == 1
    assert delivery.deployments(RECORDS, "machine-failure", now)["total"] == 0
    assert delivery.last_drill(RECORDS, "claims-triage")["recovery_seconds"] == 9.5
    assert delivery.last_drill(RECORDS, "machine-failure") is None


def test_each_action_on_the_timeline_names_the_verdict_that_caused_it():
    actions = timeline.actions(RECORDS, "claims-triage")
    assert [a["event"] for a in actions] == ["rollback", "rollback", "rollback"]
    assert actions[0]["verdict"] == "monitor_drift error on v2" and actions[0]["reason"] == "14 of 22 drifted"
    events = timeline.events([], actions)
    assert [e["lane"] for e in events] == ["rollback"] * 3 and events[0]["time"].endswith("+00:00")
