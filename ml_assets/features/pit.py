"""Point-in-time joins: each entity row gets the feature values as they were known at its time.

For a row at time T, a feature row is usable only if its event_timestamp <= T and its
created_timestamp <= T (a later backfill cannot leak into training); among usable rows the latest
event wins, then the latest created; with a TTL, a winner whose event is older than T - ttl means
"missing".

How, without a range join (which grows as rows x history per key): a feature row becomes usable at
its visibility time v = greatest(event, created). Ordered by v, a running maximum of
(event, created, values) gives the best row as of each v; an as-of lookup of T in that sequence
(last value at or before T, in one sort per key) is then exact.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from ml_assets.features.offline import CREATED, EVENT
from ml_assets.features.views import FeatureView

ROW_ID = "_pit_row"
_TIME, _KIND, _BEST = "_pit_time", "_pit_kind", "_pit_best"


def best_as_of_visibility(features: DataFrame, view: FeatureView) -> DataFrame:
    """(entity, visibility time, best row so far as a struct of event, created, values)."""
    candidate = F.struct(F.col(EVENT).alias("event"), F.col(CREATED).alias("created"), *view.feature_names)
    visible = F.greatest(F.col(EVENT), F.col(CREATED))
    running = Window.partitionBy(view.entity).orderBy(_TIME).rowsBetween(Window.unboundedPreceding, 0)
    return features.select(view.entity, visible.alias(_TIME), candidate.alias("_candidate")).select(
        view.entity, _TIME, F.max("_candidate").over(running).alias(_BEST)
    )


def as_of_join(entity_rows: DataFrame, features: DataFrame, view: FeatureView, at: str = EVENT) -> DataFrame:
    """Left-join `view`'s features to `entity_rows` (which need view.entity, `at` and ROW_ID)."""
    best = best_as_of_visibility(features, view)
    lookups = entity_rows.select(
        view.entity, F.col(at).alias(_TIME), F.col(ROW_ID), F.lit(None).cast(best.schema[_BEST].dataType).alias(_BEST)
    )
    timeline = best.withColumn(ROW_ID, F.lit(None).cast(entity_rows.schema[ROW_ID].dataType)).withColumn(_KIND, F.lit(0)).unionByName(
        lookups.withColumn(_KIND, F.lit(1))
    )
    # At equal times the feature row sorts first: a value visible exactly at T is usable at T.
    upto = Window.partitionBy(view.entity).orderBy(_TIME, _KIND).rowsBetween(Window.unboundedPreceding, 0)
    found = timeline.withColumn("_found", F.last(_BEST, ignorenulls=True).over(upto)).filter(F.col(_KIND) == 1)
    usable = F.col("_found").isNotNull()
    if view.ttl is not None:
        ttl_seconds = int(view.ttl.total_seconds())
        usable = usable & (F.col("_found.event") >= F.col(_TIME) - F.expr(f"INTERVAL {ttl_seconds} SECONDS"))
    values = [F.when(usable, F.col(f"_found.{name}")).alias(name) for name in view.feature_names]
    return entity_rows.join(found.select(ROW_ID, *values), ROW_ID, "left")
