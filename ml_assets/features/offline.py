"""The offline store: one append-only Delta table per feature view, `<catalog>.features.<view>`.

Each row is (entity, event_timestamp, features..., created_timestamp). A rebuild appends only rows
that are new or whose values changed; an earlier version of a row is never rewritten, so a training
set built as of any time can be rebuilt exactly.

Created timestamps: the first build of a view replays history, so a row's created timestamp is when
the batch pipeline would have produced it (event + the view's availability lag, at the latest now).
Every later build stamps what it appends with the time of that build: a backfill or a late
correction is created now, and point-in-time joins for earlier events never see it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from lakegate.lake import Lake
from ml_assets.features.views import CREATED, EVENT, FeatureView


@dataclass(frozen=True)
class OfflineResult:
    table: str
    version: int
    appended_rows: int
    total_rows: int
    first_build: bool
    inputs: dict[str, int | None]


def source_tables(spark: SparkSession, lake: Lake, catalog: str, view: FeatureView) -> tuple[dict[str, DataFrame], dict[str, int | None]]:
    """The view's sources, pinned to their current Delta versions (recorded as lineage)."""
    frames, versions = {}, {}
    for source in view.sources:
        name = f"{catalog}.{source}"
        versions[name] = lake.version(name)
        frames[source] = lake.read_spark(spark, name, version=versions[name])
    return frames, versions


def computed_rows(view: FeatureView, tables: dict[str, DataFrame]) -> DataFrame:
    columns = [view.entity, EVENT, *view.feature_names]
    return view.transformation(tables).select(*columns).filter(F.col(view.entity).isNotNull())


def latest_versions(stored: DataFrame, view: FeatureView) -> DataFrame:
    """The most recently created row per (entity, event_timestamp)."""
    from pyspark.sql import Window

    window = Window.partitionBy(view.entity, EVENT).orderBy(F.col(CREATED).desc())
    return stored.withColumn("_n", F.row_number().over(window)).filter("_n = 1").drop("_n", CREATED)


def changed_rows(computed: DataFrame, stored: DataFrame, view: FeatureView) -> DataFrame:
    """Computed rows that are new, or differ (null-safe) from the latest stored version."""
    latest = latest_versions(stored, view).alias("s")
    on = (F.col(f"c.{view.entity}") == F.col(f"s.{view.entity}")) & (F.col(f"c.{EVENT}") == F.col(f"s.{EVENT}"))
    unchanged = F.col(f"s.{view.entity}").isNotNull()
    for f in view.feature_names:
        unchanged = unchanged & F.col(f"c.{f}").eqNullSafe(F.col(f"s.{f}"))
    joined = computed.alias("c").join(latest, on, "left")
    return joined.filter(~unchanged).select(*[F.col(f"c.{c}").alias(c) for c in computed.columns])


def materialize_view(spark: SparkSession, lake: Lake, catalog: str, view: FeatureView, now: dt.datetime | None = None) -> OfflineResult:
    now = now or dt.datetime.now(dt.timezone.utc)
    tables, inputs = source_tables(spark, lake, catalog, view)
    computed = computed_rows(view, tables)
    name = view.table(catalog)
    now_literal = F.lit(now.replace(tzinfo=None) if now.tzinfo is None else now).cast("timestamp")
    first_build = not lake.exists(name)
    if first_build:
        lag_seconds = int(view.availability_lag.total_seconds())
        created = F.least(F.col(EVENT) + F.expr(f"INTERVAL {lag_seconds} SECONDS"), now_literal)
        appended = computed.withColumn(CREATED, created)
    else:
        appended = changed_rows(computed, lake.read_spark(spark, name), view).withColumn(CREATED, now_literal)
    previous = lake.version(name)
    version = lake.write_spark(appended, name, mode="append", inputs=inputs)
    # An append of nothing makes no commit on Sail: the version stays where it was.
    appended_rows = 0 if version == previous else int(lake.history(name)[0].get("operationMetrics", {}).get("numOutputRows", 0))
    total = lake.read_spark(spark, name).count()
    return OfflineResult(name, version, appended_rows, total, first_build, inputs)
