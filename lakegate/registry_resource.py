"""The MLflow resource of the asset graph: where runs and registered models live."""

from __future__ import annotations

import dagster as dg

from lakegate.platform import Platform
from lakegate.registry import DEFAULT_UI_URL, Registry


class MlflowRegistry(dg.ConfigurableResource):
    """Where MLflow runs and registered models live.

    Empty fields mean: MLFLOW_TRACKING_URI / MLFLOW_REGISTRY_URI when set, else the embedded SQLite
    store and artifact folder under the platform home's mlflow/. A set MLFLOW_TRACKING_URI wins over
    `tracking_uri`. Credentials (e.g. DATABRICKS_TOKEN) come from the environment, never from here.
    """

    platform: Platform
    tracking_uri: str = ""
    registry_uri: str = ""
    artifact_root: str = ""
    ui_url: str = DEFAULT_UI_URL
    experiment_root: str = "/Shared/lakegate"

    def registry(self) -> Registry:
        """The registry; the embedded store lives under the nested platform's home."""
        return Registry.from_env(self.tracking_uri, self.registry_uri, self.artifact_root, self.ui_url,
                                 self.platform.home_path)

    def experiment_name(self, use_case: str) -> str:
        return f"{self.experiment_root.rstrip('/')}/{use_case}"
