"""The insurer's conforming (claims triage): bronze strings into typed, minimized silver columns.

Names, SSN and address are never selected; the member id becomes a keyed token and the date of
birth an age band.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from lakegate.pii import hmac_sha256_hex
from lakehouse_assets.landing import LandingSource
from lakehouse_assets.silver.conform import age_band, date, text, timestamp, with_raw


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
    dob = date("date_of_birth")
    conditions = F.array_compact(
        F.transform(F.split(F.coalesce(F.col("chronic_conditions"), F.lit("")), ";"), lambda c: F.nullif(F.lower(F.trim(c)), F.lit("")))
    )
    return with_raw(
        bronze,
        source,
        hmac_sha256_hex(text("member_id"), hmac_key).alias("member_token"),
        dob.alias("_check_date_of_birth"),
        age_band(dob, F.current_date()).alias("age_band"),
        F.upper(text("sex")).alias("sex"),
        F.lower(text("region")).alias("region"),
        F.upper(text("state")).alias("state"),
        F.lower(text("plan_type")).alias("plan_type"),
        conditions.alias("chronic_conditions"),
        F.size(conditions).alias("chronic_condition_count"),
        date("enrollment_date").alias("enrollment_date"),
        timestamp("updated_at").alias("updated_at"),
    )


def conform_providers(bronze: DataFrame, source: LandingSource, hmac_key: bytes) -> DataFrame:
    return with_raw(
        bronze,
        source,
        text("provider_id").alias("provider_id"),
        text("provider_name").alias("provider_name"),
        F.lower(text("specialty")).alias("specialty"),
        F.lower(text("region")).alias("region"),
        F.lower(text("network_status")).alias("network_status"),
        timestamp("updated_at").alias("updated_at"),
    )


def conform_claims(bronze: DataFrame, source: LandingSource, hmac_key: bytes) -> DataFrame:
    service, submission = date("service_date"), date("submission_date")
    diagnosis = F.upper(text("diagnosis_code"))
    procedure = text("procedure_code")
    return with_raw(
        bronze,
        source,
        text("claim_id").alias("claim_id"),
        hmac_sha256_hex(text("member_id"), hmac_key).alias("member_token"),
        text("provider_id").alias("provider_id"),
        service.alias("service_date"),
        submission.alias("submission_date"),
        F.datediff(submission, service).alias("days_to_submit"),
        diagnosis.alias("diagnosis_code"),
        F.when(diagnosis.rlike("^[A-Z][0-9]"), F.substring(diagnosis, 1, 1)).otherwise(F.lit("unknown")).alias("diagnosis_group"),
        procedure.alias("procedure_code"),
        procedure_group(procedure).alias("procedure_group"),
        F.expr("try_cast(trim(amount) as double)").alias("amount"),
        F.lower(text("channel")).alias("channel"),
        timestamp("updated_at").alias("updated_at"),
    )


def conform_claim_outcomes(bronze: DataFrame, source: LandingSource, hmac_key: bytes) -> DataFrame:
    return with_raw(
        bronze,
        source,
        text("claim_id").alias("claim_id"),
        F.expr("try_cast(trim(needs_review) as int)").alias("needs_review"),
        timestamp("decided_at").alias("decided_at"),
        timestamp("updated_at").alias("updated_at"),
    )
