"""The control plane behind the deployment gate: in a gated catalog nothing serves that the guard
refuses, the ledger record comes before the change, and a break-glass is recorded and alerted."""

from __future__ import annotations

import threading

import pytest

from lakegate.alerts import list_alerts
from lakegate.ledger import Ledger, SecretInRecordError
from lakegate.serving.control import Authorization, DeploymentRefused, LocalEndpoints
from lakegate.serving.endpoints import EndpointError, parse_config, single_version_config

PROD = "prod.claims.triage_model"


class Guard:
    """Stands in for gates.deployment_gate.DeploymentGate: approves the versions it is told to."""

    def __init__(self, approved=(), glass=()):
        self.approved, self.glass, self.asked = set(approved), set(glass), []

    def authorize(self, endpoint, model, version, emergency_only=False):
        self.asked.append((endpoint, model, version, emergency_only))
        if (model, version) in self.approved and not emergency_only:
            return Authorization(True, "approved", evidence={"gate": "deployment_approvals"})
        if (model, version) in self.glass:
            return Authorization(True, "break-glass by oc.incident", break_glass=True, evidence={"gate": "break_glass"})
        return Authorization(False, "no deployment approval by release_manager")


def two(model_a, a, model_b, b, share_b):
    return parse_config({"served_entities": [{"name": "m-a", "entity_name": model_a, "entity_version": a},
                                             {"name": "m-b", "entity_name": model_b, "entity_version": b}],
                         "traffic_config": {"routes": [{"served_entity_name": "m-a", "traffic_percentage": 100 - share_b},
                                                       {"served_entity_name": "m-b", "traffic_percentage": share_b}]}})


@pytest.fixture
def ledger(tmp_path):
    return Ledger(tmp_path / "audit" / "ledger.jsonl")


def plane(tmp_path, ledger, guard=None):
    return LocalEndpoints(tmp_path, ledger=ledger, guard=guard)


def test_without_a_guard_a_prod_endpoint_cannot_be_created(tmp_path, ledger):
    with pytest.raises(DeploymentRefused, match="has no deployment gate to ask, so nothing is changed"):
        plane(tmp_path, ledger).create("e", single_version_config(PROD, "1"), actor="a", reason="r")
    assert plane(tmp_path, ledger).list() == [] and not ledger.path.exists()


def test_a_version_the_gate_refuses_never_takes_traffic(tmp_path, ledger):
    guard = Guard(approved={(PROD, "1")})
    eps = plane(tmp_path, ledger, guard)
    eps.create("e", single_version_config(PROD, "1"), actor="rel", reason="first")
    before = eps.get("e")
    for change in (lambda: eps.update_config("e", two(PROD, "1", PROD, "2", 100), actor="x", reason="all to v2"),
                   lambda: eps.update_config("e", two(PROD, "1", PROD, "2", 10), actor="x", reason="canary v2")):
        with pytest.raises(DeploymentRefused, match="m-b \\(prod.claims.triage_model v2\\) may not serve prod traffic"):
            change()
    assert eps.get("e") == before and [r.kind for r in ledger.records()] == ["deployment"]
    # At 0 % the new version is only loaded, not serving: that is allowed, and the gate is asked again to ramp.
    eps.update_config("e", two(PROD, "1", PROD, "2", 0), actor="x", reason="add v2 at 0")
    with pytest.raises(DeploymentRefused):
        eps.set_traffic("e", {"m-a": 90, "m-b": 10}, actor="x", reason="ramp")
    assert (("e", PROD, "2", False) in guard.asked) and eps.get("e").config.traffic_config.shares() == {"m-a": 100, "m-b": 0}


def test_an_endpoint_serves_one_catalog_and_keeps_it(tmp_path, ledger):
    eps = plane(tmp_path, ledger, Guard(approved={(PROD, "1")}))
    eps.create("e", single_version_config(PROD, "1"), actor="a", reason="r")
    with pytest.raises(EndpointError, match="span the catalogs"):
        eps.update_config("e", two(PROD, "1", "dev.claims.triage_model", "7", 0), actor="a", reason="r")
    with pytest.raises(EndpointError, match="an endpoint keeps its catalog"):
        eps.update_config("e", single_version_config("dev.claims.triage_model", "7"), actor="a", reason="r")
    # Removing a production endpoint (to recreate it with a dev model, say) is an emergency act.
    with pytest.raises(DeploymentRefused, match="may not serve prod traffic"):
        eps.delete("e", actor="a", reason="r")
    assert eps.get("e").config.served_entities[0].entity_name == PROD


def test_dev_endpoints_need_no_gate(tmp_path, ledger):
    eps = plane(tmp_path, ledger)
    eps.create("e", single_version_config("dev.claims.triage_model", "7"), actor="a", reason="try it")
    assert eps.get("e").config.full_share_entity() == "triage_model-7"


def test_a_failed_ledger_write_leaves_no_change(tmp_path, ledger, monkeypatch):
    eps = plane(tmp_path, ledger, Guard(approved={(PROD, "1"), (PROD, "2")}))
    eps.create("e", single_version_config(PROD, "1"), actor="a", reason="r")
    eps.update_config("e", two(PROD, "1", PROD, "2", 0), actor="a", reason="add v2")
    before, records = eps.get("e"), len(ledger.records())
    monkeypatch.setenv("LAKEGATE_SERVING_ADMIN_TOKEN", "the-admin-token-value-1234")
    with pytest.raises(SecretInRecordError):
        eps.set_traffic("e", {"m-a": 0, "m-b": 100}, actor="a", reason="pasted the-admin-token-value-1234 here")
    ledger.head_path.unlink()  # a broken ledger: appends refuse, so changes do too
    with pytest.raises(ValueError, match="head.json is missing"):
        eps.set_traffic("e", {"m-a": 0, "m-b": 100}, actor="a", reason="r")
    assert eps.get("e") == before and len(ledger.records()) == records


def test_concurrent_changes_are_recorded_in_the_order_they_were_applied(tmp_path, ledger):
    eps = plane(tmp_path, ledger)
    eps.create("e", two("dev.claims.triage_model", "1", "dev.claims.triage_model", "2", 0), actor="a", reason="r")
    errors = []

    def work(i):
        try:
            for j in range(10):
                LocalEndpoints(tmp_path, ledger=Ledger(ledger.path)).set_traffic(
                    "e", {"m-a": 100 - (i * 10 + j), "m-b": i * 10 + j}, actor=f"t{i}", reason=f"{i}.{j}")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    records = ledger.records("traffic_change")
    generations = [r.outcome["generation"] for r in records]
    assert generations == sorted(generations) == list(range(2, 42))
    # Each record's "from" is exactly the state the previous record left.
    assert all(b.inputs["from"]["traffic"] == a.outcome["to"]["traffic"] for a, b in zip(records, records[1:]))
    assert eps.get("e").config.traffic_config.shares() == records[-1].outcome["to"]["traffic"]


def test_a_break_glass_serves_past_the_gate_and_is_recorded_and_alerted(tmp_path, ledger):
    eps = plane(tmp_path, ledger, Guard(approved={(PROD, "1")}, glass={(PROD, "9")}))
    eps.create("e", single_version_config(PROD, "1"), actor="a", reason="r")
    eps.update_config("e", two(PROD, "1", PROD, "9", 100), actor="oc.incident", reason="hotfix INC-42")
    kinds = [r.kind for r in ledger.records()]
    assert kinds == ["deployment", "break_glass", "deployment"]
    glass = ledger.records("break_glass")[0]
    assert glass.subject == {"endpoint": "e", "served_entity": "m-b"} and glass.actor == "oc.incident"
    alerts = list_alerts(tmp_path)
    assert len(alerts) == 1 and alerts[0]["severity"] == "ERROR" and "break-glass on e" == alerts[0]["title"]
    assert f"ledger record {glass.seq}" == alerts[0]["source"]
