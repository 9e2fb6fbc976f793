"""The daily batch scoring schedule of a use case, visible in the Dagster UI: it asks for yesterday's
partition once (its run key is the day), and waits while prod has no champion to score with."""

import datetime as dt

import dagster as dg

from lakegate.registry_resource import MlflowRegistry
from ml_assets import keys
from ml_assets.scoring.assets import BATCH_SCORING_CRON, DAYS
from ml_assets.spec import UseCase


def batch_scoring_job(use_case: UseCase):
    return dg.define_asset_job(f"{use_case.name}_batch_scoring", selection=[keys.batch_scores_key(use_case)],
                               partitions_def=DAYS, tags=keys.tags(use_case, keys.SCORING))


def scoring_day(scheduled: dt.datetime) -> str:
    """The partition a tick scores: the UTC day before the tick, complete by then."""
    return (scheduled.astimezone(dt.timezone.utc).date() - dt.timedelta(days=1)).isoformat()


def batch_scoring_schedule(use_case: UseCase) -> dg.ScheduleDefinition:
    model = use_case.registered_model_name("prod")

    @dg.schedule(name=f"{use_case.name}_batch_scoring", cron_schedule=BATCH_SCORING_CRON, execution_timezone="UTC",
                 job=batch_scoring_job(use_case), default_status=dg.DefaultScheduleStatus.RUNNING,
                 description=f"Scores yesterday's prediction points with the champion of {model} into "
                             f"{use_case.batch_predictions_table('<catalog>')}.")
    def batch_scoring(context: dg.ScheduleEvaluationContext, mlflow: MlflowRegistry):
        day = scoring_day(context.scheduled_execution_time or dt.datetime.now(dt.timezone.utc))
        if mlflow.registry().alias_version(model, "champion") is None:
            return dg.SkipReason(f"{model} has no champion yet: {day} is not scored")
        return dg.RunRequest(run_key=f"{use_case.name}-batch-{day}", partition_key=day)

    return batch_scoring
