"""A Spark step as a one-time Databricks job run (engine kind `databricks`,
docs/decisions/0037-databricks-pipes-engine.md): Lakegate's wheel on a volume, a `python_wheel_task`
calling `lakegate-step` on a job cluster from the environment, run through dagster-databricks'
Pipes client (StepRunClient), whose results are the asset's: the step's metadata and checks, plus
the Databricks run id and URL.
"""

from __future__ import annotations

from collections.abc import Sequence

import dagster as dg
from dagster_databricks import PipesDbfsMessageReader

from lakegate.databricks import workspace_client
from lakegate.databricks_jobs import StepRunClient, step_task, submit_arguments
from lakegate.environment import ConfigError, Environment
from lakegate.steps import StepInvocation
from lakegate.wheel import upload_wheel


def submit_step(context: dg.AssetExecutionContext, env: Environment, invocation: StepInvocation,
                poll_interval_seconds: float) -> Sequence[dg.MaterializeResult | dg.AssetCheckResult]:
    """Submits the step as a job run, waits for it and returns what it reported through Pipes (each
    result with the run's id and URL)."""
    if env.databricks is None or env.databricks.jobs is None:
        raise ConfigError(f"environment {env.name}: engine kind 'databricks' needs databricks.jobs (the job cluster)")
    jobs = env.databricks.jobs
    workspace = workspace_client()
    # the step's assets (silver's step has two): what its cluster's tags attribute cost to
    assets = " ".join(sorted(key.to_user_string() for key in context.selected_asset_keys))
    task = step_task(jobs, env.name, assets, context.run_id,
                     wheel=upload_wheel(workspace, env.catalog), parameters=invocation.arguments())
    submit = submit_arguments(jobs, context.run_id, context.op_execution_context.node_handle.name)
    client = StepRunClient(client=workspace, poll_interval_seconds=poll_interval_seconds,
                           message_reader=PipesDbfsMessageReader(client=workspace, interval=poll_interval_seconds))
    return client.run(context=context, task=task, submit_args=submit).get_results()
