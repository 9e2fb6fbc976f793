"""Billing through databricks-sdk: a job run on a job cluster ends with records in
`system.billing.usage` (found through the Unity Catalog tables API), whose DBUs are the task's
cluster time × the cluster's rate and whose tags are the cluster's; the cost table's actual is
those DBUs × `list_prices.pricing.default`."""

from __future__ import annotations

from datetime import timedelta

import dagster as dg
from decimal import Decimal

import pytest
from databricks.sdk.service.compute import ClusterSpec
from databricks.sdk.service.jobs import RunResultState, SparkPythonTask, SubmitTask
from deltalake import DeltaTable

from lakegate.alerts import list_alerts
from lakegate.cost.billing import BILLING, LIST_PRICES_TABLE, USAGE_TABLE, read_workspace_billing
from lakegate.cost.cost_table import CostTable
from lakegate.lake import Lake
from lakegate.lake_resource import LakeResource
from lakegate.platform import Platform
from ml_assets.cost.assets import cost_table
from tests.cost_data import record
from tests.emulator.workloads import SLEEP, upload

pytestmark = pytest.mark.integration
TAGS = {"lakegate/use_case": "claims_triage", "lakegate/dagster_run_id": "billing-test", "cost_centre": "CC-4410"}
M5_XLARGE_DBUS_PER_HOUR = 0.69  # the emulator's node-type table; driver and two workers of it


def run_on_a_job_cluster(workspace, seconds: str, node_type: str, workers: int):
    script = upload(workspace, "/jobs/billing_sleep.py", SLEEP.encode())
    cluster = ClusterSpec(spark_version="15.4.x-scala2.12", node_type_id=node_type, num_workers=workers, custom_tags=TAGS)
    task = SubmitTask(task_key="main", new_cluster=cluster,
                      spark_python_task=SparkPythonTask(python_file=script, parameters=[seconds]))
    return workspace.jobs.submit_and_wait(run_name="billed", tasks=[task], timeout=timedelta(minutes=2))


def usage_of(workspace, run_id: int) -> list[dict]:
    location = workspace.tables.get(USAGE_TABLE).storage_location
    rows = DeltaTable(location).to_pyarrow_table().to_pylist()
    return [r for r in rows if r["usage_metadata"]["job_run_id"] == str(run_id)]


def test_a_finished_run_has_billing_records_with_its_dbus_and_tags_and_prices_its_actual(workspace, tmp_path):
    run = run_on_a_job_cluster(workspace, "1.5", "m5.xlarge", workers=2)
    assert run.state.result_state == RunResultState.SUCCESS
    task = run.tasks[0]
    records = usage_of(workspace, run.run_id)  # there as soon as the run reports TERMINATED
    assert records and {r["usage_metadata"]["cluster_id"] for r in records} == {task.cluster_instance.cluster_id}
    hours = Decimal(task.end_time - task.start_time) / Decimal(3_600_000)
    assert hours >= Decimal("1.5") / 3600
    dbus = sum(r["usage_quantity"] for r in records)
    assert dbus == pytest.approx(hours * Decimal(str(M5_XLARGE_DBUS_PER_HOUR)) * 3, rel=Decimal("1e-9"))
    first = records[0]
    assert first["usage_unit"] == "DBU" and first["billing_origin_product"] == "JOBS" and first["record_type"] == "ORIGINAL"
    assert first["sku_name"] == "PREMIUM_JOBS_COMPUTE" and first["workspace_id"] and first["usage_metadata"]["job_id"]
    assert first["usage_metadata"]["node_type"] == "m5.xlarge"
    assert TAGS.items() <= dict(first["custom_tags"]).items()
    assert workspace.tables.get(LIST_PRICES_TABLE).columns[-1].name == "pricing"

    table = CostTable(Lake(tmp_path / "lake"), "dev")
    table.record_decision(record("billed-run", 0.01, engine="databricks", environment="databricks",
                                 databricks_run_id=run.run_id))
    billed = read_workspace_billing(workspace, table.awaiting_billing("databricks"))
    assert list(billed) == [str(run.run_id)] and billed[str(run.run_id)].dbus == pytest.approx(float(dbus))
    assert table.fill_billing_actuals(billed, "databricks") == ["billed-run"]
    [row] = table.rows()
    assert row["actual_source"] == BILLING and row["actual_usd"] == pytest.approx(float(dbus) * 0.15)
    assert row["billed_dbus"] == pytest.approx(float(dbus)) and row["duration_seconds"] == pytest.approx(float(hours) * 3600)



def test_the_cost_asset_fills_a_databricks_runs_actual_from_the_workspaces_billing(emulator, workspace, dev_catalog,
                                                                                    tmp_path, monkeypatch):
    run = run_on_a_job_cluster(workspace, "0", "m5.large", workers=1)
    monkeypatch.setenv("DATABRICKS_HOST", emulator.host)
    monkeypatch.setenv("DATABRICKS_TOKEN", emulator.token)
    platform = Platform(environment="databricks", home=str(tmp_path))
    lake = LakeResource(platform=platform)
    table = CostTable(lake.lake(), dev_catalog)  # the workspace's catalog storage, where the asset looks
    table.record_decision(record("asset-run", 150.0, engine="databricks", environment="databricks",
                                 databricks_run_id=run.run_id))  # far above what a second costs
    result = dg.materialize([cost_table], resources={"platform": platform, "lake": lake})
    assert result.success
    [row] = [r for r in table.rows() if r["run_key"] == "asset-run"]  # other modules' runs share the workspace
    dbus = float(sum(r["usage_quantity"] for r in usage_of(workspace, run.run_id)))
    assert row["actual_source"] == BILLING and row["actual_usd"] == pytest.approx(dbus * 0.15) and row["flagged"]
    [check] = result.get_asset_check_evaluations()
    assert not check.passed and "newly reconciled runs" in check.description
    # the actual, not the 150 USD estimate, counts: far below 50 % of the 200 USD budget, no budget alert
    assert [a for a in list_alerts(tmp_path) if a["source"] == "cost budget"] == []
