"""Where the emulated workspace keeps its files under its root, one folder per namespace.

DBFS paths (`dbfs:/x` or `/x` in the DBFS API) live under `dbfs/`; Unity Catalog volumes
(`/Volumes/<catalog>/<schema>/<volume>/...`, reachable from DBFS and the Files API alike, as on
Databricks) under `volumes/`; workspace files (`/Workspace/...`) under `workspace/`; secret scopes
under `secrets/`.
"""

from __future__ import annotations

from dataclasses import dataclass
import re
from pathlib import Path, PurePosixPath

from databricks_emulator.errors import invalid_parameter

VOLUMES_PREFIX = "/Volumes/"
WORKSPACE_PREFIX = "/Workspace/"
# Where MLflow keeps a workspace experiment's artifacts (dbfs:/databricks/mlflow-tracking/<experiment>/...),
# reached by MLflow's client through the Files API (mlflow/store/artifact/databricks_run_artifact_repo.py).
MLFLOW_ARTIFACTS_PREFIX = "/WorkspaceInternal/Mlflow/Artifacts/"
MODELS_PREFIX = "/Models/"  # Unity Catalog model versions' files (databricks_emulator/uc_registry.py)


@dataclass(frozen=True)
class WorkspaceStorage:
    root: Path

    @property
    def dbfs_root(self) -> Path:
        return self.root / "dbfs"

    @property
    def volumes_root(self) -> Path:
        return self.root / "volumes"

    @property
    def workspace_root(self) -> Path:
        return self.root / "workspace"

    @property
    def mlflow_artifacts_root(self) -> Path:
        return self.root / "mlflow-artifacts"

    @property
    def models_root(self) -> Path:
        return self.root / "models"

    @property
    def unity_catalog_root(self) -> Path:
        return self.root / "unity-catalog"

    @property
    def runs_root(self) -> Path:
        return self.root / "runs"

    @property
    def secrets_root(self) -> Path:
        return self.root / "secrets"

    def create_folders(self) -> None:
        for folder in (self.dbfs_root, self.volumes_root, self.workspace_root, self.mlflow_artifacts_root, self.models_root,
                       self.unity_catalog_root, self.runs_root):
            folder.mkdir(parents=True, exist_ok=True)

    def dbfs_path(self, path: str) -> Path:
        """A DBFS API path (`/a/b`, `dbfs:/a/b`) as a local path."""
        if not path:
            raise invalid_parameter("Path must be provided.")
        if path.startswith("dbfs:"):
            path = path[len("dbfs:"):]
        if not path.startswith("/"):
            raise invalid_parameter(f"Path must be absolute: {path}")
        if path.startswith(VOLUMES_PREFIX) or path == VOLUMES_PREFIX.rstrip("/"):
            return self._below(self.volumes_root, path[len("/Volumes"):])
        return self._below(self.dbfs_root, path)

    def files_api_path(self, path: str) -> Path:
        """A Files API path: a volume path or a workspace-file path."""
        if path.startswith(VOLUMES_PREFIX):
            return self._below(self.volumes_root, path[len("/Volumes"):])
        if path.startswith(WORKSPACE_PREFIX):
            return self._below(self.workspace_root, path[len("/Workspace"):])
        if path.startswith(MODELS_PREFIX):
            return self._below(self.models_root, path[len(MODELS_PREFIX) - 1:])
        if path.startswith(MLFLOW_ARTIFACTS_PREFIX):
            return self._below(self.mlflow_artifacts_root, path[len(MLFLOW_ARTIFACTS_PREFIX) - 1:])
        raise invalid_parameter(
            f"Path {path} is not supported: the Files API takes /Volumes/... or /Workspace/... paths.")

    def task_file_path(self, path: str) -> Path:
        """A task's python_file or library: dbfs:/..., /Volumes/..., /Workspace/... or a workspace path."""
        if path.startswith("dbfs:"):
            return self.dbfs_path(path)
        if path.startswith(VOLUMES_PREFIX):
            return self.files_api_path(path)
        if path.startswith(WORKSPACE_PREFIX):
            return self.files_api_path(path)
        if path.startswith("/"):
            return self._below(self.workspace_root, path)
        raise invalid_parameter(f"Path {path} must be absolute (dbfs:/, /Volumes/ or a workspace path).")

    def mlflow_artifact_path(self, uri: str) -> Path:
        """A workspace experiment's artifact URI as the local folder the Files API wrote it to (the
        mapping MLflow's client makes: a run's or a logged model's folder below the experiment)."""
        match = re.match(r"^dbfs:/databricks/mlflow-tracking/([^/]+)/(.+)$", uri.rstrip("/"))
        if match is None:
            raise invalid_parameter(f"{uri} is not a workspace experiment's artifact URI")
        experiment, rest = match.groups()
        kind, _, below = rest.partition("/")
        if kind == "logged_models":
            return self._below(self.mlflow_artifacts_root, f"{experiment}/LoggedModels/{below}")
        return self._below(self.mlflow_artifacts_root, f"{experiment}/Runs/{rest}")

    def dbfs_name(self, local: Path) -> str:
        """The DBFS API path of a local file, the inverse of dbfs_path."""
        if local.is_relative_to(self.volumes_root):
            return "/Volumes/" + local.relative_to(self.volumes_root).as_posix()
        relative = local.relative_to(self.dbfs_root).as_posix()
        return "/" if relative == "." else "/" + relative

    @staticmethod
    def _below(base: Path, path: str) -> Path:
        parts = [part for part in PurePosixPath(path).parts if part not in ("/", "")]
        if ".." in parts:
            raise invalid_parameter(f"Path {path} must not contain '..'.")
        return base.joinpath(*parts)
