"""The insurer's silver tables (claims triage): how each is conformed and what it expects.

Columns named `_check_*` exist only for expectations and never reach silver.
"""

from __future__ import annotations

from lakehouse_assets.contracts import ColumnContract as Col
from lakehouse_assets.domains.claims import conform, sources
from lakehouse_assets.expectations import Expectation
from lakehouse_assets.silver.conform import AGE_BAND_LABELS
from lakehouse_assets.silver.table import NO_RESCUED_DATA, SilverTable, is_one_of

# A claim of a billion is a unit or feed error upstream, not a claim: it stops the line.
AMOUNT_CIRCUIT_BREAKER = 10_000_000
UPDATED_AT = Col("updated_at", "timestamp", nullable=False, description="when the source last changed the record")

MEMBERS = SilverTable(
    source=sources.MEMBERS,
    conform=conform.conform_members,
    expectations=(
        Expectation("member_id_present", "member_token IS NOT NULL", "drop"),
        Expectation("updated_at_valid", "updated_at IS NOT NULL", "drop"),
        NO_RESCUED_DATA,
        Expectation("date_of_birth_valid", "_check_date_of_birth BETWEEN date'1900-01-01' AND current_date()", "warn"),
        Expectation("sex_known", is_one_of("sex", sources.SEXES), "warn"),
        Expectation("region_known", is_one_of("region", sources.REGIONS), "drop"),
        Expectation("plan_type_known", is_one_of("plan_type", sources.PLAN_TYPES), "warn"),
    ),
    description="Members, pseudonymized: keyed member token, age band, region, plan, chronic conditions.",
    key=("member_token",),
    columns=(
        Col("member_token", "string", nullable=False, description="HMAC-SHA256 token of the member id"),
        Col("age_band", "string", nullable=False, one_of=AGE_BAND_LABELS),
        Col("sex", "string"),
        Col("region", "string", nullable=False, one_of=sources.REGIONS),
        Col("state", "string"),
        Col("plan_type", "string"),
        Col("chronic_conditions", "array<string>", nullable=False),
        Col("chronic_condition_count", "int", nullable=False, minimum=0),
        Col("enrollment_date", "date"),
        UPDATED_AT,
    ),
    minimized=("member_token", "age_band"),
)

PROVIDERS = SilverTable(
    source=sources.PROVIDERS,
    conform=conform.conform_providers,
    expectations=(
        Expectation("provider_id_present", "provider_id IS NOT NULL AND provider_id <> ''", "drop"),
        Expectation("updated_at_valid", "updated_at IS NOT NULL", "drop"),
        NO_RESCUED_DATA,
        Expectation("network_status_known", is_one_of("network_status", sources.NETWORK_STATUSES), "drop"),
        Expectation("specialty_known", is_one_of("specialty", sources.SPECIALTIES), "warn"),
    ),
    description="Treating providers with specialty, region and network status.",
    key=("provider_id",),
    columns=(
        Col("provider_id", "string", nullable=False),
        Col("provider_name", "string"),
        Col("specialty", "string"),
        Col("region", "string"),
        Col("network_status", "string", nullable=False, one_of=sources.NETWORK_STATUSES),
        UPDATED_AT,
    ),
)

CLAIMS = SilverTable(
    source=sources.CLAIMS,
    conform=conform.conform_claims,
    expectations=(
        Expectation("claim_id_present", "claim_id IS NOT NULL AND claim_id <> ''", "drop"),
        Expectation("member_id_present", "member_token IS NOT NULL", "drop"),
        Expectation("provider_id_present", "provider_id IS NOT NULL AND provider_id <> ''", "drop"),
        Expectation("updated_at_valid", "updated_at IS NOT NULL", "drop"),
        NO_RESCUED_DATA,
        Expectation("service_date_valid", "service_date IS NOT NULL AND service_date <= current_date()", "drop"),
        Expectation("submission_date_valid", "submission_date IS NOT NULL AND submission_date >= service_date", "drop"),
        Expectation("amount_numeric", "amount IS NOT NULL", "drop"),
        Expectation("amount_non_negative", "amount >= 0", "drop"),
        Expectation("procedure_code_known", "procedure_group <> 'unknown'", "drop"),
        Expectation("diagnosis_code_known", "diagnosis_code RLIKE '^[A-TV-Z][0-9][0-9A-Z](\\\\.[0-9A-Z]{1,4})?$'", "warn"),
        Expectation("channel_known", is_one_of("channel", sources.CHANNELS), "warn"),
        Expectation("amount_below_circuit_breaker", f"amount IS NULL OR amount < {AMOUNT_CIRCUIT_BREAKER}", "fail"),
    ),
    description="Claims, typed and deduplicated (latest correction wins), member id pseudonymized.",
    key=("claim_id",),
    columns=(
        Col("claim_id", "string", nullable=False),
        Col("member_token", "string", nullable=False, description="HMAC-SHA256 token of the member id"),
        Col("provider_id", "string", nullable=False),
        Col("service_date", "date", nullable=False),
        Col("submission_date", "date", nullable=False),
        Col("days_to_submit", "bigint", nullable=False, minimum=0),
        Col("diagnosis_code", "string"),
        Col("diagnosis_group", "string", nullable=False),
        Col("procedure_code", "string"),
        Col("procedure_group", "string", nullable=False),
        Col("amount", "double", nullable=False, minimum=0, below=AMOUNT_CIRCUIT_BREAKER),
        Col("channel", "string"),
        UPDATED_AT,
    ),
    minimized=("member_token",),
)

CLAIM_OUTCOMES = SilverTable(
    source=sources.CLAIM_OUTCOMES,
    conform=conform.conform_claim_outcomes,
    expectations=(
        Expectation("claim_id_present", "claim_id IS NOT NULL AND claim_id <> ''", "drop"),
        Expectation("updated_at_valid", "updated_at IS NOT NULL", "drop"),
        NO_RESCUED_DATA,
        Expectation("needs_review_is_flag", "needs_review IN (0, 1)", "drop"),
        Expectation("decided_at_valid", "decided_at IS NOT NULL", "drop"),
    ),
    description="Clinical-review outcomes per claim: the label of the triage model.",
    key=("claim_id",),
    columns=(
        Col("claim_id", "string", nullable=False),
        Col("needs_review", "int", nullable=False, one_of=(0, 1)),
        Col("decided_at", "timestamp", nullable=False),
        UPDATED_AT,
    ),
)

SILVER_TABLES = (MEMBERS, PROVIDERS, CLAIMS, CLAIM_OUTCOMES)
