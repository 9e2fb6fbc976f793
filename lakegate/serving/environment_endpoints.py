"""Which endpoints an environment serves on, decided in one place for the CLI (`lakegate endpoint`), the
deployment asset's canary, the monitor and automatic remediation: the workspace's Model Serving
(DatabricksEndpoints) when the environment has a `databricks:` section, else the local control plane;
and, with them, where a canary's requests are observed."""

from __future__ import annotations

from pathlib import Path

from lakegate.environment import Environment
from lakegate.lake import Lake
from lakegate.ledger import Ledger
from lakegate.serving.control import LocalEndpoints
from lakegate.serving.endpoints import EndpointManager
from lakegate.serving.governed import DeploymentGuard
from lakegate.serving.inference_reader import inference_observer
from lakegate.serving.payload_table import payload_observer


def on_model_serving(env: Environment) -> bool:
    return env.databricks is not None


def environment_endpoints(env: Environment, home: Path, registry=None, guard: DeploymentGuard | None = None,
                          ledger: Ledger | None = None) -> EndpointManager:
    if not on_model_serving(env):
        return LocalEndpoints(home, ledger=ledger, registry=registry, guard=guard)
    # imported on use: a local process should not pay for databricks-sdk (0.6 s a start here)
    from lakegate.databricks import workspace_client
    from lakegate.serving.databricks_endpoints import DatabricksEndpoints

    return DatabricksEndpoints(workspace_client(), home, env.databricks.serving, ledger=ledger, registry=registry,
                               guard=guard)


def canary_observer(env: Environment, endpoints: EndpointManager, lake: Lake, catalog: str, endpoint: str):
    """Where a canary step's rows come from: the payload table Databricks captures on Model Serving,
    Lakegate's own inference log on the local runtime."""
    if on_model_serving(env):
        return payload_observer(lake, endpoints, endpoint)
    return inference_observer(lake, catalog, endpoint)
