"""What a Spark step's one-time Databricks job run is submitted with, derived and never typed by hand
(docs/decisions/0037-databricks-pipes-engine.md): the job cluster with Lakegate's tags, a timeout,
and an idempotency token from the Dagster run and step, so a retried step finds its first run.

Plain functions of the environment's `databricks.jobs` section; `StepRunClient.run(task=...,
submit_args=...)` (PipesDatabricksClient, with the failed tasks' errors) takes what they return.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Callable

# what PipesDatabricksClient raises and catches; not in dagster's top level
from dagster._core.errors import DagsterExecutionInterruptedError, DagsterPipesExecutionError
from dagster_databricks import PipesDatabricksClient
from databricks.sdk.service import compute, jobs

from lakegate.cost.live_stop import LiveStop
from lakegate.environment import DatabricksJobsConfig

TOKEN_LENGTH = 64  # Databricks' limit on idempotency_token
TAG_VALUE = re.compile(r"[^A-Za-z0-9_.\-/:@ ]")  # characters cloud providers accept in tag values


def idempotency_token(dagster_run_id: str, step_key: str) -> str:
    """Stable for one step of one Dagster run (a retry resubmits and gets the first run back); a new
    Dagster run gets a new token."""
    return hashlib.sha256(f"{dagster_run_id}:{step_key}".encode()).hexdigest()[:TOKEN_LENGTH]


LIVE = (jobs.RunLifeCycleState.QUEUED, jobs.RunLifeCycleState.PENDING, jobs.RunLifeCycleState.RUNNING,
        jobs.RunLifeCycleState.BLOCKED, jobs.RunLifeCycleState.WAITING_FOR_RETRY)


class RunStopped(RuntimeError):
    """The live stop cancelled the run: its projected cost crossed its limit."""


@dataclass(frozen=True)
class Attribution:
    """Who pays for a run: every job cluster carries these as tags (docs/cost.md)."""

    environment: str
    asset: str
    dagster_run_id: str
    use_case: str | None = None
    cost_centre: str | None = None
    auto_termination_minutes: int | None = None

    def tags(self) -> dict[str, str]:
        found = {"lakegate_env": self.environment, "lakegate_asset": self.asset, "dagster_run_id": self.dagster_run_id,
                 "lakegate_use_case": self.use_case, "cost_centre": self.cost_centre}
        return {key: value for key, value in found.items() if value}


def job_cluster(config: DatabricksJobsConfig, attribution: Attribution) -> compute.ClusterSpec:
    """The environment's cluster spec, its tags merged with Lakegate's (which win: they attribute cost)."""
    cluster = config.cluster
    tags = {**cluster.custom_tags, **attribution.tags()}
    secrets = {name: f"{{{{secrets/{reference}}}}}" for name, reference in cluster.secret_env_vars.items()}
    return compute.ClusterSpec(spark_version=cluster.spark_version, node_type_id=cluster.node_type_id,
                               num_workers=cluster.num_workers, policy_id=cluster.policy_id,
                               spark_env_vars=secrets or None,
                               apply_policy_default_values=cluster.apply_policy_default_values if cluster.policy_id else None,
                               autotermination_minutes=attribution.auto_termination_minutes,
                               custom_tags={key: TAG_VALUE.sub("_", value)[:256] for key, value in tags.items()})


def submit_arguments(config: DatabricksJobsConfig, dagster_run_id: str, step_key: str) -> dict:
    """`jobs.submit` keyword arguments beside the task: name, timeout and idempotency token."""
    return {"run_name": f"lakegate {step_key} {dagster_run_id}"[:4096], "timeout_seconds": config.timeout_seconds,
            "idempotency_token": idempotency_token(dagster_run_id, step_key)}


def step_task(config: DatabricksJobsConfig, attribution: Attribution, *,
              python_file: str | None = None, wheel: str | None = None, entry_point: str = "lakegate-step",
              parameters: list[str] | None = None) -> jobs.SubmitTask:
    """One task on its own job cluster: a script (`python_file`) or Lakegate's wheel's entry point."""
    if (python_file is None) == (wheel is None):
        raise ValueError("a step task runs either a python_file or a wheel's entry point")
    key = re.sub(r"[^A-Za-z0-9_-]", "_", attribution.asset)[:100]
    cluster = job_cluster(config, attribution)
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
    With a live stop set (`watch_cost`), every poll projects the run's cost and cancels the run when
    it crosses the limit, then raises RunStopped.
    These override private methods of dagster-databricks 0.29.27 (recheck on upgrade)."""

    live_stop: LiveStop | None = None
    _on_live_stop: Callable[[int, str], None] | None = None
    _stopping: bool = False
    last_run_id: int | None = None  # the run this client submitted last (its cost row names it)

    def watch_cost(self, live_stop: LiveStop, on_stop: Callable[[int, str], None]) -> "StepRunClient":
        """Project each polled run's cost; `on_stop(run_id, reason)` records a stop (ledger, alert)."""
        self.live_stop, self._on_live_stop, self._stopping = live_stop, on_stop, False
        return self

    def _get_run_state(self, run_id: int) -> jobs.RunState:
        state = super()._get_run_state(run_id)
        if self.live_stop is None or self._stopping or state.life_cycle_state not in LIVE:
            return state
        reason = self.live_stop.verdict()
        if reason is None:
            return state
        self._stopping = True
        self.client.jobs.cancel_run(run_id)
        PipesDatabricksClient._poll_til_terminating(self, run_id)  # the parent's: wait, do not re-raise
        if self._on_live_stop is not None:
            self._on_live_stop(run_id, reason)
        raise RunStopped(f"Databricks run {run_id} was cancelled by the live stop: {reason}")

    def _poll_til_terminating(self, run_id: int) -> None:
        super()._poll_til_terminating(run_id)
        raise DagsterExecutionInterruptedError(f"the step was interrupted; Databricks run {run_id} was cancelled")

    def _poll_til_success(self, context, run_id: int) -> None:
        self.last_run_id = run_id
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
