"""Typing and conforming of bronze rows into silver columns: plain PySpark, engine-agnostic.

Each function takes the bronze DataFrame (raw strings) and returns the silver columns, with the
untouched raw row kept in a `_raw` struct so a quarantined row keeps what arrived. Personal data is
minimized here: names, SSN and address are never selected, the member id becomes a keyed token and
the date of birth an age band.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from lakegate.pii import hmac_sha256_hex
from lakehouse_assets.sources import LandingSource

# Ordering of versions of one business key: the latest update wins, then the latest arrival.
LINEAGE_COLUMNS = ("_source_file", "_row_number", "_ingested_at", "_rescued_data")
AGE_BANDS = ((0, 17, "0-17"), (18, 34, "18-34"), (35, 49, "35-49"), (50, 64, "50-64"), (65, 200, "65+"))


def _str(name: str) -> Column:
    return F.trim(F.col(name))


def _date(name: str) -> Column:
    return F.expr(f"try_cast(trim({name}) as date)")


def _timestamp(name: str) -> Column:
    return F.expr(f"try_cast(trim({name}) as timestamp)")


def _with_raw(bronze: DataFrame, source: LandingSource, *silver_columns: Column) -> DataFrame:
    raw = F.struct(*[F.col(c) for c in source.columns])
    return bronze.select(*silver_columns, *[F.col(c) for c in LINEAGE_COLUMNS], raw.alias("_raw"))


def age_band(date_of_birth: Column, as_of: Column) -> Column:
    years = F.floor(F.months_between(as_of, date_of_birth) / 12)
    band = F.lit("unknown")
    for low, high, label in reversed(AGE_BANDS):
        band = F.when((years >= low) & (years <= high), F.lit(label)).otherwise(band)
    return band


def procedure_group(code: Column) -> Column:
    """CPT-style ranges: what kind of service a procedure code is."""
    n = F.expr("try_cast(procedure_code as int)")
    return (
        F.when(~code.rlike("^[0-9]{5}$"), F.lit("unknown"))
        .when(n < 10000, F.lit("anesthesia"))
        .when(n < 70000, F.lit("surgery"))
        .when(n < 80000, F.lit("radiology"))
        .when(n < 90000, F.lit("laboratory"))
        .when(n >= 99000, F.lit("evaluation_management"))
        .otherwise(F.lit("medicine"))
    )


def conform_members(bronze: DataFrame, source: LandingSource, hmac_key: bytes) -> DataFrame:
    dob = _date("date_of_birth")
    conditions = F.array_compact(
        F.transform(F.split(F.coalesce(F.col("chronic_conditions"), F.lit("")), ";"), lambda c: F.nullif(F.lower(F.trim(c)), F.lit("")))
    )
    return _with_raw(
        bronze,
        source,
        hmac_sha256_hex(_str("member_id"), hmac_key).alias("member_token"),
        dob.alias("_check_date_of_birth"),
        age_band(dob, F.current_date()).alias("age_band"),
        F.upper(_str("sex")).alias("sex"),
        F.lower(_str("region")).alias("region"),
        F.upper(_str("state")).alias("state"),
        F.lower(_str("plan_type")).alias("plan_type"),
        conditions.alias("chronic_conditions"),
        F.size(conditions).alias("chronic_condition_count"),
        _date("enrollment_date").alias("enrollment_date"),
        _timestamp("updated_at").alias("updated_at"),
    )


def conform_providers(bronze: DataFrame, source: LandingSource, hmac_key: bytes) -> DataFrame:
    return _with_raw(
        bronze,
        source,
        _str("provider_id").alias("provider_id"),
        _str("provider_name").alias("provider_name"),
        F.lower(_str("specialty")).alias("specialty"),
        F.lower(_str("region")).alias("region"),
        F.lower(_str("network_status")).alias("network_status"),
        _timestamp("updated_at").alias("updated_at"),
    )


def conform_claims(bronze: DataFrame, source: LandingSource, hmac_key: bytes) -> DataFrame:
    service, submission = _date("service_date"), _date("submission_date")
    diagnosis = F.upper(_str("diagnosis_code"))
    procedure = _str("procedure_code")
    return _with_raw(
        bronze,
        source,
        _str("claim_id").alias("claim_id"),
        hmac_sha256_hex(_str("member_id"), hmac_key).alias("member_token"),
        _str("provider_id").alias("provider_id"),
        service.alias("service_date"),
        submission.alias("submission_date"),
        F.datediff(submission, service).alias("days_to_submit"),
        diagnosis.alias("diagnosis_code"),
        F.when(diagnosis.rlike("^[A-Z][0-9]"), F.substring(diagnosis, 1, 1)).otherwise(F.lit("unknown")).alias("diagnosis_group"),
        procedure.alias("procedure_code"),
        procedure_group(procedure).alias("procedure_group"),
        F.expr("try_cast(trim(amount) as double)").alias("amount"),
        F.lower(_str("channel")).alias("channel"),
        _timestamp("updated_at").alias("updated_at"),
    )


def conform_claim_outcomes(bronze: DataFrame, source: LandingSource, hmac_key: bytes) -> DataFrame:
    return _with_raw(
        bronze,
        source,
        _str("claim_id").alias("claim_id"),
        F.expr("try_cast(trim(needs_review) as int)").alias("needs_review"),
        _timestamp("decided_at").alias("decided_at"),
        _timestamp("updated_at").alias("updated_at"),
    )
