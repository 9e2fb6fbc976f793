"""dbt gold under engine kind `databricks`: one job run of Lakegate's wheel (`lakegate-step lakehouse.dbt_gold`)
runs `dbt build` with dagster-dbt inside the task against the emulator's Spark, and reports each model and
dbt test through Pipes. The same silver tables (the gold integration test's known figures) are built once in
process on Sail and once as the job run: same metadata keys (plus the run's id, URL and estimate), same check
results, same rows."""

from __future__ import annotations

import shutil

import dagster as dg
import pytest

from lakegate.engine import SparkEngine
from lakegate.environment import load_environment
from lakegate.lake import Lake
from lakegate.lake_resource import LakeResource
from lakegate.platform import Platform
from lakegate.resources import resources_for
from lakehouse_assets.gold.assets import gold_dbt_assets
from lakehouse_assets.gold.resources import make_dbt_resource
from tests.emulator.conftest import point_at_workspace
from tests.emulator.test_databricks_steps import RUN_METADATA, checks, materializations, step_failures
from tests.integration.test_gold_dbt import GOLD_MODELS, silver_rows, write_silver

pytestmark = pytest.mark.integration
ENV = "databricks"
STEP_SECONDS = "seconds"  # the task's own duration, on the step's first asset (lakegate/steps.py)


def rows(lake: Lake, table: str) -> list[dict]:
    return sorted(lake.read_arrow(table).to_pylist(), key=str)


@pytest.fixture(scope="module")
def runs(emulator, workspace, dev_catalog, pii_secret, tmp_path_factory):
    home = tmp_path_factory.mktemp("databricks-gold")
    with pytest.MonkeyPatch.context() as patch:
        point_at_workspace(patch, emulator, home, pii_secret)
        resources = {**resources_for(load_environment(ENV)), "dbt": make_dbt_resource()}
        workspace_lake = resources["lake"].lake()
        write_silver(workspace_lake.root, silver_rows())
        shutil.copytree(workspace_lake.root / "dev" / "silver", home / "local-lake" / "dev" / "silver")
        platform = Platform(environment=ENV)
        local = dg.materialize([gold_dbt_assets], raise_on_error=False, resources={
            "platform": platform, "dbt": make_dbt_resource(), "spark": SparkEngine(kind="sail"),
            "lake": LakeResource(platform=platform, root=str(home / "local-lake"))})
        remote = dg.materialize([gold_dbt_assets], raise_on_error=False,
                                resources={**resources, "spark": SparkEngine(kind="databricks", poll_interval_seconds=0.2)})
        yield local, remote, workspace_lake, Lake(home / "local-lake")


def test_gold_builds_as_one_job_run_with_the_local_metadata_checks_and_rows(runs, workspace):
    local, remote, workspace_lake, local_lake = runs
    assert local.success and remote.success, step_failures(remote)
    local_meta, remote_meta = materializations(local), materializations(remote)
    assert set(remote_meta) == set(local_meta) == {f"gold/{m}" for m in GOLD_MODELS}
    for asset, metadata in remote_meta.items():
        assert set(metadata) - {STEP_SECONDS} == set(local_meta[asset]) | RUN_METADATA, asset
        for key in ("dagster/row_count", "inputs", "status"):
            assert metadata[key] == local_meta[asset][key], (asset, key)
        table = f"dev.{asset.replace('/', '.')}"
        assert metadata[f"delta_version/{table}"].value == workspace_lake.version(table)
        assert rows(workspace_lake, table) == rows(local_lake, table), asset
    assert len({m["Databricks Job Run ID"].value for m in remote_meta.values()}) == 1  # one dbt build
    assert checks(remote) == checks(local) and len(checks(remote)) > 10 and all(checks(remote).values())
    run = workspace.jobs.get_run(int(next(iter(remote_meta.values()))["Databricks Job Run ID"].value))
    assert run.tasks[0].python_wheel_task.parameters[0] == "lakehouse.dbt_gold"


def test_a_failing_dbt_test_fails_the_step_with_the_failed_node(runs):
    """A duplicated provider breaks gold's unique test inside the task: the step fails with dbt's failed node."""
    _, _, workspace_lake, _ = runs
    rows = silver_rows()
    rows["providers"].append(dict(rows["providers"][0]))
    write_silver(workspace_lake.root, rows)
    resources = {**resources_for(load_environment(ENV)), "dbt": make_dbt_resource(),
                 "spark": SparkEngine(kind="databricks", poll_interval_seconds=0.2)}
    failed = dg.materialize([gold_dbt_assets], raise_on_error=False, resources=resources,
                            selection=["gold/provider_scorecard"])
    error = step_failures(failed)["gold_dbt_assets"]
    assert "GoldBuildFailed: dbt build failed: test.lakegate_gold.unique_provider_scorecard_provider_id" in error
