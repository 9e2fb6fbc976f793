"""Endpoint documents (Databricks shapes), the local control plane and its audit records."""

import pytest

from lakegate.ledger import Ledger
from lakegate.serving.control import LocalEndpoints
from lakegate.serving.endpoints import (
    EndpointConfig,
    EndpointError,
    EndpointNotFound,
    ServedEntity,
    parse_config,
    single_version_config,
)
from lakegate.serving.routing import EndpointRoutes

MODEL = "dev.claims.triage_model"  # an ungated catalog: these tests are about the mechanics


def two_versions(old_share: int, new_share: int) -> EndpointConfig:
    return parse_config({
        "served_entities": [
            {"name": "triage_model-1", "entity_name": MODEL, "entity_version": "1"},
            {"name": "triage_model-2", "entity_name": MODEL, "entity_version": "2"},
        ],
        "traffic_config": {"routes": [
            {"served_model_name": "triage_model-1", "traffic_percentage": old_share},  # Databricks' older key
            {"served_entity_name": "triage_model-2", "traffic_percentage": str(new_share)},  # and a string number
        ]},
    })


@pytest.fixture
def endpoints(tmp_path):
    return LocalEndpoints(tmp_path)


def test_databricks_config_document_is_accepted_and_validated():
    config = two_versions(90, 10)
    assert config.traffic_config.shares() == {"triage_model-1": 90, "triage_model-2": 10}
    with pytest.raises(EndpointError, match="sum to 100, got 95"):
        two_versions(90, 5)
    with pytest.raises(EndpointError, match="unknown served entities"):
        parse_config({"served_entities": [{"name": "a", "entity_name": MODEL, "entity_version": "1"}],
                      "traffic_config": {"routes": [{"served_entity_name": "b", "traffic_percentage": 100}]}})
    with pytest.raises(EndpointError, match="catalog.schema.model"):
        single_version_config("triage_model", "1")
    with pytest.raises(EndpointError, match="less than or equal to 100"):
        two_versions(150, -50)


def test_endpoint_names_must_be_usable_as_table_names(endpoints):
    with pytest.raises(EndpointError, match="lowercase"):
        endpoints.create("Claims Triage", single_version_config(MODEL, "1"), actor="ana", reason="r")


def test_every_change_is_a_ledger_record_with_actor_from_to_and_reason(endpoints, tmp_path):
    endpoints.create("claims-triage", single_version_config(MODEL, "1"), actor="rel.manager", reason="first deployment")
    endpoints.update_config("claims-triage", two_versions(90, 10), actor="lakegate/deployment", reason="canary v2")
    endpoints.set_traffic("claims-triage", {"triage_model-1": 75, "triage_model-2": 25}, actor="lakegate/deployment",
                          reason="canary healthy")
    endpoints.rollback("claims-triage", actor="mo.risk", reason="precision dropped")

    records = Ledger(tmp_path / "audit" / "ledger.jsonl").records()
    assert [r.kind for r in records] == ["deployment", "deployment", "traffic_change", "rollback"]
    rollback = records[-1]
    assert rollback.actor == "mo.risk" and rollback.reason == "precision dropped"
    assert rollback.inputs["from"]["traffic"] == {"triage_model-1": 75, "triage_model-2": 25}
    assert rollback.outcome["to"]["traffic"] == {"triage_model-1": 100, "triage_model-2": 0}
    assert Ledger(tmp_path / "audit" / "ledger.jsonl").verify().ok


def test_rollback_returns_to_the_version_that_held_all_traffic_before(endpoints):
    endpoints.create("e", single_version_config(MODEL, "1"), actor="a", reason="r")
    with pytest.raises(EndpointError, match="nothing to roll back to"):
        endpoints.rollback("e", actor="a", reason="r")
    endpoints.update_config("e", two_versions(90, 10), actor="a", reason="canary")
    assert endpoints.get("e").rollback_target() == "triage_model-1"
    endpoints.set_traffic("e", {"triage_model-1": 0, "triage_model-2": 100}, actor="a", reason="ramp done")
    # After a full ramp the previous version is still the target: one command undoes the rollout.
    assert endpoints.get("e").rollback_target() == "triage_model-1"
    after = endpoints.rollback("e", actor="a", reason="incident")
    assert after.config.traffic_config.shares() == {"triage_model-1": 100, "triage_model-2": 0}
    # The rolled-back version is not a target for a second rollback.
    with pytest.raises(EndpointError, match="nothing to roll back to"):
        endpoints.rollback("e", actor="a", reason="again")


def test_generation_increases_and_errors_leave_state_unchanged(endpoints):
    first = endpoints.create("e", single_version_config(MODEL, "1"), actor="a", reason="r")
    with pytest.raises(EndpointError, match="sum to 100"):
        endpoints.set_traffic("e", {"triage_model-1": 50}, actor="a", reason="r")
    with pytest.raises(EndpointError, match="no served entity"):
        endpoints.set_traffic("e", {"nope": 100}, actor="a", reason="r")
    with pytest.raises(EndpointNotFound):
        endpoints.rollback("missing", actor="a", reason="r")
    assert endpoints.get("e") == first
    second = endpoints.update_config("e", two_versions(90, 10), actor="a", reason="r")
    assert second.generation > first.generation


def test_traffic_split_draws_follow_the_shares():
    class Model:
        def __init__(self, name):
            self.entity = ServedEntity(name=name, entity_name=MODEL, entity_version=name[-1])

    routes = EndpointRoutes("e", 1, (Model("m-1"), Model("m-2")), (90.0, 100.0))
    assert routes.pick(0.0).entity.name == "m-1"
    assert routes.pick(89.999).entity.name == "m-1"
    assert routes.pick(90.0).entity.name == "m-2"
    assert routes.shares() == {"m-1": 90, "m-2": 10}


@pytest.mark.parametrize(
    "args,message",
    [
        (("endpoint", "set-traffic", "claims-triage", "triage_model-1:90", "--reason", "r"), "SERVED_ENTITY=PERCENT"),
        (("endpoint", "rollback", "claims-triage", "--reason", "r"), "no serving endpoint 'claims-triage'"),
        (("endpoint", "status", "claims-triage"), "no serving endpoint 'claims-triage'"),
        (("endpoint", "rollback", "claims-triage"), "Missing option '--reason'"),
    ],
)
def test_endpoint_commands_refuse_bad_input_with_a_clear_message(home, capsys, monkeypatch, args, message):
    from tests.cli import invoke_cli

    code, out, err = invoke_cli(capsys, monkeypatch, *args)
    assert code == 2 and message in err + out and "Traceback" not in err


def test_serve_refuses_to_start_without_tokens_where_they_are_not_generated(home, capsys, monkeypatch):
    from lakegate.environment import current_environment
    from tests.cli import invoke_cli

    monkeypatch.setenv("LAKEGATE_ENV", "dev")
    monkeypatch.delenv("LAKEGATE_SERVING_INVOKE_TOKEN", raising=False)
    current_environment.cache_clear()  # the process resolves its environment once
    try:
        code, _, err = invoke_cli(capsys, monkeypatch, "serve")
    finally:
        current_environment.cache_clear()
    assert code == 2 and "LAKEGATE_SERVING_INVOKE_TOKEN is not set" in err
