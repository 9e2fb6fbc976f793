"""MLflow behind the emulator and serving endpoints answered by the real registered models.

MLflow's own client logs and registers models through the emulator's `/api/2.0/mlflow` proxy;
databricks-sdk then sets a Unity Catalog alias, and creates, updates, queries and deletes
serving endpoints whose predictions come from those model versions.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta

import mlflow
import pytest
from databricks.sdk.errors import InvalidParameterValue, NotFound, ResourceAlreadyExists, ResourceConflict
from databricks.sdk.service.catalog import RegisteredModelAlias
from databricks.sdk.service.ml import GetExperimentByNameResponse, ModelVersion
from databricks.sdk.service.serving import (DataframeSplitInput, EndpointCoreConfigInput, EndpointStateConfigUpdate, EndpointStateReady,
                                            EndpointTag, EndpointTags,
                                            Route, ServedEntityInput, ServingEndpointDetailed, TrafficConfig)

from tests.emulator.conftest import EXPERIMENT, FEATURES, MODEL

pytestmark = pytest.mark.integration


def test_mlflow_rest_is_served_by_a_real_mlflow_server_and_reads_back_through_the_sdk(workspace, registered):
    experiment = workspace.experiments.get_by_name(EXPERIMENT)
    assert GetExperimentByNameResponse.from_dict(experiment.as_dict()) == experiment
    assert experiment.experiment.name == EXPERIMENT
    versions = sorted(workspace.model_registry.search_model_versions(filter=f"name='{MODEL}'"), key=lambda v: v.version)
    assert [v.version for v in versions] == ["1", "2"] and all(ModelVersion.from_dict(v.as_dict()) == v for v in versions)


def test_a_unity_catalog_alias_is_set_and_deleted_on_the_registered_model(workspace, registered, mlflow_client):
    alias = workspace.registered_models.set_alias(MODEL, "champion", 1)
    assert RegisteredModelAlias.from_dict(alias.as_dict()) == alias and alias.version_num == 1
    assert mlflow_client.get_model_version_by_alias(MODEL, "champion").version == "1"
    workspace.registered_models.delete_alias(MODEL, "champion")
    with pytest.raises(mlflow.exceptions.MlflowException):
        mlflow_client.get_model_version_by_alias(MODEL, "champion")


def entity(version: str) -> ServedEntityInput:
    return ServedEntityInput(name=f"triage-{version}", entity_name=MODEL, entity_version=version,
                             workload_size="Small", scale_to_zero_enabled=True)


def test_an_endpoint_serves_the_registered_model_and_a_concurrent_update_is_refused(workspace, registered):
    created = workspace.serving_endpoints.create_and_wait(
        name="claims-triage", config=EndpointCoreConfigInput(served_entities=[entity("1")]),
        timeout=timedelta(minutes=2))
    assert created.state.ready == EndpointStateReady.READY
    assert created.state.config_update == EndpointStateConfigUpdate.NOT_UPDATING
    assert ServingEndpointDetailed.from_dict(created.as_dict()) == created
    answer = workspace.serving_endpoints.query("claims-triage", dataframe_records=FEATURES.to_dict("records"))
    assert answer.predictions == registered.predict(FEATURES).tolist() and answer.served_model_name == "triage-1"

    canary = TrafficConfig(routes=[Route(served_model_name="triage-1", traffic_percentage=50),
                                   Route(served_model_name="triage-2", traffic_percentage=50)])
    updating = workspace.serving_endpoints.update_config("claims-triage", served_entities=[entity("1"), entity("2")],
                                                         traffic_config=canary)
    with pytest.raises(ResourceConflict, match="currently updating"):
        workspace.serving_endpoints.update_config("claims-triage", served_entities=[entity("2")])
    during = workspace.serving_endpoints.get("claims-triage")
    assert during.state.config_update == EndpointStateConfigUpdate.IN_PROGRESS
    assert during.state.ready == EndpointStateReady.READY  # the old config serves while the new one loads
    assert during.pending_config.config_version == 2
    updated = updating.result(timeout=timedelta(minutes=2))
    assert [e.name for e in updated.config.served_entities] == ["triage-1", "triage-2"]
    served = Counter(workspace.serving_endpoints.query("claims-triage", dataframe_split=DataframeSplitInput.from_dict(FEATURES.to_dict("split")))
                     .served_model_name for _ in range(40))
    assert set(served) == {"triage-1", "triage-2"}


def test_endpoint_tags_are_added_overwritten_and_deleted_by_patch(workspace, registered):
    added = workspace.serving_endpoints.patch("claims-triage", add_tags=[EndpointTag(key="team", value="claims"),
                                                                         EndpointTag(key="tier", value="1")])
    assert EndpointTags.from_dict(added.as_dict()) == added
    changed = workspace.serving_endpoints.patch("claims-triage", add_tags=[EndpointTag(key="tier", value="2")],
                                                delete_tags=["team"])
    assert [(t.key, t.value) for t in changed.tags] == [("tier", "2")]
    assert [(t.key, t.value) for t in workspace.serving_endpoints.get("claims-triage").tags] == [("tier", "2")]
    with pytest.raises(NotFound):
        workspace.serving_endpoints.patch("no-such-endpoint", delete_tags=["tier"])


def test_endpoint_listing_refusals_and_deletion_use_databricks_errors(workspace, registered):
    with pytest.raises(ResourceAlreadyExists):
        workspace.serving_endpoints.create(name="claims-triage")
    with pytest.raises(InvalidParameterValue, match="add up to 100"):
        workspace.serving_endpoints.update_config("claims-triage", served_entities=[entity("1")], traffic_config=(
            TrafficConfig(routes=[Route(served_model_name="triage-1", traffic_percentage=90)])))
    workspace.serving_endpoints.create(name="scratch")
    with pytest.raises(InvalidParameterValue, match="not ready"):
        workspace.serving_endpoints.query("scratch", dataframe_records=FEATURES.to_dict("records"))
    assert {"claims-triage", "scratch"} <= {e.name for e in workspace.serving_endpoints.list()}
    workspace.serving_endpoints.delete("scratch")
    with pytest.raises(NotFound):
        workspace.serving_endpoints.get("scratch")


def wait_while_updating(workspace, name: str, seconds: float = 60) -> ServingEndpointDetailed:
    deadline = time.monotonic() + seconds
    while (endpoint := workspace.serving_endpoints.get(name)).state.config_update == EndpointStateConfigUpdate.IN_PROGRESS:
        assert time.monotonic() < deadline, f"{name} still updating after {seconds} s"
        time.sleep(0.2)
    return endpoint


def test_an_update_whose_model_does_not_load_fails_and_the_old_config_keeps_serving(workspace, registered):
    workspace.serving_endpoints.update_config("claims-triage", served_entities=[entity("99")])
    failed = wait_while_updating(workspace, "claims-triage")
    assert failed.state.config_update == EndpointStateConfigUpdate.UPDATE_FAILED
    assert failed.state.ready == EndpointStateReady.READY and failed.config.config_version == 2
    answer = workspace.serving_endpoints.query("claims-triage", dataframe_records=FEATURES.to_dict("records"))
    assert answer.served_model_name in {"triage-1", "triage-2"}
