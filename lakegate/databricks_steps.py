"""A Spark step as a one-time Databricks job run (engine kind `databricks`,
docs/decisions/0037-databricks-pipes-engine.md): Lakegate's wheel on a volume, a `python_wheel_task`
calling `lakegate-step` on a job cluster from the environment, run through dagster-databricks'
Pipes client (StepRunClient) behind the cost guardrails (docs/decisions/0041-cost-guard.md), whose
results are the asset's: the step's metadata and checks, the Databricks run id and URL, and the
run's estimate.
"""

from __future__ import annotations

from collections.abc import Sequence

import dagster as dg

from lakegate.cost.run_costs import step_guardrails
from lakegate.databricks import workspace_client
from lakegate.databricks_jobs import StepRunClient, step_task, submit_arguments
from lakegate.dbfs_message_reader import PromptDbfsMessageReader
from lakegate.environment import ConfigError, Environment
from lakegate.lake import Lake
from lakegate.steps import StepInvocation
from lakegate.wheel import this_process_wheel, upload_wheel


def submit_step(context: dg.AssetExecutionContext, env: Environment, invocation: StepInvocation,
                poll_interval_seconds: float) -> Sequence[dg.MaterializeResult | dg.AssetCheckResult]:
    """Decides on the step's cost, submits it as a job run, waits for it and returns what it
    reported through Pipes (each result with the run's id, URL and estimate)."""
    if env.databricks is None or env.databricks.jobs is None:
        raise ConfigError(f"environment {env.name}: engine kind 'databricks' needs databricks.jobs (the job cluster)")
    jobs = env.databricks.jobs
    workspace = workspace_client()
    guardrails = step_guardrails(context, env, Lake(invocation.lake_root))
    wheel = this_process_wheel()  # its volume path is known before anything is sent
    task = step_task(jobs, guardrails.attribution, wheel=wheel.volume_path(env.catalog), parameters=invocation.arguments())
    submit = submit_arguments(jobs, context.run.run_id, context.op_execution_context.node_handle.name)
    client = step_run_client(workspace, poll_interval_seconds)
    completed = guardrails.run(context, client, task, submit, prepare=lambda: upload_wheel(workspace, env.catalog, wheel))
    return [guardrails.with_estimate(result) for result in completed.get_results()]


def step_run_client(workspace, poll_interval_seconds: float, client_class: type[StepRunClient] = StepRunClient,
                    **reader_options) -> StepRunClient:
    """The Pipes client of a step's job run: the run polled, and its messages read (PromptDbfsMessageReader),
    every `poll_interval_seconds`."""
    return client_class(client=workspace, poll_interval_seconds=poll_interval_seconds,
                        message_reader=PromptDbfsMessageReader(client=workspace, interval=poll_interval_seconds,
                                                               **reader_options))
