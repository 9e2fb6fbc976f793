"""The resources an environment gives the asset graph, built from its validated config."""

from __future__ import annotations

from lakegate.engine import SparkEngine
from lakegate.environment import Environment
from lakegate.lake_resource import LakeResource
from lakegate.platform import Platform
from lakegate.registry_resource import MlflowRegistry


def resources_for(env: Environment) -> dict:
    # One platform: the lake and the registry take home and catalog from it, never on their own.
    platform = Platform(environment=env.name)
    jobs = env.databricks.jobs if env.databricks else None
    spark = SparkEngine(kind=env.engine.kind, url_env=env.engine.url_env,
                        **({"poll_interval_seconds": jobs.poll_interval_seconds} if jobs else {}))
    return {
        "platform": platform,
        "lake": LakeResource(platform=platform),
        "spark": spark,
        # Empty fields: the embedded SQLite store under the platform's home; MLFLOW_TRACKING_URI wins if set.
        "mlflow": MlflowRegistry(platform=platform),
    }
