"""The endpoints `lakegate endpoint` changes: the local control plane, or a Databricks workspace's
Model Serving in a Databricks environment. Apart from serving_app so that serving workers, which
import serving_app, do not pay for databricks-sdk (0.6 s a start here)."""

from __future__ import annotations

from pathlib import Path

from lakegate.cli.serving_app import deployment_gate, local_endpoints
from lakegate.databricks import workspace_client
from lakegate.environment import Environment, current_environment, lakegate_home
from lakegate.registry import Registry
from lakegate.serving.control import LocalEndpoints
from lakegate.serving.databricks_endpoints import DatabricksEndpoints


def endpoint_manager(env: Environment | None = None, home: Path | None = None) -> LocalEndpoints | DatabricksEndpoints:
    """The environment's endpoints behind the deployment gate: the workspace's Model Serving for a
    Databricks environment, else the local control plane."""
    env, home = env or current_environment(), Path(home or lakegate_home())
    if env.databricks is None:
        return local_endpoints(env, home)
    registry = Registry.from_env(home=home, environment=env)
    return DatabricksEndpoints(workspace_client(), home, env.databricks.serving, registry=registry,
                               guard=deployment_gate(registry, env, home))
