"""A use case's batch scoring, made from its spec: `<use case>_batch_scores`, one daily partition per
event day, scores that day's prediction points with the prod champion into
`<catalog>.scoring.<use case>_batch_predictions`, and the daily schedule that asks for yesterday.

A day is one slice of the table: scoring it again (a backfill, a new champion) replaces that slice,
so a day is never scored twice into the table, and every row names the model version that scored it.
"""


import datetime as dt
import time

import dagster as dg
import pyarrow.compute as pc

from lakegate.lake import lineage_metadata
from lakegate.lake_resource import LakeResource
from lakegate.platform import Platform
from lakegate.registry_resource import MlflowRegistry
from lakegate.serving.endpoints import ServedEntity
from ml_assets import keys
from ml_assets.features.assets import ONLINE_STORE_KEY
from ml_assets.features.serving import enricher_for
from ml_assets.scoring.batch import SCORING_DATE, day_rows, score_day
from ml_assets.spec import UseCase

FIRST_DAY = "2025-01-01"  # the earliest event day a backfill can reach (the demo's data start in 2025)
DAYS = dg.DailyPartitionsDefinition(start_date=FIRST_DAY, timezone="UTC")
BATCH_SCORING_CRON = "15 2 * * *"  # daily, after midnight UTC: yesterday's prediction points are all in


def build_batch_scoring(use_case: UseCase) -> dg.AssetsDefinition:
    model = use_case.registered_model_name("prod")

    @dg.asset(
        key=keys.batch_scores_key(use_case), partitions_def=DAYS,
        deps=[keys.prod_model_key(use_case), keys.entity_table_key(use_case), ONLINE_STORE_KEY],
        group_name=keys.group(use_case), kinds={"delta"}, owners=[use_case.owner],
        tags=keys.tags(use_case, keys.SCORING),
        description=f"Each day's prediction points of `{use_case.entity_rows.table}` scored by the champion of "
                    f"`{model}` with the endpoint's own features and scorer, one row each with its model version.",
    )
    def batch_scores(context: dg.AssetExecutionContext, lake: LakeResource, platform: Platform,
                     mlflow: MlflowRegistry) -> dg.MaterializeResult:
        from lakegate.serving.models import load_served_model  # MLflow's pyfunc: when it runs, not with the graph

        started, day = time.perf_counter(), dt.date.fromisoformat(context.partition_key)
        registry, store = mlflow.registry(), lake.lake()
        version = registry.alias_version(model, "champion")
        if version is None:
            raise dg.Failure(f"{model} has no champion: nothing to score {day} with (promote a version first)")
        served = load_served_model(ServedEntity(name="batch", entity_name=model, entity_version=str(version)), registry,
                                   lambda name: enricher_for(name, platform.home_path, platform.pii_hmac_key()))
        source = f"{lake.catalog}.{use_case.entity_rows.table}"
        read = store.version(source)
        rows = day_rows(store.read_arrow(source, version=read), use_case, day)
        scored = score_day(rows, use_case, served, day, dt.datetime.now(dt.timezone.utc))
        table = use_case.batch_predictions_table(lake.catalog)
        written = store.write_arrow(table, scored, mode="overwrite", predicate=f"{SCORING_DATE} = '{day.isoformat()}'",
                                    inputs={source: read})
        return dg.MaterializeResult(metadata={
            "dagster/table_name": table, "dagster/row_count": dg.MetadataValue.int(scored.num_rows),
            "model": model, "model_version": str(version), "day": day.isoformat(),
            "refused_rows": dg.MetadataValue.int(scored.num_rows - scored["refused"].null_count),
            "flagged_rows": dg.MetadataValue.int(int(pc.sum(scored["prediction"]).as_py() or 0)),
            "seconds": dg.MetadataValue.float(round(time.perf_counter() - started, 3)),
            **lineage_metadata({table: written}, {source: read}),
        })

    return batch_scores
