"""Job runs through databricks-sdk: a real spark_python_task on Sail writing Delta, failures with their
traceback, cancel, timeout, idempotency and cluster-policy refusals."""

from __future__ import annotations

import base64
import json
import time
import uuid
from datetime import timedelta

import pytest
from databricks.sdk.errors import InvalidParameterValue, ResourceDoesNotExist
from databricks.sdk.service.compute import ClusterLogConf, ClusterSpec, DbfsStorageInfo, Environment, Library
from databricks.sdk.service.jobs import (JobEnvironment, PythonWheelTask, Run, RunLifeCycleState, RunOutput,
                                         RunResultState, SparkPythonTask, SubmitTask, TaskDependency)

from tests.emulator.workloads import FAIL, HELPERS_WHEEL, SLEEP, WRITE_DELTA_TABLE, helpers_wheel, upload, wait_until

pytestmark = pytest.mark.integration
LIFECYCLE = ["PENDING", "RUNNING", "TERMINATING", "TERMINATED"]


def python_task(script: str, *parameters: str, key: str = "main", **extra) -> SubmitTask:
    cluster = extra.pop("new_cluster", ClusterSpec(spark_version="15.4.x-scala2.12", num_workers=1))
    return SubmitTask(task_key=key, new_cluster=cluster,
                      spark_python_task=SparkPythonTask(python_file=script, parameters=list(parameters)), **extra)


def test_a_spark_python_task_writes_a_delta_table_through_sail_and_succeeds(workspace, dev_catalog):
    script = upload(workspace, "/jobs/write_table.py", WRITE_DELTA_TABLE.encode())
    wheel = upload(workspace, f"/wheels/{HELPERS_WHEEL}", helpers_wheel())
    location = workspace.schemas.create(name="claims", catalog_name="dev").storage_root + "/scored_claims"
    cluster = ClusterSpec(spark_version="15.4.x-scala2.12", num_workers=1, spark_env_vars={"LAKEGATE_ENV": "databricks"},
                          cluster_log_conf=ClusterLogConf(dbfs=DbfsStorageInfo(destination="dbfs:/cluster-logs")))
    token = uuid.uuid4().hex
    task = python_task(script, location, new_cluster=cluster, libraries=[Library(whl=wheel)])
    run_id = workspace.jobs.submit(run_name="write", tasks=[task], idempotency_token=token, timeout_seconds=300).run_id
    seen = []
    while not seen or seen[-1] != "TERMINATED":
        state = workspace.jobs.get_run(run_id).state.life_cycle_state.value
        if not seen or seen[-1] != state:
            seen.append(state)
        time.sleep(0.05)
    assert "RUNNING" in seen and seen == [s for s in LIFECYCLE if s in seen]
    run = workspace.jobs.get_run(run_id)
    assert Run.from_dict(run.as_dict()) == run and run.state.result_state == RunResultState.SUCCESS
    output = workspace.jobs.get_run_output(run.tasks[0].run_id)
    assert RunOutput.from_dict(output.as_dict()) == output
    assert "wrote 5 rows for databricks" in output.logs and output.error is None
    driver_logs = f"/cluster-logs/{run.tasks[0].cluster_instance.cluster_id}/driver"
    assert sorted(info.path.rsplit("/", 1)[1] for info in workspace.dbfs.list(driver_logs)) == ["stderr", "stdout"]
    assert b"wrote 5 rows" in base64.b64decode(workspace.dbfs.read(f"{driver_logs}/stdout").data)
    table = workspace.tables.get("dev.claims.scored_claims")
    assert [(c.name, c.type_text) for c in table.columns] == [("id", "bigint"), ("label", "string")]
    assert table.storage_location == location and table.data_source_format.value == "DELTA"
    assert [t.name for t in workspace.tables.list(catalog_name="dev", schema_name="claims")] == ["scored_claims"]
    again = workspace.jobs.submit(run_name="write", tasks=[task], idempotency_token=token, timeout_seconds=300)
    assert again.run_id == run_id  # the idempotency token returns the existing run instead of a new one


def test_a_python_wheel_task_runs_the_entry_point_of_a_serverless_environments_wheel(workspace):
    wheel = upload(workspace, f"/wheels/{HELPERS_WHEEL}", helpers_wheel())
    task = SubmitTask(task_key="label", environment_key="default", python_wheel_task=PythonWheelTask(
        package_name="claims_helpers", entry_point="label", parameters=["3"]))
    environment = JobEnvironment(environment_key="default", spec=Environment(client="2", dependencies=[wheel]))
    run = workspace.jobs.submit_and_wait(run_name="wheel", tasks=[task], environments=[environment],
                                         timeout=timedelta(minutes=1))
    assert run.state.result_state == RunResultState.SUCCESS
    assert workspace.jobs.get_run_output(run.tasks[0].run_id).logs.strip() == "label 3 review"


def test_a_task_whose_script_is_missing_fails_with_the_reason_as_an_internal_error(workspace):
    # submit_and_wait would raise OperationFailed here, as it does for a real INTERNAL_ERROR run
    run_id = workspace.jobs.submit(run_name="missing", tasks=[python_task("dbfs:/jobs/absent.py")]).run_id
    run = wait_until(workspace, run_id, {"TERMINATED", "INTERNAL_ERROR"})
    assert run.state.state_message == "Task main failed with message: Python file dbfs:/jobs/absent.py does not exist."
    assert run.state.life_cycle_state == RunLifeCycleState.INTERNAL_ERROR
    assert run.state.result_state == RunResultState.FAILED
    assert workspace.jobs.get_run_output(run.run_id).error == "Python file dbfs:/jobs/absent.py does not exist."


def test_a_failing_task_reports_its_error_and_traceback_and_its_dependents_do_not_run(workspace):
    script = upload(workspace, "/jobs/fail.py", FAIL.encode())
    sleeper = upload(workspace, "/jobs/sleep.py", SLEEP.encode())
    tasks = [python_task(script, key="score"),
             python_task(sleeper, "0", key="publish", depends_on=[TaskDependency(task_key="score")])]
    run = workspace.jobs.submit_and_wait(run_name="fails", tasks=tasks, timeout=timedelta(minutes=2))
    assert run.state.result_state == RunResultState.FAILED and "Task score failed" in run.state.state_message
    score, publish = run.tasks
    output = workspace.jobs.get_run_output(score.run_id)
    assert output.error == "ZeroDivisionError: division by zero"
    assert output.error_trace.startswith("Traceback") and "in score" in output.error_trace
    assert publish.state.result_state == RunResultState.UPSTREAM_FAILED
    with pytest.raises(InvalidParameterValue, match="multiple tasks"):
        workspace.jobs.get_run_output(run.run_id)


def test_cancelling_a_running_run_stops_its_process_and_ends_canceled(workspace):
    script = upload(workspace, "/jobs/sleep.py", SLEEP.encode())
    run_id = workspace.jobs.submit(run_name="long", tasks=[python_task(script, "120")], timeout_seconds=600).run_id
    wait_until(workspace, run_id, {"RUNNING"})
    started = time.monotonic()
    workspace.jobs.cancel_run(run_id)
    run = wait_until(workspace, run_id, {"TERMINATED"}, seconds=20)
    assert run.state.result_state == RunResultState.CANCELED and run.state.user_cancelled_or_timedout
    assert time.monotonic() - started < 10


def test_a_run_past_its_timeout_is_stopped_and_ends_timedout(workspace):
    script = upload(workspace, "/jobs/sleep.py", SLEEP.encode())
    run = workspace.jobs.submit_and_wait(run_name="slow", tasks=[python_task(script, "120")], timeout_seconds=2,
                                         timeout=timedelta(minutes=1))
    assert run.state.life_cycle_state == RunLifeCycleState.TERMINATED
    assert run.state.result_state == RunResultState.TIMEDOUT


POLICY = {"spark_version": {"type": "fixed", "value": "15.4.x-scala2.12"},
          "num_workers": {"type": "range", "minValue": 1, "maxValue": 4},
          "node_type_id": {"type": "allowlist", "values": ["m5.large", "m5.xlarge"]},
          "init_scripts": {"type": "forbidden"},
          "custom_tags.team": {"type": "fixed", "value": "claims"}}


@pytest.mark.parametrize(("attribute", "override"), [
    ("spark_version", {"spark_version": "13.3.x-scala2.12"}),
    ("num_workers", {"num_workers": 16}),
    ("node_type_id", {"node_type_id": "p4d.24xlarge"}),
    ("init_scripts", {"init_scripts": [{"dbfs": {"destination": "dbfs:/init.sh"}}]}),
])
def test_a_cluster_that_breaks_its_policy_is_refused_naming_the_attribute(workspace, attribute, override):
    policy_id = policy_for(workspace)
    spec = {"spark_version": "15.4.x-scala2.12", "num_workers": 2, "node_type_id": "m5.large",
            "policy_id": policy_id, **override}
    task = python_task("dbfs:/jobs/sleep.py", "0", new_cluster=ClusterSpec.from_dict(spec))
    with pytest.raises(InvalidParameterValue, match=f"Validation failed for {attribute}"):
        workspace.jobs.submit(run_name="refused", tasks=[task])


def policy_for(workspace) -> str:
    existing = [p.policy_id for p in workspace.cluster_policies.list() if p.name == "jobs-policy"]
    return existing[0] if existing else workspace.cluster_policies.create(
        name="jobs-policy", definition=json.dumps(POLICY)).policy_id


def test_a_compliant_cluster_gets_the_policys_fixed_values_and_runs(workspace):
    upload(workspace, "/jobs/sleep.py", SLEEP.encode())
    spec = {"spark_version": "15.4.x-scala2.12", "num_workers": 2, "node_type_id": "m5.large",
            "policy_id": policy_for(workspace)}
    task = python_task("dbfs:/jobs/sleep.py", "0", new_cluster=ClusterSpec.from_dict(spec))
    run = workspace.jobs.submit_and_wait(run_name="ok", tasks=[task], timeout=timedelta(minutes=1))
    assert run.state.result_state == RunResultState.SUCCESS
    assert run.tasks[0].new_cluster.custom_tags == {"team": "claims"}


def test_an_unknown_run_is_refused_with_databricks_error_which_the_sdk_turns_into_not_found(workspace):
    # Databricks answers 400 INVALID_PARAMETER_VALUE "Run N does not exist."; the SDK's own override
    # turns exactly that into ResourceDoesNotExist (a NotFound), so this checks both body and status
    with pytest.raises(ResourceDoesNotExist, match="Run 987654321 does not exist"):
        workspace.jobs.get_run(987654321)
