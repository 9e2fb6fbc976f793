"""Point-in-time joins: each entity row gets the feature values as they were known at its time.

For a row at time T, a feature row is usable only if its event_timestamp <= T and its
created_timestamp <= T (a later backfill cannot leak into training); among usable rows the latest
event wins, then the latest created; with a TTL, a winner whose event is older than T - ttl means
"missing".

How, without a range join (which grows as rows x history per key): a feature row becomes usable at
its visibility time v = greatest(event, created). Ordered by v, a row is the best so far exactly
when its event is the running maximum (a later-visible row of the same event has a later created
timestamp). An as-of lookup of T among those rows (the last one at or before T, one sort per key)
names the winning (event, created); an equi-join fetches its values.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from ml_assets.features.views import CREATED, EVENT, FeatureView

ROW_ID = "_pit_row"
_TIME, _KIND = "_pit_time", "_pit_kind"


def best_rows_by_visibility(features: DataFrame, view: FeatureView) -> DataFrame:
    """(entity, visibility time, event, created) of each row that is the best row when it appears."""
    visible = features.select(view.entity, F.greatest(F.col(EVENT), F.col(CREATED)).alias(_TIME), EVENT, CREATED)
    running = Window.partitionBy(view.entity).orderBy(_TIME, EVENT, CREATED).rowsBetween(Window.unboundedPreceding, 0)
    return visible.withColumn("_latest_event", F.max(EVENT).over(running)).filter(F.col(EVENT) == F.col("_latest_event")).drop("_latest_event")


def as_of_join(entity_rows: DataFrame, features: DataFrame, view: FeatureView, at: str = EVENT) -> DataFrame:
    """Left-join `view`'s features to `entity_rows` (which need view.entity, `at` and ROW_ID)."""
    return entity_rows.join(as_of_values(entity_rows, features, view, at), ROW_ID, "left")


def as_of_values(entity_rows: DataFrame, features: DataFrame, view: FeatureView, at: str = EVENT) -> DataFrame:
    """(ROW_ID, the view's features as of each row's time) for the rows that found a value."""
    markers = best_rows_by_visibility(features, view).withColumn(ROW_ID, F.lit(None).cast(entity_rows.schema[ROW_ID].dataType))
    lookups = entity_rows.select(
        view.entity, F.col(at).alias(_TIME), F.lit(None).cast("timestamp").alias(EVENT),
        F.lit(None).cast("timestamp").alias(CREATED), ROW_ID,
    )
    timeline = markers.withColumn(_KIND, F.lit(0)).unionByName(lookups.withColumn(_KIND, F.lit(1)))
    # At equal times the feature row sorts first (a value visible exactly at T is usable at T),
    # and of two rows visible at once the later event, then the later created, comes last.
    upto = Window.partitionBy(view.entity).orderBy(_TIME, _KIND, EVENT, CREATED).rowsBetween(Window.unboundedPreceding, 0)
    found = timeline.select(
        ROW_ID, view.entity, _TIME, _KIND,
        F.last(EVENT, ignorenulls=True).over(upto).alias("_found_event"),
        F.last(CREATED, ignorenulls=True).over(upto).alias("_found_created"),
    ).filter((F.col(_KIND) == 1) & F.col("_found_event").isNotNull())
    if view.ttl is not None:
        found = found.filter(F.col("_found_event") >= F.col(_TIME) - F.expr(f"INTERVAL {int(view.ttl.total_seconds())} SECONDS"))
    values = features.select(
        F.col(view.entity).alias("_v_entity"), F.col(EVENT).alias("_v_event"), F.col(CREATED).alias("_v_created"), *view.feature_names
    )
    on = (
        (F.col(view.entity) == F.col("_v_entity"))
        & (F.col("_found_event") == F.col("_v_event"))
        & (F.col("_found_created") == F.col("_v_created"))
    )
    return found.join(values, on, "inner").select(ROW_ID, *view.feature_names)
