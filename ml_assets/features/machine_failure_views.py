"""The feature views of the machine-failure use case (per machine), registered in
ml_assets.features.definitions.FEATURE_VIEWS.

Sensor statistics summarize whole days (an event timestamp is the end of the day, as in windows.py)
and are available an hour after the day ends, so the 06:00 prediction sees yesterday's day and the
7 days before it. Time since maintenance and the machine's age change every day: those views have a
row per machine per day, from its first reading to its last, as of the end of that day. The current reading itself is not a
feature view: the plant sends it with the request (ml_assets/features/machine_request.py).
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from ml_assets.features.views import Feature, FeatureView
from ml_assets.features.windows import DAY, rate, rolling_daily_sums, std_from_sums

OWNER = "team:reliability-ml"
SENSORS = {"temperature": "temperature_c", "vibration": "vibration_mm_s", "pressure": "pressure_bar"}
UNITS = {"temperature": "°C", "vibration": "mm/s", "pressure": "bar"}
SENSOR_LAG = dt.timedelta(hours=1)  # the historian's daily export is in the lake an hour after midnight
SECONDS_PER_DAY = 86_400


def _readings_daily(tables: dict[str, DataFrame]) -> DataFrame:
    """Per machine and day: count, sum, sum of squares and maximum of each sensor."""
    readings = tables["silver.sensor_readings"]
    aggs = [F.count(F.lit(1)).alias("_n")]
    for name, column in SENSORS.items():
        aggs += [F.sum(column).alias(f"_sum_{name}"), F.sum(F.col(column) * F.col(column)).alias(f"_sq_{name}"),
                 F.max(column).alias(f"_max_{name}")]
    return readings.groupBy("machine_id", F.to_date("read_at").alias(DAY)).agg(*aggs)


def _stats(df: DataFrame, suffix: str) -> DataFrame:
    """mean, max and standard deviation of each sensor from the summed columns."""
    return df.select("machine_id", "event_timestamp", *[
        expr.alias(f"{name}_{stat}_{suffix}")
        for name in SENSORS
        for stat, expr in (("mean", rate(f"_sum_{name}", "_n")), ("max", F.col(f"_max_{name}")),
                           ("std", std_from_sums("_n", f"_sum_{name}", f"_sq_{name}")))
    ])


def machine_sensor_24h(tables: dict[str, DataFrame]) -> DataFrame:
    daily = _readings_daily(tables)
    return _stats(daily.withColumn("event_timestamp", F.to_timestamp(F.date_add(F.col(DAY), 1))), "24h")


def machine_sensor_7d(tables: dict[str, DataFrame]) -> DataFrame:
    sums = {"_n": "_n", **{f"_{k}_{name}": f"_{k}_{name}" for name in SENSORS for k in ("sum", "sq")}}
    rolled = rolling_daily_sums(_readings_daily(tables), "machine_id", sums, 7,
                                maxes={f"_max_{name}": f"_max_{name}" for name in SENSORS})
    return _stats(rolled, "7d")


def _calendar_days(tables: dict[str, DataFrame]) -> DataFrame:
    """(machine_id, event_timestamp): the end of every day from the machine's first reading to its
    last, the days it stood still for a repair too (so the first prediction after it is current)."""
    span = tables["silver.sensor_readings"].groupBy("machine_id").agg(
        F.min(F.to_date("read_at")).alias("_first"), F.max(F.to_date("read_at")).alias("_last"))
    days = span.select("machine_id", F.explode(F.sequence("_first", "_last")).alias(DAY))
    return days.select("machine_id", F.to_timestamp(F.date_add(F.col(DAY), 1)).alias("event_timestamp"))


def _days_since(at: F.Column, since: F.Column) -> F.Column:
    return (F.unix_timestamp(at) - F.unix_timestamp(since)) / SECONDS_PER_DAY


def machine_service_history(tables: dict[str, DataFrame]) -> DataFrame:
    """As of the end of each day: days since any maintenance job, and since the last repair,
    counting only jobs already entered by then (a job is on the timeline when it was entered, its
    updated_at, so a work order typed in the next morning cannot leak into that morning's prediction)."""
    jobs = tables["silver.maintenance_events"].select(
        "machine_id", F.greatest("performed_at", "updated_at").alias("_t"), F.lit(1).alias("_job"),
        F.col("performed_at").alias("_done"), (F.col("kind") == "corrective").alias("_repair"))
    days = _calendar_days(tables).select("machine_id", F.col("event_timestamp").alias("_t"), F.lit(0).alias("_job"),
                                        F.lit(None).cast("timestamp").alias("_done"), F.lit(False).alias("_repair"))
    # At equal times the day sorts first: a job entered at exactly midnight counts from the next day.
    upto = Window.partitionBy("machine_id").orderBy("_t", "_job").rowsBetween(Window.unboundedPreceding, 0)
    timeline = jobs.unionByName(days).select(
        "machine_id", "_t", "_job",
        F.max("_done").over(upto).alias("_last_job"),
        F.max(F.when(F.col("_repair"), F.col("_done"))).over(upto).alias("_last_repair"),
    )
    return timeline.filter(F.col("_job") == 0).select(
        "machine_id", F.col("_t").alias("event_timestamp"),
        _days_since(F.col("_t"), F.col("_last_job")).alias("days_since_maintenance"),
        _days_since(F.col("_t"), F.col("_last_repair")).alias("days_since_repair"),
    )


def machine_profile(tables: dict[str, DataFrame]) -> DataFrame:
    """Model type and rated power (reference data, the latest record in silver), and the age in
    years as of the end of each day."""
    machines = tables["silver.machines"].select("machine_id", "model_type", "rated_power_kw", "install_date")
    return _calendar_days(tables).join(machines, "machine_id").select(
        "machine_id", "event_timestamp", "model_type", "rated_power_kw",
        (F.datediff(F.to_date("event_timestamp"), F.col("install_date")) / 365.25).alias("machine_age_years"),
    )


def _sensor_features(suffix: str, window: str) -> tuple[Feature, ...]:
    return tuple(
        Feature(f"{name}_{stat}_{suffix}", "double", f"{word} {name} ({UNITS[name]}) over {window}")
        for name in SENSORS
        for stat, word in (("mean", "mean"), ("max", "highest"), ("std", "standard deviation of"))
    )


VIEWS: tuple[FeatureView, ...] = (
    FeatureView(
        name="machine_sensor_24h", entity="machine_id", sources=("silver.sensor_readings",),
        transformation=machine_sensor_24h, owner=OWNER, ttl=dt.timedelta(days=2), availability_lag=SENSOR_LAG,
        description="Each sensor's mean, maximum and standard deviation over the machine's last full day.",
        features=_sensor_features("24h", "the last day"),
    ),
    FeatureView(
        name="machine_sensor_7d", entity="machine_id", sources=("silver.sensor_readings",),
        transformation=machine_sensor_7d, owner=OWNER, ttl=dt.timedelta(days=8), availability_lag=SENSOR_LAG,
        description="Each sensor's mean, maximum and standard deviation over the machine's last 7 days.",
        features=_sensor_features("7d", "the last 7 days"),
    ),
    FeatureView(
        name="machine_service_history", entity="machine_id",
        sources=("silver.maintenance_events", "silver.sensor_readings"),
        transformation=machine_service_history, owner=OWNER, ttl=dt.timedelta(days=2), availability_lag=SENSOR_LAG,
        description="Time since the machine's last maintenance job of any kind, and since its last repair.",
        features=(
            Feature("days_since_maintenance", "double", "days since the last maintenance job (preventive, corrective or inspection)"),
            Feature("days_since_repair", "double", "days since the last corrective job (missing when none is on record)"),
        ),
    ),
    FeatureView(
        name="machine_profile", entity="machine_id", sources=("silver.machines", "silver.sensor_readings"),
        transformation=machine_profile, owner=OWNER, ttl=dt.timedelta(days=2), availability_lag=SENSOR_LAG,
        description="The machine's model type, rated power and age.",
        features=(
            Feature("model_type", "string", "the machine's model type"),
            Feature("rated_power_kw", "double", "nameplate power in kW"),
            Feature("machine_age_years", "double", "years since installation"),
        ),
    ),
)
