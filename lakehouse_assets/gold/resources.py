"""The dbt CLI resource for the gold project (resource key `dbt`)."""

from __future__ import annotations

import shutil
import sys
from functools import cached_property
from importlib.metadata import version as installed_version
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject
from packaging import version

DBT_PROJECT_DIR = Path(__file__).resolve().parent.parent / "dbt_project"
GOLD_RESOURCE_KEYS = ("dbt", "spark", "lake")


def dbt_executable() -> str:
    """The dbt installed beside this interpreter (works without an activated virtualenv)."""
    beside = Path(sys.executable).with_name("dbt")
    if beside.is_file():
        return str(beside)
    found = shutil.which("dbt")
    if not found:
        raise FileNotFoundError(f"no dbt executable beside {sys.executable} nor on PATH")
    return found


class LakegateDbtCliResource(DbtCliResource):
    """DbtCliResource that knows dbt's version without running `dbt --version`.

    dagster-dbt runs `dbt --version` to tell dbt Core from Fusion once per resource instance, and
    Dagster builds the resource anew for each run: about 2 s per run, plus a PyPI request for the
    latest version. Lakegate runs the dbt-core
    installed with it (pinned in pyproject.toml), so its version is read from the package metadata.
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        if Path(self.dbt_executable).parent == Path(sys.executable).parent:
            return version.parse(installed_version("dbt-core"))
        return super()._cli_version

    def _initialize_dbt_core_adapter(self, args):
        """No dbt adapter in the Dagster process. dagster-dbt opens one before each invocation (it
        loads the profile and project: 0.4 s a run, 1.4 s with the first import) only to fetch
        column metadata or row counts, and Lakegate takes row counts from the Delta log instead
        (lakehouse_assets.gold.run.delta_row_count). dagster-dbt accepts no adapter."""
        return None


def make_dbt_resource(project: DbtProject | None = None) -> DbtCliResource:
    """dbt runs the gold project; the engine and lake come from the `spark` and `lake` resources."""
    if project is None:
        from lakehouse_assets.gold.project import GOLD_DBT_PROJECT

        project = GOLD_DBT_PROJECT
    return LakegateDbtCliResource(project_dir=project, dbt_executable=dbt_executable())
