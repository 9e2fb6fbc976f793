"""The gold dbt project and its manifest.

dagster-dbt builds the gold asset definitions from `target/manifest.json`. target/ is not in git,
so the manifest is made here when the definitions load, whenever it is missing or older than a
project file: a fresh clone, an edited model (also under `dagster dev`, whose code server reloads),
a pulled change. Unlike `DbtProject.prepare_if_dev()`, an unchanged project is not re-parsed in
every `dagster dev` process (each run worker would pay ~4 s).
`dbt parse` needs no Spark connection: the profile's only engine setting is read by pyspark when a
statement runs, and the lake location and catalog are read by macros at run time only.
"""

from __future__ import annotations

from pathlib import Path

from dagster_dbt import DbtProject
from filelock import FileLock

from lakehouse_assets.gold.resources import DBT_PROJECT_DIR, make_dbt_resource

# Files whose change makes the manifest stale (dbt_packages/, target/ and logs/ are not sources).
_SOURCE_DIRS = ("models", "macros", "tests")
_SOURCE_FILES = ("dbt_project.yml", "profiles.yml")


def _newest_source_mtime(project_dir: Path) -> float:
    files = [project_dir / name for name in _SOURCE_FILES]
    for folder in _SOURCE_DIRS:
        files.extend(p for p in (project_dir / folder).rglob("*") if p.is_file())
    return max((p.stat().st_mtime for p in files if p.exists()), default=0.0)


def manifest_is_stale(project: DbtProject) -> bool:
    manifest = project.manifest_path
    if not manifest.exists():
        return True
    return _newest_source_mtime(Path(project.project_dir)) > manifest.stat().st_mtime


def _parse(project: DbtProject) -> None:
    make_dbt_resource(project).cli(["parse", "--quiet"], target_path=project.target_path).wait()


def prepare_gold_project(project: DbtProject) -> DbtProject:
    """Make sure `project.manifest_path` exists and matches the project files (runs `dbt parse`
    with the dbt beside this interpreter). Concurrent processes wait on a lock file in target/.
    """
    if manifest_is_stale(project):
        project.manifest_path.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(project.manifest_path.with_suffix(".lock")), timeout=120):
            if manifest_is_stale(project):
                _parse(project)
    if not project.manifest_path.exists():
        raise FileNotFoundError(f"dbt parse did not write {project.manifest_path}")
    return project


GOLD_DBT_PROJECT = prepare_gold_project(
    DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
)
