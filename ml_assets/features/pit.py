"""Point-in-time joins: each entity row gets the feature values as they were known at its time.

For a row at time T, a feature row is usable only if its event_timestamp <= T, its
created_timestamp <= T (a later backfill cannot leak into training), and, with a TTL, its event is
no older than T - ttl. Among usable rows the latest event wins, then the latest created.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from ml_assets.features.offline import CREATED, EVENT
from ml_assets.features.views import FeatureView

ROW_ID = "_pit_row"


def as_of_join(entity_rows: DataFrame, features: DataFrame, view: FeatureView, at: str = EVENT) -> DataFrame:
    """Left-join `view`'s features to `entity_rows` (which need view.entity, `at` and ROW_ID)."""
    f = features.select(
        F.col(view.entity).alias("_f_entity"),
        F.col(EVENT).alias("_f_event"),
        F.col(CREATED).alias("_f_created"),
        *view.feature_names,
    )
    keys = entity_rows.select(ROW_ID, view.entity, at)
    usable = (
        (F.col(view.entity) == F.col("_f_entity"))
        & (F.col("_f_event") <= F.col(at))
        & (F.col("_f_created") <= F.col(at))
    )
    if view.ttl is not None:
        usable = usable & (F.col("_f_event") >= F.col(at) - F.expr(f"INTERVAL {int(view.ttl.total_seconds())} SECONDS"))
    window = Window.partitionBy(ROW_ID).orderBy(F.col("_f_event").desc(), F.col("_f_created").desc())
    best = (
        keys.join(f, usable, "inner")
        .withColumn("_n", F.row_number().over(window))
        .filter(F.col("_n") == 1)
        .select(ROW_ID, *view.feature_names)
    )
    return entity_rows.join(best, ROW_ID, "left")
