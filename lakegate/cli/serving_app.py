"""The serving worker's composition: the core runtime (lakegate/serving), the use cases' request
features (ml_assets) and the deployment gate (gates), joined here and nowhere else below the CLI.

uvicorn imports `create_app` in each worker process (`lakegate serve` names it: endpoint.SERVING_APP_FACTORY), so the core's
serving code never imports an asset or gate package.
"""

from __future__ import annotations

from pathlib import Path

from gates.deployment_gate import DeploymentGate
from lakegate.environment import Environment, current_environment, lakegate_home
from lakegate.governance.context import Governance
from lakegate.pii import resolve_hmac_key
from lakegate.registry import Registry
from lakegate.serving.control import LocalEndpoints
from lakegate.serving.server import build_app
from ml_assets.features.serving import enricher_for
from ml_assets.registered_models import use_case_of


def create_app():
    env, home = current_environment(), lakegate_home()
    registry = Registry.from_env(home=home)
    return build_app(env, home, registry, enricher_factory(env, home), deployment_gate(registry, env, home))


def deployment_gate(registry: Registry, env: Environment, home: Path) -> DeploymentGate:
    return DeploymentGate(registry, Governance.for_home(home, env), use_case_of)


def local_endpoints(env: Environment | None = None, home: Path | None = None) -> LocalEndpoints:
    """The local control plane behind the deployment gate, as the CLI uses it."""
    env, home = env or current_environment(), Path(home or lakegate_home())
    registry = Registry.from_env(home=home)
    return LocalEndpoints(home, registry=registry, guard=deployment_gate(registry, env, home))


def enricher_factory(env: Environment, home: Path):
    """Models Lakegate trained get their online features (the PII key is read on first use)."""
    key: list[bytes] = []

    def factory(use_case: str | None):
        if not key:
            key.append(resolve_hmac_key(env.pii, home))
        return enricher_for(use_case, home, key[0])

    return factory
