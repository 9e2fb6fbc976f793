"""A use case's schedules, visible in the Dagster UI: the monitor's refresh, and retraining at the
monitoring policy's cadence. Both only request runs: the monitor's checks, and the training's
gates and approvals, decide what happens next."""

import datetime as dt

import dagster as dg

from gates.monitoring_policy import load_monitoring_policy
from gates.policy import policies_dir
from lakegate.platform import Platform
from lakegate.registry_resource import MlflowRegistry
from ml_assets import keys
from ml_assets.monitoring.inputs import model_age_start
from ml_assets.spec import UseCase

MONITOR_REFRESH_CRON = "5 * * * *"  # hourly, a few minutes past: the last hour's spool has drained by then
RETRAINING_CHECK_CRON = "30 3 * * *"  # daily: is the champion older than the policy's retraining cadence?


def monitor_refresh_schedule(use_case: UseCase) -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        name=f"{use_case.name}_monitor_refresh", cron_schedule=MONITOR_REFRESH_CRON, execution_timezone="UTC",
        target=[keys.monitor_key(use_case)], default_status=dg.DefaultScheduleStatus.RUNNING,
        description=f"Refreshes the monitor of {keys.endpoint_name(use_case)} and judges its champion every hour.")


def retraining_due(age_days: float | None, cadence_days: int) -> bool:
    """Whether the champion is at least `cadence_days` old (no champion: the first training is the demo's or a person's)."""
    return age_days is not None and age_days >= cadence_days


def retraining_schedule(use_case: UseCase) -> dg.ScheduleDefinition:
    model = use_case.registered_model_name("prod")

    @dg.schedule(name=f"{use_case.name}_retraining", cron_schedule=RETRAINING_CHECK_CRON, execution_timezone="UTC",
                 target=[keys.training_set_key(use_case), keys.model_key(use_case)],
                 default_status=dg.DefaultScheduleStatus.RUNNING,
                 description="Retrains the candidate when the champion reaches the monitoring policy's retraining "
                             "cadence; the new version goes through every gate and approval.")
    def retraining(context: dg.ScheduleEvaluationContext, platform: Platform, mlflow: MlflowRegistry):
        policy = load_monitoring_policy(platform.policy_set("monitoring"), policies_dir(use_case.name), platform.governance())
        registry = mlflow.registry()
        champion = registry.alias_version(model, "champion")
        trained = model_age_start(registry, model, champion)
        now = context.scheduled_execution_time or dt.datetime.now(dt.timezone.utc)
        age = None if trained is None else (now - trained).total_seconds() / 86_400
        cadence = policy.model_risk.retraining_cadence_days
        if not retraining_due(age, cadence):
            return dg.SkipReason(f"champion v{champion or '-'} is {age or 0:.1f} days old; the cadence is {cadence} days")
        return dg.RunRequest(run_key=f"{use_case.name}-cadence-{now:%Y-%m-%d}",
                             tags={"lakegate/cause": f"retraining cadence {cadence} days, champion v{champion}"})

    return retraining
