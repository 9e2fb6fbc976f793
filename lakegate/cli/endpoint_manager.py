"""The endpoints `lakegate endpoint` changes (lakegate/serving/environment_endpoints.py: a Databricks
workspace's Model Serving in a Databricks environment, else the local control plane), behind the
deployment gate. Apart from serving_app so that serving workers, which import serving_app, do not
pay for databricks-sdk (0.6 s a start here)."""

from __future__ import annotations

from pathlib import Path

from lakegate.cli.serving_app import deployment_gate
from lakegate.environment import Environment, current_environment, lakegate_home
from lakegate.registry import Registry
from lakegate.serving.endpoints import EndpointManager
from lakegate.serving.environment_endpoints import environment_endpoints


def endpoint_manager(env: Environment | None = None, home: Path | None = None) -> EndpointManager:
    env, home = env or current_environment(), Path(home or lakegate_home())
    registry = Registry.from_env(home=home, environment=env)
    return environment_endpoints(env, home, registry=registry, guard=deployment_gate(registry, env, home))
