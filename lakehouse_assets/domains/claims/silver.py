"""The insurer's silver tables (claims triage): how each is conformed and what it expects.

Columns named `_check_*` exist only for expectations and never reach silver.
"""

from __future__ import annotations

from lakehouse_assets.domains.claims import conform, sources
from lakehouse_assets.expectations import Expectation
from lakehouse_assets.silver.table import NO_RESCUED_DATA, SilverTable, is_one_of

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
        # A claim of a billion is a unit or feed error upstream, not a claim: stop the line.
        Expectation("amount_below_circuit_breaker", "amount IS NULL OR amount < 10000000", "fail"),
    ),
    description="Claims, typed and deduplicated (latest correction wins), member id pseudonymized.",
    key=("claim_id",),
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
)

SILVER_TABLES = (MEMBERS, PROVIDERS, CLAIMS, CLAIM_OUTCOMES)
