"""Lakegate's Databricks EndpointManager (lakegate/serving/databricks_endpoints.py) against the emulator.

The product reaches the workspace only through databricks-sdk; the canary ramp and rollback are
ml_assets/deployment/rollout.py unchanged. The canary observes what Databricks captures: the
endpoint's payload table (`auto_capture_config`), read by lakegate/serving/payload_table.py; the
load these tests send keeps each answer too, to check that table against what callers saw.
"""

from __future__ import annotations

import json
import threading
import time

import pandas as pd
import pytest
from databricks.sdk.service.serving import (EndpointCoreConfigInput, EndpointStateConfigUpdate, EndpointStateReady,
                                            ServedEntityInput, ServingEndpointDetailed)
from mlflow.deployments import get_deploy_client

from gates.deployment_policy import DeploymentPolicy
from lakegate.environment import DatabricksServingConfig
from lakegate.lake import Lake
from lakegate.ledger import Ledger, SecretInRecordError
from lakegate.serving.databricks_endpoints import HISTORY_TAG, DatabricksEndpoints
from lakegate.serving.endpoints import EndpointError, EndpointNotFound, ServedEntity, single_version_config
from lakegate.serving.payload_table import payload_observer
from ml_assets.deployment.rollout import run_canary
from tests.cli import run_in_process
from tests.emulator.conftest import FEATURES, MODEL
from tests.emulator.endpoint_load import EndpointLoad

pytestmark = pytest.mark.integration
ENDPOINT = "dev-triage"
V1, V2 = ServedEntity.default_name(MODEL, "1"), ServedEntity.default_name(MODEL, "2")
RECORDS = FEATURES.to_dict("records")
# The canary ramp in seconds: few requests per step, latency limits loose enough for a loaded 2-core machine.
POLICY = DeploymentPolicy(version="2026-12-02.1", environment="databricks", poll_seconds=0.2, steps=[25, 50, 100],
                          health={"min_requests": 12, "max_wait_seconds": 60, "max_error_rate_increase": 0.0,
                                  "max_caller_error_rate_increase": 0.0, "max_p99_latency_ms": 5000,
                                  "max_p99_latency_ratio": 20, "max_score_psi": 0.2, "min_labelled": 1,
                                  "max_precision_drop": 0.1, "max_recall_drop": 0.1})


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    return tmp_path_factory.mktemp("lakegate-home")


@pytest.fixture(scope="module")
def manager(workspace, registered, home) -> DatabricksEndpoints:
    return DatabricksEndpoints(workspace, home, DatabricksServingConfig(update_timeout_seconds=120))


def test_create_canary_ramp_and_rollback_under_load_through_the_sdk(manager, workspace, emulator, home):
    created = manager.create(ENDPOINT, single_version_config(MODEL, "1"), actor="alice", reason="first deployment")
    assert created.config.traffic_config.shares() == {V1: 100} and created.stable_history == (V1,)
    detailed = workspace.serving_endpoints.get(ENDPOINT)
    assert ServingEndpointDetailed.from_dict(detailed.as_dict()) == detailed
    assert (detailed.state.ready, detailed.state.config_update) == (EndpointStateReady.READY,
                                                                    EndpointStateConfigUpdate.NOT_UPDATING)
    capture = detailed.config.auto_capture_config
    assert (capture.catalog_name, capture.schema_name, capture.table_name_prefix) == ("dev", "serving", "dev_triage")
    assert manager.inference_table(ENDPOINT, "dev") == "dev.serving.dev_triage_payload"

    new = ServedEntity(name=V2, entity_name=MODEL, entity_version="2")
    captured = payload_observer(Lake(emulator.root / "unity-catalog"), manager, ENDPOINT)
    with EndpointLoad(emulator, ENDPOINT, RECORDS) as load:
        result = run_canary(manager, ENDPOINT, new, POLICY, captured, actor="alice", reason="release v2")
        assert result.succeeded, result.reason
        assert [s.traffic for s in result.steps] == [25, 50, 100]
        assert all(s.health.healthy and s.health.canary.requests >= 12 for s in result.steps[:2])
        assert result.final_traffic == {V1: 0, V2: 100}
        assert {t.key: t.value for t in workspace.serving_endpoints.get(ENDPOINT).tags}[HISTORY_TAG] == f"{V1},{V2}"
        time.sleep(1)
        rolled = manager.rollback(ENDPOINT, actor="oncall", reason="drill: roll back under load")
        rolled_back_at = time.time()
        time.sleep(1)
    assert rolled.config.traffic_config.shares() == {V1: 100, V2: 0} and rolled.stable_history == (V1,)
    assert load.failed() == [] and len(load.rows) > 100
    time.sleep(1.5)  # the emulator appends captured requests every second, as Databricks does later
    table = captured(V2, V1, 0).to_pandas()  # every request of both entities, as Databricks captured it
    sent = pd.DataFrame(load.rows)
    assert table["served_entity"].value_counts().to_dict() == sent["served_entity"].value_counts().to_dict()
    assert set(table["status_code"]) == {200} and table["latency_ms"].notna().all()
    assert {tuple(json.loads(body)["predictions"]) for body in table["response"]} == {tuple(r["scores"]) for r in load.rows}
    after = {row["served_entity"] for row in load.rows if row["timestamp"] > rolled_back_at}
    assert after == {V1}
    records = Ledger.for_home(home).records()
    assert [(r.kind, r.subject["action"]) for r in records] == [
        ("deployment", "create"), ("deployment", "update_config"), ("traffic_change", "set_traffic"),
        ("traffic_change", "set_traffic"), ("traffic_change", "set_traffic"), ("rollback", "rollback")]
    assert records[-1].outcome["to"]["traffic"] == {V1: 100, V2: 0} and records[-1].actor == "oncall"


def test_invocations_through_the_sdk_and_mlflows_deployment_client(manager, workspace, emulator, registered, monkeypatch):
    expected = registered.predict(FEATURES).tolist()
    answer = workspace.serving_endpoints.query(ENDPOINT, dataframe_records=RECORDS)
    assert answer.predictions == expected and answer.served_model_name == V1
    monkeypatch.setenv("DATABRICKS_HOST", emulator.host)
    monkeypatch.setenv("DATABRICKS_TOKEN", emulator.token)
    deployments = get_deploy_client("databricks")
    assert deployments.predict(endpoint=ENDPOINT, inputs={"dataframe_split": FEATURES.to_dict("split")})["predictions"] == expected
    assert deployments.get_endpoint(ENDPOINT)["name"] == ENDPOINT


def test_a_second_concurrent_config_update_is_refused_and_recorded_as_not_applied(manager, workspace, home):
    first = threading.Thread(target=manager.set_traffic, args=(ENDPOINT, {V1: 50, V2: 50}),
                             kwargs={"actor": "alice", "reason": "half and half"})
    first.start()
    deadline = time.monotonic() + 30
    while workspace.serving_endpoints.get(ENDPOINT).state.config_update != EndpointStateConfigUpdate.IN_PROGRESS:
        assert time.monotonic() < deadline, "the first update never started"
        time.sleep(0.05)
    with pytest.raises(EndpointError, match="another config update is in progress"):
        manager.set_traffic(ENDPOINT, {V1: 100, V2: 0}, actor="bob", reason="all back")
    first.join(60)
    assert manager.get(ENDPOINT).config.traffic_config.shares() == {V1: 50, V2: 50}
    alice, bob, refused = Ledger.for_home(home).records()[-3:]
    assert (alice.actor, alice.outcome["to"]["traffic"]) == ("alice", {V1: 50, V2: 50})
    assert (bob.actor, refused.actor, refused.inputs["record"], refused.outcome["applied"]) == ("bob", "bob", bob.seq, False)


def test_a_version_that_does_not_load_fails_the_update_and_the_old_config_keeps_serving(manager, workspace):
    before = manager.get(ENDPOINT)
    broken = single_version_config(MODEL, "99")
    with pytest.raises(EndpointError, match="failed on Databricks"):
        manager.update_config(ENDPOINT, broken, actor="alice", reason="a version that is not registered")
    assert manager.get(ENDPOINT).config == before.config
    assert workspace.serving_endpoints.get(ENDPOINT).state.config_update == EndpointStateConfigUpdate.UPDATE_FAILED
    assert workspace.serving_endpoints.query(ENDPOINT, dataframe_records=RECORDS).served_model_name in {V1, V2}


def test_the_endpoint_commands_reach_the_workspace_in_the_databricks_environment(manager, emulator, home):
    env = {"LAKEGATE_ENV": "databricks", "LAKEGATE_HOME": str(home), "DATABRICKS_HOST": emulator.host,
           "DATABRICKS_TOKEN": emulator.token, "MLFLOW_TRACKING_URI": None, "MLFLOW_REGISTRY_URI": None}
    done = run_in_process(env, "endpoint", "set-traffic", ENDPOINT, f"{V1}=100", f"{V2}=0", "--reason", "all on v1")
    assert done.returncode == 0, done.stderr
    assert manager.get(ENDPOINT).config.traffic_config.shares() == {V1: 100, V2: 0}
    status = run_in_process(env, "endpoint", "status", ENDPOINT, "--json")
    doc = json.loads(status.stdout)
    assert doc["state"] == {"ready": "READY", "config_update": "NOT_UPDATING"}
    assert doc["databricks"]["inference_table"] == "dev.serving.dev_triage_payload"
    # the tag kept the history: the rollback took v2 out of it, so there is nothing further back
    assert doc["lakegate"]["stable_history"] == [V1] and doc["lakegate"]["rollback_target"] is None
    shown = run_in_process(env, "endpoint", "status", ENDPOINT)
    assert "inference table dev.serving.dev_triage_payload" in " ".join(shown.stdout.split())
    assert emulator.token not in done.stdout + done.stderr + status.stdout + status.stderr + shown.stdout
    assert Ledger.for_home(home).records()[-1].reason == "all on v1"


def test_a_slow_update_and_a_refused_token_are_endpoint_errors_that_carry_no_secret(manager, workspace, emulator, home):
    impatient = DatabricksEndpoints(workspace, home, DatabricksServingConfig(update_timeout_seconds=0.01))
    with pytest.raises(EndpointError, match="did not finish within 0.01 s"):
        impatient.set_traffic(ENDPOINT, {V1: 90, V2: 10}, actor="alice", reason="a quick nudge")
    assert Ledger.for_home(home).records()[-1].outcome["applied"] is None  # it may still apply, and here it does
    workspace.serving_endpoints.wait_get_serving_endpoint_not_updating(ENDPOINT)
    assert manager.get(ENDPOINT).config.traffic_config.shares() == {V1: 90, V2: 10}
    stranger = DatabricksEndpoints(emulator.client(token="not-the-token"), home)
    with pytest.raises(EndpointError, match="UNAUTHENTICATED") as refused:
        stranger.get(ENDPOINT)
    assert "not-the-token" not in str(refused.value) and emulator.token not in str(refused.value)


def test_a_change_whose_reason_holds_the_token_is_refused_before_the_workspace_is_asked(manager, emulator,
                                                                                        monkeypatch, home):
    monkeypatch.setenv("DATABRICKS_TOKEN", emulator.token)
    before, records = manager.get(ENDPOINT), len(Ledger.for_home(home).records())
    with pytest.raises(SecretInRecordError):
        manager.set_traffic(ENDPOINT, {V1: 100, V2: 0}, actor="alice", reason=f"token is {emulator.token}")
    assert manager.get(ENDPOINT) == before and len(Ledger.for_home(home).records()) == records


def test_listing_skips_endpoints_without_lakegate_models_and_a_missing_endpoint_is_not_found(manager, workspace):
    workspace.serving_endpoints.create(name="no-config-yet")
    workspace.serving_endpoints.create_and_wait(name="Someone-Elses", config=EndpointCoreConfigInput(served_entities=[
        ServedEntityInput(name="theirs", entity_name=MODEL, entity_version="1")]))  # a name Lakegate does not give
    assert ENDPOINT in [e.name for e in manager.list()]
    assert not {"no-config-yet", "Someone-Elses"} & {e.name for e in manager.list()}
    with pytest.raises(EndpointError, match="not an endpoint Lakegate manages"):
        manager.get("Someone-Elses")
    with pytest.raises(EndpointNotFound):
        manager.get("no-such-endpoint")
    manager.delete(ENDPOINT, actor="alice", reason="done")
    with pytest.raises(EndpointNotFound):
        manager.get(ENDPOINT)
