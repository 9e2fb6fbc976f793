"""The manufacturer's conforming (machine failure): bronze strings into typed silver columns.
The technician's employee number becomes a keyed token; nothing else is personal."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakegate.pii import hmac_sha256_hex
from lakehouse_assets.landing import LandingSource
from lakehouse_assets.silver.conform import date, number, text, timestamp, with_raw


def conform_machines(bronze: DataFrame, source: LandingSource, hmac_key: bytes) -> DataFrame:
    return with_raw(
        bronze,
        source,
        text("machine_id").alias("machine_id"),
        F.lower(text("plant")).alias("plant"),
        F.upper(text("line")).alias("line"),
        F.lower(text("model_type")).alias("model_type"),
        date("install_date").alias("install_date"),
        number("rated_power_kw").alias("rated_power_kw"),
        timestamp("updated_at").alias("updated_at"),
    )


def conform_sensor_readings(bronze: DataFrame, source: LandingSource, hmac_key: bytes) -> DataFrame:
    return with_raw(
        bronze,
        source,
        text("machine_id").alias("machine_id"),
        F.lower(text("plant")).alias("plant"),
        timestamp("read_at").alias("read_at"),
        number("temperature_c").alias("temperature_c"),
        number("vibration_mm_s").alias("vibration_mm_s"),
        number("pressure_bar").alias("pressure_bar"),
        number("run_hours").alias("run_hours"),
    )


def conform_maintenance_events(bronze: DataFrame, source: LandingSource, hmac_key: bytes) -> DataFrame:
    return with_raw(
        bronze,
        source,
        text("event_id").alias("event_id"),
        text("machine_id").alias("machine_id"),
        F.lower(text("kind")).alias("kind"),
        timestamp("performed_at").alias("performed_at"),
        number("duration_hours").alias("duration_hours"),
        hmac_sha256_hex(text("technician_id"), hmac_key).alias("technician_token"),
        timestamp("updated_at").alias("updated_at"),
    )


def conform_failure_events(bronze: DataFrame, source: LandingSource, hmac_key: bytes) -> DataFrame:
    return with_raw(
        bronze,
        source,
        text("failure_id").alias("failure_id"),
        text("machine_id").alias("machine_id"),
        timestamp("failed_at").alias("failed_at"),
        F.lower(text("failure_mode")).alias("failure_mode"),
        timestamp("reported_at").alias("reported_at"),
        timestamp("updated_at").alias("updated_at"),
    )
