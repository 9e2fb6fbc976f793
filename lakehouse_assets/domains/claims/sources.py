"""The health insurer's landing sources (claims triage): members, providers, claims, outcomes,
and the code lists silver conforms to."""

from __future__ import annotations

from lakehouse_assets.landing import LandingSource

MEMBERS = LandingSource(
    name="members",
    columns=(
        "member_id", "first_name", "last_name", "ssn", "date_of_birth", "sex",
        "address", "city", "state", "zip", "region", "plan_type", "chronic_conditions",
        "enrollment_date", "updated_at",
    ),
    business_key=("member_id",),
    updated_at="updated_at",
    description="Enrolled members with personal data; chronic_conditions is a ';'-separated list.",
    personal_columns=("member_id", "first_name", "last_name", "ssn", "date_of_birth", "address", "city", "zip"),
)

PROVIDERS = LandingSource(
    name="providers",
    columns=("provider_id", "provider_name", "specialty", "region", "network_status", "updated_at"),
    business_key=("provider_id",),
    updated_at="updated_at",
    description="Treating providers; network_status is 'in' or 'out'.",
)

CLAIMS = LandingSource(
    name="claims",
    columns=(
        "claim_id", "member_id", "provider_id", "service_date", "submission_date",
        "diagnosis_code", "procedure_code", "amount", "channel", "updated_at",
    ),
    business_key=("claim_id",),
    updated_at="updated_at",
    description="Submitted claims; a late correction re-sends a claim_id with a later updated_at.",
    personal_columns=("member_id",),
)

CLAIM_OUTCOMES = LandingSource(
    name="claim_outcomes",
    columns=("claim_id", "needs_review", "decided_at", "updated_at"),
    business_key=("claim_id",),
    updated_at="updated_at",
    description="Whether a claim needed clinical review (1/0); arrives days after the claim.",
)

SOURCES: dict[str, LandingSource] = {s.name: s for s in (MEMBERS, PROVIDERS, CLAIMS, CLAIM_OUTCOMES)}

# Code lists that silver conforms to; the generator draws from the same lists.
REGIONS = ("north", "south", "east", "west", "central")
SEXES = ("F", "M", "X")
PLAN_TYPES = ("hmo", "ppo", "epo", "medicare_adv")
CHANNELS = ("edi", "portal", "paper")
NETWORK_STATUSES = ("in", "out")
SPECIALTIES = (
    "general_practice", "cardiology", "orthopedics", "oncology", "radiology",
    "psychiatry", "dermatology", "emergency", "physical_therapy", "laboratory",
)
CHRONIC_CONDITIONS = ("diabetes", "chf", "copd", "ckd", "hypertension", "cancer")
