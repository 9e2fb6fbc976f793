"""What a Spark step's one-time Databricks job run is submitted with, derived and never typed by hand
(docs/decisions/0037-databricks-pipes-engine.md): the job cluster with Lakegate's tags, a timeout,
and an idempotency token from the Dagster run and step, so a retried step finds its first run.

Plain functions of the environment's `databricks.jobs` section; `StepRunClient.run(task=...,
submit_args=...)` (PipesDatabricksClient, with the failed tasks' errors) takes what they return.
"""

from __future__ import annotations

import hashlib
import re

# what PipesDatabricksClient raises and catches; not in dagster's top level
from dagster._core.errors import DagsterExecutionInterruptedError, DagsterPipesExecutionError
from dagster_databricks import PipesDatabricksClient
from databricks.sdk.service import compute, jobs

from lakegate.environment import DatabricksJobsConfig

TOKEN_LENGTH = 64  # Databricks' limit on idempotency_token
TAG_VALUE = re.compile(r"[^A-Za-z0-9_.\-/:@ ]")  # characters cloud providers accept in tag values


def idempotency_token(dagster_run_id: str, step_key: str) -> str:
    """Stable for one step of one Dagster run (a retry resubmits and gets the first run back); a new
    Dagster run gets a new token."""
    return hashlib.sha256(f"{dagster_run_id}:{step_key}".encode()).hexdigest()[:TOKEN_LENGTH]


def job_cluster(config: DatabricksJobsConfig, environment: str, asset: str, dagster_run_id: str) -> compute.ClusterSpec:
    """The environment's cluster spec, its tags merged with Lakegate's (which win: they attribute cost),
    its secret-backed variables as Databricks' secret references."""
    cluster = config.cluster
    tags = {**cluster.custom_tags, "lakegate_env": environment, "lakegate_asset": asset, "dagster_run_id": dagster_run_id}
    secrets = {name: f"{{{{secrets/{reference}}}}}" for name, reference in cluster.secret_env_vars.items()}
    return compute.ClusterSpec(spark_version=cluster.spark_version, node_type_id=cluster.node_type_id,
                               num_workers=cluster.num_workers, policy_id=cluster.policy_id,
                               spark_env_vars=secrets or None,
                               apply_policy_default_values=cluster.apply_policy_default_values if cluster.policy_id else None,
                               custom_tags={key: TAG_VALUE.sub("_", value)[:256] for key, value in tags.items()})


def submit_arguments(config: DatabricksJobsConfig, dagster_run_id: str, step_key: str) -> dict:
    """`jobs.submit` keyword arguments beside the task: name, timeout and idempotency token."""
    return {"run_name": f"lakegate {step_key} {dagster_run_id}"[:4096], "timeout_seconds": config.timeout_seconds,
            "idempotency_token": idempotency_token(dagster_run_id, step_key)}


def step_task(config: DatabricksJobsConfig, environment: str, asset: str, dagster_run_id: str, *,
              python_file: str | None = None, wheel: str | None = None, entry_point: str = "lakegate-step",
              parameters: list[str] | None = None) -> jobs.SubmitTask:
    """One task on its own job cluster: a script (`python_file`) or Lakegate's wheel's entry point."""
    if (python_file is None) == (wheel is None):
        raise ValueError("a step task runs either a python_file or a wheel's entry point")
    key = re.sub(r"[^A-Za-z0-9_-]", "_", asset)[:100]
    cluster = job_cluster(config, environment, asset, dagster_run_id)
    if python_file is not None:
        return jobs.SubmitTask(task_key=key, new_cluster=cluster, timeout_seconds=config.timeout_seconds,
                               spark_python_task=jobs.SparkPythonTask(python_file=python_file, parameters=parameters or []))
    return jobs.SubmitTask(task_key=key, new_cluster=cluster, timeout_seconds=config.timeout_seconds,
                           libraries=[compute.Library(whl=wheel)],
                           python_wheel_task=jobs.PythonWheelTask(package_name="lakegate", entry_point=entry_point,
                                                                  parameters=parameters or []))


class StepRunClient(PipesDatabricksClient):
    """dagster-databricks' client, with a failed run's task errors in the step's error, and an
    interrupted step that stays interrupted.

    Databricks' run state says only "Workload failed, see run output for details"; the exception
    is in each failed task's `runs/get-output` (`error`, `error_trace`). This reads them when the
    client's poll sees the run fail, logs the traces and raises with the errors. When the step is
    interrupted (the Dagster run terminated) the client cancels the Databricks run and waits for it
    to end, then returns as if the step had finished; this raises the interrupt again instead.
    Both override private methods of dagster-databricks 0.29.27 (recheck on upgrade)."""

    def _poll_til_terminating(self, run_id: int) -> None:
        super()._poll_til_terminating(run_id)
        raise DagsterExecutionInterruptedError(f"the step was interrupted; Databricks run {run_id} was cancelled")

    def _poll_til_success(self, context, run_id: int) -> None:
        try:
            super()._poll_til_success(context, run_id)
        except DagsterPipesExecutionError as failed:
            errors = []
            for task in self.client.jobs.get_run(run_id).tasks or []:
                if task.state and task.state.result_state not in (None, jobs.RunResultState.SUCCESS):
                    output = self.client.jobs.get_run_output(task.run_id)
                    errors.append(f"task {task.task_key}: {output.error or task.state.state_message}")
                    if output.error_trace:
                        context.log.error(f"[databricks] task {task.task_key} (run {task.run_id}):\n{output.error_trace}")
            raise DagsterPipesExecutionError(f"{failed}; {'; '.join(errors)}" if errors else str(failed)) from failed
