"""The pipeline's endpoints in the `databricks` environment are the workspace's Model Serving: what the
deployment asset's canary, the monitor and automatic remediation get (ml_assets/deployment/endpoints.py)
and what `lakegate endpoint` changes (lakegate/cli/endpoint_manager.py) are DatabricksEndpoints behind
the deployment gate, and the canary ramp and rollback run through them against the emulator."""

from __future__ import annotations

import pytest

from gates.deployment_gate import DeploymentGate
from lakegate.cli.endpoint_manager import endpoint_manager
from lakegate.lake import Lake
from lakegate.ledger import Ledger
from lakegate.platform import Platform
from lakegate.registry import Registry
from lakegate.serving.databricks_endpoints import DatabricksEndpoints
from lakegate.serving.endpoints import EndpointNotFound, ServedEntity
from lakegate.serving.environment_endpoints import canary_observer
from ml_assets.deployment.endpoints import gated_endpoints, read_endpoints
from ml_assets.deployment.rollout import run_canary
from tests.emulator.conftest import MODEL
from tests.emulator.endpoint_load import EndpointLoad
from tests.emulator.test_databricks_serving import POLICY, RECORDS, V1, V2

pytestmark = pytest.mark.integration
ENV = "databricks"
ENDPOINT = "dev-triage-pipeline"  # its own: the serving module's endpoint shares this workspace


def test_the_canary_and_rollback_of_the_pipeline_run_on_model_serving(workspace, emulator, registered, tmp_path,
                                                                         monkeypatch):
    for name, value in {"DATABRICKS_HOST": emulator.host, "DATABRICKS_TOKEN": emulator.token,
                        "LAKEGATE_HOME": str(tmp_path)}.items():
        monkeypatch.setenv(name, value)
    platform = Platform(environment=ENV)
    registry = Registry.from_env(home=tmp_path, environment=platform.env())
    endpoints = gated_endpoints(platform, registry)
    assert isinstance(endpoints, DatabricksEndpoints) and isinstance(endpoints.guard, DeploymentGate)
    assert isinstance(endpoint_manager(platform.env(), tmp_path), DatabricksEndpoints)
    with pytest.raises(EndpointNotFound):
        read_endpoints(platform).get(ENDPOINT)  # what the monitor asks before the first deployment

    v1, v2 = (ServedEntity(name=n, entity_name=MODEL, entity_version=v) for n, v in ((V1, "1"), (V2, "2")))
    first = run_canary(endpoints, ENDPOINT, v1, POLICY, lambda *_: None, actor="deployment", reason="champion v1")
    assert first.first_deployment and first.succeeded
    observe = canary_observer(platform.env(), endpoints, Lake(emulator.root / "unity-catalog"), "dev", ENDPOINT)  # the asset's
    with EndpointLoad(emulator, ENDPOINT, RECORDS) as load:
        ramp = run_canary(endpoints, ENDPOINT, v2, POLICY, observe, actor="deployment", reason="champion v2")
        assert ramp.succeeded, ramp.reason
        assert [step.traffic for step in ramp.steps] == [25, 50, 100]
        assert read_endpoints(platform).get(ENDPOINT).config.traffic_config.shares() == {V1: 0, V2: 100}
        gated_endpoints(platform, registry).rollback(ENDPOINT, actor="remediation", reason="drift on v2")
    assert load.failed() == [] and {row["served_entity"] for row in load.rows} == {V1, V2}
    served = workspace.serving_endpoints.get(ENDPOINT)  # the workspace's own view, through the SDK
    assert {route.served_model_name: route.traffic_percentage for route in served.config.traffic_config.routes} \
        == {V1: 100, V2: 0}
    records = [r for r in Ledger.for_home(tmp_path).records() if r.subject.get("endpoint") == ENDPOINT]
    assert records[0].subject["action"] == "create" and records[-1].kind == "rollback"
