"""The feature views of the claims-triage use case (member and provider features), registered in
ml_assets.features.definitions.FEATURE_VIEWS.

Request-time claim features (amount, procedure and diagnosis groups, days to submit, channel) live
in ml_assets/features/request.py: they are computed from the request itself, inside the model.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from ml_assets.features.views import Feature, FeatureView
from ml_assets.features.windows import DAY, cumulative_daily_sums, rate, rolling_daily_sums

OWNER = "team:claims-ml"
CHRONIC = ("diabetes", "chf", "copd", "ckd", "hypertension", "cancer")


def _claims_daily(tables: dict[str, DataFrame], key: str) -> DataFrame:
    claims = tables["silver.claims"]
    return claims.groupBy(key, F.col("submission_date").alias(DAY)).agg(
        F.count(F.lit(1)).alias("_claims"), F.sum("amount").alias("_amount")
    )


def _decisions_daily(tables: dict[str, DataFrame], key: str) -> DataFrame:
    outcomes = tables["silver.claim_outcomes"].select("claim_id", "needs_review", "decided_at")
    claims = tables["silver.claims"].select("claim_id", key)
    return (
        outcomes.join(claims, "claim_id")
        .groupBy(key, F.to_date("decided_at").alias(DAY))
        .agg(F.count(F.lit(1)).alias("_decided"), F.sum("needs_review").alias("_reviewed"))
    )


def member_claims_90d(tables: dict[str, DataFrame]) -> DataFrame:
    rolled = rolling_daily_sums(_claims_daily(tables, "member_token"), "member_token",
                                {"member_claims_90d": "_claims", "member_amount_90d": "_amount"}, 90)
    return rolled.withColumn("member_avg_amount_90d", rate("member_amount_90d", "member_claims_90d"))


def member_review_history(tables: dict[str, DataFrame]) -> DataFrame:
    summed = cumulative_daily_sums(_decisions_daily(tables, "member_token"), "member_token",
                                   {"member_prior_decided": "_decided", "_reviewed_total": "_reviewed"})
    return summed.withColumn("member_prior_review_rate", rate("_reviewed_total", "member_prior_decided")).drop("_reviewed_total")


def member_profile(tables: dict[str, DataFrame]) -> DataFrame:
    members = tables["silver.members"]
    flags = [F.array_contains("chronic_conditions", c).cast("int").alias(f"member_has_{c}") for c in CHRONIC]
    return members.select(
        "member_token",
        F.to_timestamp("enrollment_date").alias("event_timestamp"),
        F.col("age_band").alias("member_age_band"),
        F.col("chronic_condition_count").alias("member_chronic_count"),
        *flags,
    )


def provider_claims_90d(tables: dict[str, DataFrame]) -> DataFrame:
    return rolling_daily_sums(_claims_daily(tables, "provider_id"), "provider_id",
                              {"provider_claims_90d": "_claims"}, 90)


def provider_review_history(tables: dict[str, DataFrame]) -> DataFrame:
    summed = cumulative_daily_sums(_decisions_daily(tables, "provider_id"), "provider_id",
                                   {"provider_prior_decided": "_decided", "_reviewed_total": "_reviewed"})
    return summed.withColumn("provider_prior_review_rate", rate("_reviewed_total", "provider_prior_decided")).drop("_reviewed_total")


def provider_profile(tables: dict[str, DataFrame]) -> DataFrame:
    # Reference data: silver keeps the latest record, taken as valid from the start of time.
    return tables["silver.providers"].select(
        "provider_id",
        F.lit("1970-01-01 00:00:00").cast("timestamp").alias("event_timestamp"),
        (F.col("network_status") == "in").cast("int").alias("provider_in_network"),
        F.col("specialty").alias("provider_specialty"),
    )


VIEWS: tuple[FeatureView, ...] = (
    FeatureView(
        name="member_claims_90d", entity="member_token", sources=("silver.claims",),
        transformation=member_claims_90d, owner=OWNER, ttl=dt.timedelta(days=91),
        description="A member's claims submitted in the 90 days before: count, total and average amount.",
        features=(
            Feature("member_claims_90d", "long", "claims submitted in the last 90 days"),
            Feature("member_amount_90d", "double", "total amount claimed in the last 90 days"),
            Feature("member_avg_amount_90d", "double", "average amount per claim in the last 90 days"),
        ),
    ),
    FeatureView(
        name="member_review_history", entity="member_token", sources=("silver.claims", "silver.claim_outcomes"),
        transformation=member_review_history, owner=OWNER, ttl=dt.timedelta(days=730),
        description="How often a member's earlier claims needed clinical review, by decision date.",
        features=(
            Feature("member_prior_decided", "long", "the member's claims decided so far"),
            Feature("member_prior_review_rate", "double", "share of those that needed clinical review"),
        ),
    ),
    FeatureView(
        name="member_profile", entity="member_token", sources=("silver.members",),
        transformation=member_profile, owner=OWNER,
        description="Age band and chronic-condition indicators, valid from enrollment.",
        features=(
            Feature("member_age_band", "string", "age band (no birth date)"),
            Feature("member_chronic_count", "int", "number of chronic conditions"),
            *[Feature(f"member_has_{c}", "int", f"1 if the member has {c}") for c in CHRONIC],
        ),
    ),
    FeatureView(
        name="provider_claims_90d", entity="provider_id", sources=("silver.claims",),
        transformation=provider_claims_90d, owner=OWNER, ttl=dt.timedelta(days=91),
        description="A provider's claim volume over the 90 days before.",
        features=(Feature("provider_claims_90d", "long", "claims submitted by the provider in the last 90 days"),),
    ),
    FeatureView(
        name="provider_review_history", entity="provider_id", sources=("silver.claims", "silver.claim_outcomes"),
        transformation=provider_review_history, owner=OWNER, ttl=dt.timedelta(days=730),
        description="How often a provider's earlier claims needed clinical review.",
        features=(
            Feature("provider_prior_decided", "long", "the provider's claims decided so far"),
            Feature("provider_prior_review_rate", "double", "share of those that needed clinical review"),
        ),
    ),
    FeatureView(
        name="provider_profile", entity="provider_id", sources=("silver.providers",),
        transformation=provider_profile, owner=OWNER,
        description="Network status and specialty of the provider.",
        features=(
            Feature("provider_in_network", "int", "1 if the provider is in network"),
            Feature("provider_specialty", "string", "the provider's specialty"),
        ),
    ),
)
