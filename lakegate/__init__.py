"""Lakegate core: environments, engine, lake, registry, lineage, CLI. Knows no asset."""

import os

# MLflow starts a usage-telemetry thread on import unless told not to; set before anything imports it.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
