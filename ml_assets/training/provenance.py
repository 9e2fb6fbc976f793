"""Who trained a model, from which code and which dependency set: recorded as MLflow tags."""

from __future__ import annotations

import getpass
import hashlib
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from lakegate.registry import Tags

REPO_ROOT = Path(__file__).resolve().parents[2]
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Provenance:
    git_commit: str
    git_dirty: str  # "true" | "false" | "unknown"
    requirements_lock_sha256: str
    principal: str
    dagster_run_id: str

    def tags(self) -> dict[str, str]:
        return {
            Tags.GIT_COMMIT: self.git_commit,
            Tags.GIT_DIRTY: self.git_dirty,
            Tags.REQUIREMENTS_LOCK_SHA256: self.requirements_lock_sha256,
            Tags.PRINCIPAL: self.principal,
            Tags.DAGSTER_RUN_ID: self.dagster_run_id,
            "mlflow.user": self.principal,
            "mlflow.source.git.commit": self.git_commit,
        }


def collect(dagster_run_id: str | None = None, repo: Path = REPO_ROOT) -> Provenance:
    commit = _git(repo, "rev-parse", "HEAD")
    status = _git(repo, "status", "--porcelain", "--untracked-files=no") if commit != UNKNOWN else UNKNOWN
    return Provenance(
        git_commit=commit,
        git_dirty=UNKNOWN if status == UNKNOWN else str(bool(status)).lower(),
        requirements_lock_sha256=file_sha256(repo / "requirements.lock"),
        principal=principal(),
        dagster_run_id=dagster_run_id or "none",
    )


def principal() -> str:
    """LAKEGATE_PRINCIPAL (the identity a scheduler or CI runs as), else the OS user."""
    explicit = os.environ.get("LAKEGATE_PRINCIPAL", "").strip()
    if explicit:
        return explicit
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry in some containers
        return UNKNOWN


def file_sha256(path: Path) -> str:
    if not path.is_file():
        return UNKNOWN
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _git(repo: Path, *args: str) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return UNKNOWN
    if done.returncode != 0:
        return UNKNOWN
    return done.stdout.strip() if args[0] == "rev-parse" else done.stdout
