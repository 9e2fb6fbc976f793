"""A Dagster step as a Databricks job run: dagster-databricks' PipesDatabricksClient (Lakegate's StepRunClient) with what
lakegate/databricks_jobs.py derives (job cluster with Lakegate's tags under a cluster policy,
timeout, idempotency token from run and step), against the emulator.

The task scripts do not open Pipes (the emulator's tasks have no /dbfs mount, decision 0037), so
what comes back is what the client itself reports: the Databricks run id and URL, or the error.
"""

import json

import dagster as dg
from dagster._core.errors import DagsterExecutionInterruptedError
from databricks.sdk.service.jobs import RunLifeCycleState, RunResultState
import pytest

from lakegate import dbfs_message_reader
from lakegate.databricks_jobs import Attribution, StepRunClient, step_task, submit_arguments
from lakegate.databricks_steps import step_run_client
from lakegate.environment import DatabricksJobsConfig
from tests.emulator.workloads import FAIL, SLEEP, upload, wait_until

pytestmark = pytest.mark.integration
ENV = "databricks"
POLICY = {"spark_version": {"type": "fixed", "value": "15.4.x-scala2.12"},
          "num_workers": {"type": "range", "maxValue": 4},
          "custom_tags.lakegate_env": {"type": "fixed", "value": ENV}}
OK = 'print("silver claims step ran")\n'


@pytest.fixture(autouse=True)
def no_wait_for_messages_that_cannot_come(monkeypatch):
    """Without a `closed` message the reader waits this long for late ones after the run ends (10 s);
    these tasks send none at all, so waiting would only slow the tests."""
    monkeypatch.setattr(dbfs_message_reader, "CLOSED_MESSAGE_WAIT_SECONDS", 0)


@pytest.fixture(scope="module")
def policy_id(workspace) -> str:
    return workspace.cluster_policies.create(name="lakegate-steps", definition=json.dumps(POLICY)).policy_id


def config(policy_id: str, workers: int = 2) -> DatabricksJobsConfig:
    return DatabricksJobsConfig(timeout_seconds=120, cluster={
        "spark_version": "15.4.x-scala2.12", "node_type_id": "m5.large", "num_workers": workers, "policy_id": policy_id,
        "custom_tags": {"team": "claims", "lakegate_env": "overridden by Lakegate's own"}})


class TerminatedWhileRunning(StepRunClient):
    """Dagster delivers a run's termination to the step as DagsterExecutionInterruptedError while the
    client polls; this raises it at the first poll that sees the Databricks run RUNNING."""

    def _get_run_state(self, run_id: int):
        state = super()._get_run_state(run_id)
        if state.life_cycle_state == RunLifeCycleState.RUNNING:
            self.interrupted_run = run_id
            raise DagsterExecutionInterruptedError()
        return state


def materialize_step(workspace, jobs: DatabricksJobsConfig, script: str, parameters=(), client_class=StepRunClient):
    client = step_run_client(workspace, 0.2, client_class, include_stdio_in_messages=False)

    @dg.asset(key=["silver", "claims_step"])
    def claims_step(context: dg.AssetExecutionContext):
        task = step_task(jobs, Attribution(ENV, context.asset_key.to_user_string(), context.run_id), python_file=script,
                         parameters=list(parameters))
        submit = submit_arguments(jobs, context.run_id, context.op_execution_context.node_handle.name)
        return client.run(context=context, task=task, submit_args=submit).get_materialize_result()

    result = dg.materialize([claims_step], raise_on_error=False)
    result.client = client
    return result


def failure_message(result) -> str:
    failures = [event for event in result.all_events if event.is_step_failure]
    assert failures, "the step did not fail"
    return str(failures[0].step_failure_data.error)


def test_a_step_runs_as_a_tagged_policy_checked_job_run_whose_id_and_url_dagster_records(workspace, policy_id):
    jobs = config(policy_id)
    result = materialize_step(workspace, jobs, upload(workspace, "/lakegate/steps/ok.py", OK.encode()))
    assert result.success
    metadata = result.asset_materializations_for_node("silver__claims_step")[0].metadata
    run_id = int(metadata["Databricks Job Run ID"].value)
    assert metadata["Databricks Job Run URL"].value.endswith(str(run_id))
    run = workspace.jobs.get_run(run_id)
    tags = run.tasks[0].new_cluster.custom_tags
    assert tags == {"team": "claims", "lakegate_env": ENV, "lakegate_asset": "silver/claims_step",
                    "dagster_run_id": result.run_id}
    assert run.run_name == f"lakegate silver__claims_step {result.run_id}" and run.tasks[0].timeout_seconds == 120
    # a retried step of the same Dagster run resubmits with the same token and gets the first run back
    retry = step_task(jobs, Attribution(ENV, "silver/claims_step", result.run_id), python_file="dbfs:/lakegate/steps/ok.py")
    again = workspace.jobs.submit(tasks=[retry], **submit_arguments(jobs, result.run_id, "silver__claims_step")).bind()["run_id"]
    assert again == run_id


def test_a_failed_task_and_a_cluster_the_policy_refuses_fail_the_step_with_databricks_error(workspace, policy_id):
    failing = materialize_step(workspace, config(policy_id), upload(workspace, "/lakegate/steps/fail.py", FAIL.encode()))
    assert not failing.success and "task silver_claims_step: ZeroDivisionError: division by zero" in failure_message(failing)
    refused = materialize_step(workspace, config(policy_id, workers=16), "dbfs:/lakegate/steps/ok.py")
    assert not refused.success
    assert "Validation failed for num_workers" in failure_message(refused)


def test_terminating_the_step_cancels_its_databricks_run(workspace, policy_id):
    script = upload(workspace, "/lakegate/steps/sleep.py", SLEEP.encode())
    stopped = materialize_step(workspace, config(policy_id), script, parameters=["60"],
                               client_class=TerminatedWhileRunning)
    assert not stopped.success  # the step stays interrupted (dagster-databricks alone would report success)
    run = wait_until(workspace, stopped.client.interrupted_run, {"TERMINATED"})
    assert run.state.life_cycle_state == RunLifeCycleState.TERMINATED
    assert run.state.result_state == RunResultState.CANCELED
