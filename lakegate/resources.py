"""The resources an environment gives the asset graph, built from its validated config."""

from __future__ import annotations

from lakegate.engine import SparkEngine
from lakegate.environment import Environment
from lakegate.lake import LakeResource
from lakegate.platform import Platform
from lakegate.registry import MlflowRegistry


def resources_for(env: Environment) -> dict:
    return {
        "platform": Platform(environment=env.name),
        "lake": LakeResource(catalog=env.catalog),
        "spark": SparkEngine(kind=env.engine.kind, url_env=env.engine.url_env),
        # Empty fields: the embedded SQLite store under LAKEGATE_HOME; MLFLOW_TRACKING_URI wins if set.
        "mlflow": MlflowRegistry(),
    }
