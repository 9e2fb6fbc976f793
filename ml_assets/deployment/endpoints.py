"""The local control plane as the pipeline's assets and sensors change it: every traffic change asks
the deployment gate first (approvals, break-glass), whoever makes it."""

from pathlib import Path

from gates.deployment_gate import DeploymentGate
from lakegate.governance.context import Governance
from lakegate.registry import Registry
from lakegate.serving.control import LocalEndpoints
from ml_assets import keys


def gated_endpoints(home: Path, registry: Registry, governance: Governance) -> LocalEndpoints:
    return LocalEndpoints(home, registry=registry, guard=DeploymentGate(registry, governance, keys.use_case_of))
