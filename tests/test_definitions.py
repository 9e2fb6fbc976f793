"""Tier 1: the code location loads, and its graph has the shape the design fixes."""

import dagster as dg

from lakehouse_assets.sources import SOURCES


def test_definitions_load_and_validate():
    from lakegate.definitions import defs

    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    for source in SOURCES:
        assert f"bronze/{source}" in keys
        assert f"silver/{source}" in keys
        assert f"quarantine/{source}" in keys
    assert {"platform", "lake", "spark"} <= set(defs.resources)
    assert defs.resolve_sensor_def("landing_files_sensor") is not None


def test_a_run_binds_the_environment_it_resolved_not_the_one_of_the_first_import():
    # `lakegate materialize` in a process that imported the graph for another environment (a test worker)
    # (`defs` itself keeps the environment of the first import, whichever test made it: not asserted here)
    from lakegate.definitions import definitions_for, defs
    from lakegate.environment import load_environment

    local, databricks = (definitions_for(load_environment(name)) for name in ("local", "databricks"))
    assert (local.resources["spark"].kind, databricks.resources["spark"].kind) == ("sail", "databricks")
    assert (local.resources["platform"].environment, databricks.resources["platform"].environment) == ("local", "databricks")
    assert databricks.resolve_asset_graph().get_all_asset_keys() == defs.resolve_asset_graph().get_all_asset_keys()


def test_silver_depends_on_bronze_and_runs_eagerly():
    from lakegate.definitions import defs

    graph = defs.resolve_asset_graph()
    node = graph.get(dg.AssetKey(["silver", "claims"]))
    assert dg.AssetKey(["bronze", "claims"]) in node.parent_keys
    assert node.automation_condition is not None


def test_every_silver_expectation_is_an_asset_check():
    from lakegate.definitions import defs
    from lakehouse_assets.silver.checks import expectation_check_name
    from lakehouse_assets.silver.tables import SILVER_TABLES

    graph = defs.resolve_asset_graph()
    check_keys = {(k.asset_key.to_user_string(), k.name) for k in graph.asset_check_keys}
    for table in SILVER_TABLES.values():
        for e in table.expectations:
            assert (f"silver/{table.name}", expectation_check_name(e.name)) in check_keys
        assert (f"silver/{table.name}", "silver_row_conservation") in check_keys
        assert (f"bronze/{table.name}", "bronze_row_conservation") in check_keys


def test_every_use_case_has_its_monitor_schedules_and_remediation_sensor():
    from lakegate.definitions import defs
    from ml_assets.usecases import USE_CASES

    schedules = {s.name: s for s in defs.schedules}
    sensors = {s.name for s in defs.sensors}
    for name in USE_CASES:
        assert schedules[f"{name}_monitor_refresh"].cron_schedule == "5 * * * *"
        assert f"{name}_retraining" in schedules and f"{name}_remediation" in sensors
    assert {"asset_check_alerts", "sensor_and_schedule_liveness"} <= sensors


def test_every_use_case_scores_yesterday_in_batch_on_a_daily_schedule():
    from lakegate.definitions import defs
    from ml_assets import keys
    from ml_assets.usecases import USE_CASES

    schedules = {s.name: s for s in defs.schedules}
    for use_case in USE_CASES.values():
        schedule = schedules[f"{use_case.name}_batch_scoring"]
        assert schedule.cron_schedule == "15 2 * * *" and schedule.execution_timezone == "UTC"
        job = defs.resolve_job_def(schedule.job_name)
        assert job.asset_layer.executable_asset_keys == {keys.batch_scores_key(use_case)}
        assert job.partitions_def.get_first_partition_key() == "2025-01-01"


def test_every_use_case_drills_rollback_on_a_schedule_at_the_policy_cadence():
    from gates.monitoring_policy import load_monitoring_policy
    from gates.policy import policies_dir
    from lakegate.definitions import defs
    from ml_assets import keys
    from ml_assets.usecases import USE_CASES

    schedules = {s.name: s for s in defs.schedules}
    graph = defs.resolve_asset_graph()
    for use_case in USE_CASES.values():
        schedule = schedules[f"{use_case.name}_rollback_drill"]
        assert schedule.cron_schedule == "45 4 * * *" and schedule.execution_timezone == "UTC"  # daily look at the cadence
        assert defs.resolve_job_def(schedule.job_name).asset_layer.executable_asset_keys == {keys.drill_key(use_case)}
        assert graph.get(keys.drill_key(use_case)).parent_keys == {keys.deployment_key(use_case)}
        assert load_monitoring_policy("local", policies_dir(use_case.name)).model_risk.drill_cadence_days == 90
