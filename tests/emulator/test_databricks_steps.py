"""Spark assets under engine kind `databricks`: each step a job run of Lakegate's wheel (`lakegate-step`)
through dagster-databricks' Pipes client against the emulator, its metadata and checks back through Pipes.

Small silver tables (and landed members, ingested to bronze) are written straight into the
emulator's Unity Catalog storage; the same assets then run once in process on Sail over a copy of
them, and once as job runs, and give the same metadata keys (plus the Databricks run's id and
URL), check results and rows. Silver's PII key reaches its task from the workspace's secret scope."""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass

import dagster as dg
import pyarrow as pa
import pytest

from lakegate.cost.cost_table import CostTable
from lakegate.engine import SparkEngine
from lakegate.environment import load_environment
from lakegate.lake import Lake
from lakegate.lake_resource import LakeResource
from lakegate.platform import Platform
from lakegate.resources import resources_for
from lakegate.wheel import this_process_wheel, upload_wheel
from lakehouse_assets.bronze.ingest import ingest_source
from lakehouse_assets.derived.assets import derived_assets
from lakehouse_assets.domains.machines import silver
from lakehouse_assets.silver.assets import silver_assets
from lakehouse_assets.sources import SOURCES
from ml_assets.features.assets import feature_assets
from tests.emulator.conftest import point_at_workspace
from tests.integration.landing import land, member

pytestmark = pytest.mark.integration
ENV = "databricks"
ASSETS = ["gold/machine_days", "features/machine_sensor_24h", "gold/machine_failure_labels", "silver/members"]
# what a Databricks run adds: its id and URL, and the estimate it ran under (docs/cost.md)
ESTIMATE_METADATA = {"lakegate/estimate_usd", "lakegate/estimate_dbus_per_hour", "lakegate/estimate_usd_per_hour",
                     "lakegate/estimate_duration_seconds", "lakegate/estimate_duration_source", "lakegate/rate_card",
                     "lakegate/sku"}
RUN_METADATA = {"Databricks Job Run ID", "Databricks Job Run URL", *ESTIMATE_METADATA}
ARROW = {"string": pa.string(), "double": pa.float64(), "date": pa.date32(), "timestamp": pa.timestamp("us", tz="UTC")}
UTC = dt.timezone.utc
READINGS = [("M-1", dt.datetime(2026, 3, day, hour, tzinfo=UTC), 60.0 + day) for day in (1, 2, 3) for hour in (2, 20)]
# silver.failure_events is left out on purpose: machine_failure_labels reads it, so that step fails
SILVER = {
    silver.MACHINES: {"machine_id": ["M-1"], "plant": ["bremen"], "line": ["L1"], "model_type": ["cnc_mill"],
                      "install_date": [dt.date(2024, 5, 1)], "rated_power_kw": [15.0],
                      "updated_at": [dt.datetime(2026, 1, 1, tzinfo=UTC)]},
    silver.SENSOR_READINGS: {"machine_id": [r[0] for r in READINGS], "plant": ["bremen"] * len(READINGS),
                             "read_at": [r[1] for r in READINGS], "temperature_c": [r[2] for r in READINGS],
                             "vibration_mm_s": [2.5] * len(READINGS), "pressure_bar": [6.0] * len(READINGS),
                             "run_hours": [100.0 + i for i in range(len(READINGS))]},
}


def write_silver(lake: Lake) -> None:
    for table, values in SILVER.items():
        schema = pa.schema([pa.field(c.name, ARROW[c.dtype], c.nullable) for c in table.columns])
        lake.write_arrow(f"dev.silver.{table.name}", pa.table(values, schema=schema), mode="overwrite")


def land_bronze_members(lake: Lake, home) -> None:
    land(home, "members", "members.csv", [member("M00000001"), member("M00000002", region="atlantis"),
                                          member("M00000003", plan_type="ppo")])
    ingest_source(lake, "dev", SOURCES["members"], home / "landing", home / "rejected")


def selected():
    return [a for a in [*silver_assets, *derived_assets, *feature_assets]
            if {k.to_user_string() for k in a.keys} & set(ASSETS)]


def checks(result: dg.ExecuteInProcessResult) -> dict[tuple[str, str], bool]:
    return {(e.asset_key.to_user_string(), e.check_name): e.passed for e in result.get_asset_check_evaluations()}


def materializations(result: dg.ExecuteInProcessResult) -> dict[str, dict]:
    return {event.asset_key.to_user_string(): event.step_materialization_data.materialization.metadata
            for event in result.get_asset_materialization_events()}


def step_failures(result: dg.ExecuteInProcessResult) -> dict[str, str]:
    return {event.step_key: str(event.step_failure_data.error) for event in result.all_events if event.is_step_failure}


@dataclass(frozen=True)
class Runs:
    local: dg.ExecuteInProcessResult
    remote: dg.ExecuteInProcessResult
    workspace_lake: Lake
    local_lake: Lake


@pytest.fixture(scope="module")
def runs(emulator, workspace, dev_catalog, pii_secret, tmp_path_factory):
    home = tmp_path_factory.mktemp("databricks-steps")
    with pytest.MonkeyPatch.context() as patch:
        point_at_workspace(patch, emulator, home, pii_secret)
        resources = resources_for(load_environment(ENV))
        workspace_lake = resources["lake"].lake()
        write_silver(workspace_lake)
        land_bronze_members(workspace_lake, home)
        shutil.copytree(workspace_lake.root / "dev", home / "local-lake" / "dev")
        platform = Platform(environment=ENV)
        local = dg.materialize(selected(), raise_on_error=False, resources={
            "platform": platform, "spark": SparkEngine(kind="sail"),
            "lake": LakeResource(platform=platform, root=str(home / "local-lake"))})
        # the environment's resources, polling faster than dagster-databricks' 5 s
        remote = dg.materialize(selected(), raise_on_error=False,
                                resources={**resources, "spark": SparkEngine(kind="databricks", poll_interval_seconds=0.2)})
        yield Runs(local, remote, workspace_lake, Lake(home / "local-lake"))


def test_the_environment_lake_is_the_workspace_unity_catalog_storage(runs, emulator):
    assert runs.workspace_lake.root == emulator.root / "unity-catalog"


def test_each_step_runs_as_a_wheel_task_and_reports_the_local_metadata_and_rows(runs, workspace):
    local_meta, remote_meta = materializations(runs.local), materializations(runs.remote)
    assert set(remote_meta) == set(local_meta) == {"gold/machine_days", "features/machine_sensor_24h",
                                                   "silver/members", "quarantine/members"}
    for asset, metadata in remote_meta.items():
        assert set(metadata) == set(local_meta[asset]) | RUN_METADATA, asset
        assert metadata["dagster/row_count"] == local_meta[asset]["dagster/row_count"], asset
        assert metadata["inputs"] == local_meta[asset]["inputs"], asset  # the silver versions read: lineage
        run = workspace.jobs.get_run(int(metadata["Databricks Job Run ID"].value))
        assert metadata["Databricks Job Run URL"].value == run.run_page_url
        task = run.tasks[0]
        assert task.python_wheel_task.entry_point == "lakegate-step"
        step_assets = {"silver/members": "quarantine/members silver/members", "quarantine/members": "quarantine/members silver/members"}
        assert task.new_cluster.custom_tags["lakegate_asset"] == step_assets.get(asset, asset)
        assert task.libraries[0].whl == this_process_wheel().volume_path("dev")
    # 06:00 of March 1 to 3 from the 02:00 readings, and of March 2 to 4 from the 20:00 ones
    assert remote_meta["gold/machine_days"]["dagster/row_count"].value == 4
    days = workspace.tables.get("dev.gold.machine_days")  # written by the task, seen by Unity Catalog
    assert days.storage_location.endswith("/unity-catalog/dev/gold/machine_days")
    assert runs.workspace_lake.version("dev.gold.machine_days") == remote_meta["gold/machine_days"]["delta_version/dev.gold.machine_days"].value


def test_the_wheel_is_uploaded_once_per_content(runs, workspace):
    wheel = this_process_wheel()
    uploaded = workspace.files.get_metadata(wheel.volume_path("dev"))
    assert uploaded.content_length == len(wheel.contents)
    assert upload_wheel(workspace, "dev") == wheel.volume_path("dev")  # the steps' wheel, not a new upload
    assert workspace.files.get_metadata(wheel.volume_path("dev")).last_modified == uploaded.last_modified


def test_silver_runs_with_the_secret_key_and_gives_the_local_checks_and_pseudonyms(runs):
    assert checks(runs.remote) == checks(runs.local) and ("silver/members", "silver_row_conservation") in checks(runs.remote)
    assert not checks(runs.remote)[("silver/members", "expect_region_known")]  # atlantis went to quarantine
    remote, local = (sorted(lake.read_arrow("dev.silver.members").to_pylist(), key=lambda r: r["member_token"])
                     for lake in (runs.workspace_lake, runs.local_lake))
    assert len(remote) == 2 and "member_id" not in remote[0]
    assert remote == local  # the same tokens: the task's key is the secret the orchestrator's variable holds


def test_a_failing_step_fails_its_asset_with_the_task_error(runs):
    local, remote = runs.local, runs.remote
    expected = "dev.gold.machine_failure_labels reads dev.silver.failure_events, which does not exist yet"
    assert expected in step_failures(local)["gold__machine_failure_labels"]
    remote_error = step_failures(remote)["gold__machine_failure_labels"]
    assert f"task gold_machine_failure_labels: lakehouse_assets.derived.build.SourceMissing: {expected}" in remote_error


def test_every_submitted_run_carries_its_cost_tags_auto_termination_and_timeout(runs, workspace):
    cost = load_environment(ENV).cost
    run_ids = {int(m["Databricks Job Run ID"].value) for m in materializations(runs.remote).values()}
    assert len(run_ids) == 3  # silver's step materializes two assets in one run
    for run_id in run_ids:
        run = workspace.jobs.get_run(run_id)
        (task,) = run.tasks
        tags = task.new_cluster.custom_tags
        assert {tags["lakegate_env"], tags["cost_centre"], tags["dagster_run_id"]} == {ENV, cost.cost_centre, runs.remote.run_id}
        assert tags["lakegate_asset"] and task.new_cluster.autotermination_minutes == cost.auto_termination_minutes
        assert task.timeout_seconds == load_environment(ENV).databricks.jobs.timeout_seconds
    features = next(workspace.jobs.get_run(int(m["Databricks Job Run ID"].value)) for a, m in
                    materializations(runs.remote).items() if a == "features/machine_sensor_24h")
    assert "lakegate_use_case" not in features.tasks[0].new_cluster.custom_tags  # a feature view serves every use case


def test_each_step_run_is_a_row_of_the_cost_table_with_its_estimate_and_databricks_run(runs):
    rows = {row["asset_key"]: row for row in CostTable(runs.workspace_lake, "dev").rows()
            if row["dagster_run_id"] == runs.remote.run_id}  # other modules share the workspace
    assert set(rows) == {"gold/machine_days", "features/machine_sensor_24h", "quarantine/members silver/members"}
    for asset, metadata in materializations(runs.remote).items():
        row = next(r for key, r in rows.items() if asset in key.split())
        assert row["databricks_run_id"] == int(metadata["Databricks Job Run ID"].value)
        assert (row["decision"], row["engine"], row["estimate_source"]) == ("allowed", "databricks", "declared")
        assert row["estimate_usd"] == pytest.approx(metadata["lakegate/estimate_usd"].value, abs=1e-4)
