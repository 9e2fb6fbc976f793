"""Which endpoints an environment serves on, decided in one place for the CLI (`lakegate endpoint`), the
deployment asset's canary, the monitor and automatic remediation: the workspace's Model Serving
(DatabricksEndpoints) when the environment has a `databricks:` section, else the local control plane."""

from __future__ import annotations

from pathlib import Path

from lakegate.environment import Environment
from lakegate.ledger import Ledger
from lakegate.serving.control import LocalEndpoints
from lakegate.serving.endpoints import EndpointManager
from lakegate.serving.governed import DeploymentGuard


def environment_endpoints(env: Environment, home: Path, registry=None, guard: DeploymentGuard | None = None,
                          ledger: Ledger | None = None) -> EndpointManager:
    if env.databricks is None:
        return LocalEndpoints(home, ledger=ledger, registry=registry, guard=guard)
    # imported on use: a local process should not pay for databricks-sdk (0.6 s a start here)
    from lakegate.databricks import workspace_client
    from lakegate.serving.databricks_endpoints import DatabricksEndpoints

    return DatabricksEndpoints(workspace_client(), home, env.databricks.serving, ledger=ledger, registry=registry,
                               guard=guard)
