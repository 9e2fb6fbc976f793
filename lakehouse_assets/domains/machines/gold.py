"""The manufacturer's prediction points and labels (machine failure), as derived gold tables.

`machine_days`: one row per running machine per day, the morning planning at 06:00, with the
latest reading of the 12 hours before (a machine without one is not running: no prediction). The
reading's values are what the plant's system sends when it asks for a prediction.

`machine_failure_labels`: whether the machine failed in the 7 days after the prediction (failed_at
in (predicted_at, predicted_at + 7 days]), and when that became known: a failure when it was
reported; no failure only once the window had closed and the reporting grace had passed (failures
are reported up to two days late). Until then a row has no label. "Now" is the latest reading in
silver, so the labels depend on the data alone, not on when they are computed.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from lakehouse_assets.contracts import ColumnContract as Col
from lakehouse_assets.derived.table import DerivedTable
from lakehouse_assets.domains.machines import silver
from lakehouse_assets.domains.machines.sources import PLANTS

OWNER = "team:reliability-ml"
PREDICTION_HOUR = 6
RUNNING_WITHIN_HOURS = 12
HORIZON_DAYS = 7
REPORTING_GRACE_DAYS = 2
READING_COLUMNS = ("temperature_c", "vibration_mm_s", "pressure_bar", "run_hours")


def _hours(n: int) -> F.Column:
    return F.expr(f"INTERVAL {n} HOURS")


def prediction_time(read_at: F.Column) -> F.Column:
    """The first 06:00 at or after a reading: the prediction it serves."""
    morning = F.to_timestamp(F.to_date(read_at)) + _hours(PREDICTION_HOUR)
    return F.when(read_at <= morning, morning).otherwise(morning + _hours(24))


def machine_days(tables: dict[str, DataFrame]) -> DataFrame:
    readings = tables["silver.sensor_readings"].withColumn("predicted_at", prediction_time(F.col("read_at")))
    latest = Window.partitionBy("machine_id", "predicted_at").orderBy(F.col("read_at").desc())
    last = (readings.withColumn("_n", F.row_number().over(latest)).filter("_n = 1")
            .filter(F.col("read_at") > F.col("predicted_at") - _hours(RUNNING_WITHIN_HOURS)))
    machines = tables["silver.machines"].select("machine_id", "plant")
    return last.drop("plant").join(machines, "machine_id").select(
        F.concat_ws("@", "machine_id", F.date_format("predicted_at", "yyyy-MM-dd")).alias("machine_day_id"),
        "machine_id", "plant", "predicted_at", F.col("read_at").alias("reading_at"), *READING_COLUMNS,
    )


def machine_failure_labels(tables: dict[str, DataFrame]) -> DataFrame:
    days = tables["gold.machine_days"].select("machine_day_id", "machine_id", "predicted_at")
    failures = tables["silver.failure_events"].select(F.col("machine_id").alias("_m"), "failed_at", "reported_at")
    now = tables["silver.sensor_readings"].agg(F.max("read_at").alias("_now"))
    closes = F.col("predicted_at") + _hours(24 * HORIZON_DAYS)
    in_window = (F.col("_m") == F.col("machine_id")) & (F.col("failed_at") > F.col("predicted_at")) & (F.col("failed_at") <= closes)
    judged = days.join(failures, in_window, "left").groupBy("machine_day_id", "machine_id", "predicted_at").agg(
        F.max(F.col("failed_at").isNotNull().cast("int")).alias("fails_within_7d"),
        F.min("reported_at").alias("_first_report"),
    ).withColumn("window_closes_at", closes)
    known = F.when(F.col("fails_within_7d") == 1, F.col("_first_report")).otherwise(
        F.col("window_closes_at") + _hours(24 * REPORTING_GRACE_DAYS))
    return judged.withColumn("label_available_at", known).crossJoin(now).filter(F.col("label_available_at") <= F.col("_now"))


def _reading(c: Col) -> Col:
    return Col(c.name, c.dtype, nullable=False, minimum=c.minimum, below=c.below, description=c.description)


_SILVER_READINGS = {c.name: c for c in silver.SENSOR_READINGS.columns}
MACHINE_DAY_ID = Col("machine_day_id", "string", nullable=False, description="<machine_id>@<day>")
PREDICTED_AT = Col("predicted_at", "timestamp", nullable=False, description="06:00 of the day: when the prediction is made")

MACHINE_DAYS = DerivedTable(
    name="machine_days",
    sources=("silver.sensor_readings", "silver.machines"),
    transformation=machine_days,
    key=("machine_day_id",),
    columns=(
        MACHINE_DAY_ID,
        Col("machine_id", "string", nullable=False),
        Col("plant", "string", nullable=False, one_of=PLANTS),
        PREDICTED_AT,
        Col("reading_at", "timestamp", nullable=False, description="the latest reading before the prediction"),
        *(_reading(_SILVER_READINGS[name]) for name in READING_COLUMNS),
    ),
    description="Prediction points of the machine-failure model: one row per running machine per day at "
    "06:00, with the latest sensor reading of the 12 hours before (what the plant sends at request time).",
    owner=OWNER,
)

MACHINE_FAILURE_LABELS = DerivedTable(
    name="machine_failure_labels",
    sources=("gold.machine_days", "silver.failure_events", "silver.sensor_readings"),
    transformation=machine_failure_labels,
    key=("machine_day_id",),
    columns=(
        MACHINE_DAY_ID,
        Col("machine_id", "string", nullable=False),
        PREDICTED_AT,
        Col("fails_within_7d", "int", nullable=False, one_of=(0, 1), description="1 if the machine failed in the 7 days after"),
        Col("window_closes_at", "timestamp", nullable=False),
        Col("label_available_at", "timestamp", nullable=False,
            description="when the label became known: the failure's report, or the window's close plus the reporting grace"),
    ),
    description="Labels of the machine-failure model: whether each prediction point's machine failed within "
    "7 days, and when that was known (never before the failure was reported or the window had closed).",
    owner=OWNER,
)

DERIVED_TABLES = (MACHINE_DAYS, MACHINE_FAILURE_LABELS)
