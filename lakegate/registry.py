"""MLflow tracking and model registry: where runs and models go, and Unity-Catalog-style names.

Embedded default: a SQLite store at `$LAKEGATE_HOME/mlflow/mlflow.db` with artifacts under
`$LAKEGATE_HOME/mlflow/artifacts`. Any other store is a tracking URI (`MLFLOW_TRACKING_URI` wins
when set; Databricks URIs get the Unity Catalog registry, as MLflow does by default). An
environment with a `databricks:` section (LAKEGATE_ENV=databricks, prod) means tracking URI
`databricks` and registry `databricks-uc` on the workspace of DATABRICKS_HOST
(docs/decisions/0036-databricks-registry.md).

Models are named `catalog.schema.model` (`dev.claims.triage_model`). MLflow OSS accepts dots in
registered model names, so the three-level name is the registered name as it is, in OSS and in
Unity Catalog alike (docs/decisions/0007-mlflow-registry-names.md). Aliases (`challenger`,
`champion`, `previous_champion`) are MLflow aliases.

Nothing here opens a connection at import time: mlflow is imported and clients are built on use.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator


from lakegate.databricks import workspace_host
from lakegate.environment import Environment, lakegate_home, load_environment
from lakegate.names import split_three_level

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities import Run
    from mlflow.entities.model_registry import ModelVersion

# MLflow's usage telemetry is switched off in lakegate/__init__.py, before anything imports mlflow.

ALIASES = ("challenger", "champion", "previous_champion")
DEFAULT_UI_URL = "http://127.0.0.1:5000"
# Logged with each training run: the held-out rows' profile the monitor compares served traffic with.
REFERENCE_PROFILE_ARTIFACT = "monitoring/reference_profile.json"


class Tags:
    """Tag keys Lakegate writes on runs and model versions (gates and the CLI read them)."""

    GIT_COMMIT = "lakegate.git_commit"
    GIT_DIRTY = "lakegate.git_dirty"
    REQUIREMENTS_LOCK_SHA256 = "lakegate.requirements_lock_sha256"
    DAGSTER_RUN_ID = "lakegate.dagster_run_id"
    PRINCIPAL = "lakegate.principal"
    USE_CASE = "lakegate.use_case"
    TRAINING_SET_TABLE = "lakegate.training_set.table"
    TRAINING_SET_VERSION = "lakegate.training_set.version"
    MLFLOW_RUN_ID = "lakegate.mlflow_run_id"  # on model versions
    THRESHOLD = "lakegate.threshold"  # on model versions
    OWNER = "lakegate.owner"  # on registered models


class RegistryError(ValueError):
    """A bad model name, version or alias, or a missing store. Its message is for the user as it is."""


@dataclass(frozen=True)
class ModelName:
    catalog: str
    schema: str
    model: str

    @classmethod
    def parse(cls, name: str) -> "ModelName":
        try:
            return cls(*split_three_level(name, "model"))
        except ValueError as exc:
            raise RegistryError(str(exc)) from None

    def __str__(self) -> str:
        return f"{self.catalog}.{self.schema}.{self.model}"


def embedded_store(home: Path | None = None) -> tuple[str, Path]:
    """The embedded default: (SQLite tracking URI, artifact folder) under LAKEGATE_HOME."""
    root = (home or lakegate_home()) / "mlflow"
    return f"sqlite:///{root / 'mlflow.db'}", root / "artifacts"


DATABRICKS_TRACKING_URI = "databricks"


def resolve_tracking_uri(configured: str = "", home: Path | None = None, environment: Environment | None = None) -> str:
    """MLFLOW_TRACKING_URI if set, else the configured URI, else the environment's: the workspace's
    (`databricks`) for a Databricks environment, the embedded SQLite store for any other."""
    explicit = os.environ.get("MLFLOW_TRACKING_URI") or configured
    if explicit:
        return explicit
    if (environment or load_environment()).databricks is not None:
        workspace_host()  # both variables set, or a clear error now rather than MLflow's later
        return DATABRICKS_TRACKING_URI
    return embedded_store(home)[0]


def resolve_registry_uri(tracking_uri: str, configured: str = "") -> str:
    """MLFLOW_REGISTRY_URI if set, else the configured URI, else MLflow's default for the tracking URI."""
    explicit = os.environ.get("MLFLOW_REGISTRY_URI") or configured
    if explicit:
        return explicit
    if tracking_uri == "databricks" or tracking_uri.startswith("databricks://"):
        return tracking_uri.replace("databricks", "databricks-uc", 1)
    return tracking_uri


def _is_database_uri(uri: str) -> bool:
    return uri.split(":", 1)[0].split("+", 1)[0] in {"sqlite", "postgresql", "mysql", "mssql"}


class Registry:
    """A tracking store and model registry, addressed explicitly (no reliance on global state)."""

    def __init__(self, tracking_uri: str, registry_uri: str, artifact_root: Path | None = None, ui_url: str = DEFAULT_UI_URL):
        self.tracking_uri = tracking_uri
        self.registry_uri = registry_uri
        self.artifact_root = artifact_root
        self.ui_url = ui_url.rstrip("/")
        self._client: MlflowClient | None = None

    @classmethod
    def from_env(cls, tracking_uri: str = "", registry_uri: str = "", artifact_root: str = "", ui_url: str = DEFAULT_UI_URL,
                 home: Path | None = None, environment: Environment | None = None) -> "Registry":
        tracking = resolve_tracking_uri(tracking_uri, home, environment)
        _, default_artifacts = embedded_store(home)
        artifacts: Path | None = None
        if artifact_root:
            artifacts = Path(artifact_root).resolve()
        elif _is_database_uri(tracking):
            # A database store has no artifact root of its own: MLflow would use ./mlruns in the cwd.
            artifacts = default_artifacts
        return cls(tracking, resolve_registry_uri(tracking, registry_uri), artifacts, ui_url)

    @property
    def is_embedded_sqlite(self) -> bool:
        return self.tracking_uri.startswith("sqlite:///")

    def sqlite_path(self) -> Path | None:
        return Path(self.tracking_uri.removeprefix("sqlite:///")) if self.is_embedded_sqlite else None

    def require_store(self) -> None:
        """For readers (the CLI): a missing SQLite file means nothing was ever logged; say so."""
        path = self.sqlite_path()
        if path is not None and not path.is_file():
            raise RegistryError(f"no MLflow store at {path}: nothing has been trained in this LAKEGATE_HOME yet")

    @property
    def client(self) -> "MlflowClient":
        if self._client is None:
            from mlflow import MlflowClient

            path = self.sqlite_path()
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
            self._client = MlflowClient(tracking_uri=self.tracking_uri, registry_uri=self.registry_uri)
        return self._client

    @contextlib.contextmanager
    def activate(self) -> Iterator["Registry"]:
        """Point MLflow's fluent API (start_run, log_model, register_model) at this store, then restore.

        mlflow.set_tracking_uri also writes MLFLOW_TRACKING_URI into os.environ; restoring it keeps
        a later resolve_tracking_uri from mistaking our own setting for the user's.
        """
        import mlflow
        from mlflow.tracking._model_registry import utils as registry_utils
        from mlflow.tracking._tracking_service import utils as tracking_utils

        self.client  # noqa: B018 - creates the SQLite folder
        saved_env = {k: os.environ.get(k) for k in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")}
        saved = (tracking_utils._tracking_uri, registry_utils._registry_uri)
        mlflow.set_tracking_uri(self.tracking_uri)
        mlflow.set_registry_uri(self.registry_uri)
        try:
            yield self
        finally:
            tracking_utils._tracking_uri, registry_utils._registry_uri = saved
            for key, value in saved_env.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value

    # experiments and runs

    def experiment_id(self, name: str, artifact_subdir: str | None = None) -> str:
        """Get or create an experiment; on a database store its artifacts go under artifact_root."""
        existing = self.client.get_experiment_by_name(name)
        if existing is not None:
            return existing.experiment_id
        location = None
        if self.artifact_root is not None:
            folder = self.artifact_root / (artifact_subdir or re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_"))
            folder.mkdir(parents=True, exist_ok=True)
            location = folder.as_uri()
        return self.client.create_experiment(name, artifact_location=location)

    def run(self, run_id: str) -> "Run":
        from mlflow.exceptions import MlflowException

        try:
            return self.client.get_run(run_id)
        except MlflowException as exc:
            raise RegistryError(f"MLflow run {run_id} not found: {exc.message}") from None

    def run_artifact(self, run_id: str, path: str) -> bytes:
        """One file logged with a run, as bytes; RegistryError naming the run and path when it is absent."""
        import mlflow

        with tempfile.TemporaryDirectory(prefix="lakegate-artifact-") as tmp, self.activate():
            try:
                local = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=path, dst_path=tmp)
            except Exception as exc:  # noqa: BLE001 - MLflow raises several kinds for a missing artifact
                raise RegistryError(f"MLflow run {run_id} has no {path}: {exc}") from None
            return Path(local).read_bytes()

    def run_url(self, experiment_id: str, run_id: str) -> str:
        """Where a person opens the run: the workspace's MLflow UI on Databricks, else the local `make mlflow-ui`."""
        if self.tracking_uri == DATABRICKS_TRACKING_URI:
            return f"{workspace_host()}/ml/experiments/{experiment_id}/runs/{run_id}"
        return f"{self.ui_url}/#/experiments/{experiment_id}/runs/{run_id}"

    # registered models

    def register(self, model_uri: str, name: str, tags: dict[str, str] | None = None, description: str = "",
                 model_tags: dict[str, str] | None = None, model_description: str = "") -> "ModelVersion":
        """Register a new version of `catalog.schema.model` from a logged model URI.

        tags/description are the version's; model_tags/model_description the registered model's
        (set when the name is first registered)."""
        import mlflow
        from mlflow.exceptions import MlflowException

        ModelName.parse(name)
        try:
            self.client.get_registered_model(name)
        except MlflowException:
            self.client.create_registered_model(name, tags=model_tags or {}, description=model_description or None)
        with self.activate():
            version = mlflow.register_model(model_uri, name, tags=tags or {})
        if description:
            self.client.update_model_version(name, version.version, description=description)
        return self.client.get_model_version(name, version.version)

    def model_version(self, name: str, version: str | int) -> "ModelVersion":
        """A version by number or by alias (`3`, `challenger`, `@challenger`)."""
        from mlflow.exceptions import MlflowException

        ModelName.parse(name)
        text = str(version).lstrip("@")
        try:
            if text.isdigit():
                return self.client.get_model_version(name, text)
            return self.client.get_model_version_by_alias(name, text)
        except MlflowException:
            pass
        known = self.versions(name)
        if not known:
            raise RegistryError(f"model {name} is not registered in {self.registry_uri}")
        what = f"version {text}" if text.isdigit() else f"alias {text!r}"
        listed = ", ".join(str(v.version) for v in known)
        raise RegistryError(f"model {name} has no {what} (versions: {listed})")

    def versions(self, name: str) -> list["ModelVersion"]:
        found = self.client.search_model_versions(f"name = '{name}'")
        return sorted(found, key=lambda v: int(v.version))

    def set_alias(self, name: str, alias: str, version: str | int) -> None:
        if alias not in ALIASES:
            raise RegistryError(f"alias {alias!r} is not one of {', '.join(ALIASES)}")
        self.client.set_registered_model_alias(name, alias, str(version))

    def alias_version(self, name: str, alias: str) -> str | None:
        """The version an alias points at, or None when the alias is not set."""
        from mlflow.exceptions import MlflowException

        try:
            return self.client.get_model_version_by_alias(name, alias).version
        except MlflowException:
            return None

    def aliases(self, name: str) -> dict[str, str]:
        return dict(self.client.get_registered_model(name).aliases)


def describe(version: "ModelVersion") -> dict[str, Any]:
    """A model version as plain data (for metadata and --json output)."""
    return {
        "name": version.name,
        "version": version.version,
        "run_id": version.run_id,
        "source": version.source,
        "aliases": list(version.aliases or []),
        "tags": dict(version.tags or {}),
        "created": version.creation_timestamp,
    }
