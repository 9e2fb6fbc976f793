"""Lakegate core: environments, engine, lake, registry, lineage, CLI. Knows no asset."""

import os

# MLflow starts a usage-telemetry thread on import unless told not to; set before anything imports it.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
# Artifact downloads (gates hash model files) would draw progress bars on the user's terminal.
os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
