"""The environment's endpoints (lakegate/serving/environment_endpoints.py: Model Serving on a Databricks
environment, else the local control plane) as the pipeline's assets and sensors change them: every
traffic change asks the deployment gate first (approvals, break-glass), whoever makes it."""

from gates.deployment_gate import DeploymentGate
from lakegate.platform import Platform
from lakegate.registry import Registry
from lakegate.serving.control import LocalEndpoints
from lakegate.serving.endpoints import EndpointManager
from lakegate.serving.environment_endpoints import environment_endpoints
from ml_assets.registered_models import use_case_of


def _gate(platform: Platform, registry: Registry) -> DeploymentGate:
    return DeploymentGate(registry, platform.governance(), use_case_of)


def gated_endpoints(platform: Platform, registry: Registry) -> EndpointManager:
    return environment_endpoints(platform.env(), platform.home_path, registry=registry, guard=_gate(platform, registry))


def gated_local_endpoints(platform: Platform, registry: Registry) -> LocalEndpoints:
    """The local control plane whatever the environment: the rollback drill drives this machine's serving
    processes (a drill against Model Serving is not built, docs/databricks.md)."""
    return LocalEndpoints(platform.home_path, registry=registry, guard=_gate(platform, registry))


def read_endpoints(platform: Platform) -> EndpointManager:
    """For reading what an endpoint serves (no change goes through it, so no gate)."""
    return environment_endpoints(platform.env(), platform.home_path)
