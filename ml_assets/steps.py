"""The ML layer's Spark steps (lakegate/steps.py), by name, registered on import: what the offline feature
tables and the point-in-time training sets run, in process or as a Databricks task."""

from __future__ import annotations

from pyspark.sql import SparkSession

from lakegate.lake import Lake, lineage_metadata
from lakegate.steps import StepResult, step
from ml_assets.features.definitions import FEATURE_VIEWS
from ml_assets.features.offline import materialize_view
from ml_assets.features.training_set import build_training_set
from ml_assets.usecases import USE_CASES

FEATURE_VIEW = "ml.feature_view"
TRAINING_SET = "ml.training_set"
# Declared durations before history (the cost estimate's fallback, docs/cost.md).
FEATURE_VIEW_SECONDS, TRAINING_SET_SECONDS = 300, 600


@step(FEATURE_VIEW)
def feature_view(spark: SparkSession, lake: Lake, catalog: str, parameters: dict) -> StepResult:
    """Appends what is new or changed to the offline table of the view `parameters["view"]`."""
    result = materialize_view(spark, lake, catalog, FEATURE_VIEWS[parameters["view"]])
    return StepResult({"dagster/table_name": result.table, "dagster/row_count": result.total_rows,
                       "appended_rows": result.appended_rows, "first_build": result.first_build,
                       **lineage_metadata({result.table: result.version}, result.inputs)},
                      messages=(f"{result.table}: appended {result.appended_rows} rows "
                                f"(first build: {result.first_build})",))


@step(TRAINING_SET)
def training_set(spark: SparkSession, lake: Lake, catalog: str, parameters: dict) -> StepResult:
    """Builds the point-in-time training set of the use case `parameters["use_case"]`."""
    usecase = USE_CASES[parameters["use_case"]]
    views = [FEATURE_VIEWS[name] for name in usecase.feature_views]
    result = build_training_set(spark, lake, catalog, usecase, views)
    return StepResult({"dagster/table_name": result.table, "dagster/row_count": result.rows,
                       "positive_rate": round(result.positive_rate, 4),
                       **lineage_metadata({result.table: result.version}, result.inputs)})
