"""Training sets by point-in-time join: for each labelled event, the features as of its time."""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from lakegate.lake import Lake
from ml_assets.features.pit import ROW_ID, as_of_values
from ml_assets.features.views import EVENT, FeatureView
from ml_assets.spec import UseCase

@dataclass(frozen=True)
class TrainingSetResult:
    table: str
    version: int
    rows: int
    positive_rate: float
    inputs: dict[str, int | None]


def labelled_events(spark: SparkSession, lake: Lake, catalog: str, usecase: UseCase) -> tuple[DataFrame, dict[str, int | None]]:
    rows, label = usecase.entity_rows, usecase.label
    events_name, labels_name = f"{catalog}.{rows.table}", f"{catalog}.{label.table}"
    versions = {events_name: lake.version(events_name), labels_name: lake.version(labels_name)}
    events = lake.read_spark(spark, events_name, version=versions[events_name]).select(
        rows.key, *rows.entity_columns, F.to_timestamp(F.col(rows.event_timestamp)).alias(EVENT), *rows.request_columns
    )
    labels = lake.read_spark(spark, labels_name, version=versions[labels_name]).select(
        F.col(label.key).alias(rows.key), F.col(label.column).cast("int").alias("label")
    )
    return events.join(labels, rows.key).withColumn(ROW_ID, F.col(rows.key)), versions


def build_training_set(spark: SparkSession, lake: Lake, catalog: str, usecase: UseCase, views: list[FeatureView]) -> TrainingSetResult:
    events, inputs = labelled_events(spark, lake, catalog, usecase)
    joined, feature_columns = events, []
    for view in views:
        name = view.table(catalog)
        inputs[name] = lake.version(name)
        # Each lookup starts from the plain events, never from the previous joins' result, so the
        # plan stays one join deep per view instead of nesting.
        values = as_of_values(events, lake.read_spark(spark, name, version=inputs[name]), view)
        joined = joined.join(values, ROW_ID, "left")
        feature_columns += view.feature_names
    key = usecase.entity_rows
    final = joined.select(key.key, *key.entity_columns, EVENT, "label", *key.request_columns, *feature_columns)
    table = usecase.training_set_table(catalog)
    version = lake.write_spark(final, table, inputs=inputs)
    stats = lake.read_spark(spark, table).agg(F.count(F.lit(1)).alias("n"), F.avg("label").alias("rate")).collect()[0]
    return TrainingSetResult(table, version, int(stats["n"]), float(stats["rate"] or 0.0), inputs)
