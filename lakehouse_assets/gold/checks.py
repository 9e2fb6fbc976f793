"""Names of the gold asset checks that gates and tests refer to (dbt test names, from gold.yml).

Every dbt test of the gold project is a Dagster asset check on the model it tests; error-severity
tests (all of them) are blocking checks with ERROR severity.
"""

# Keys
MEMBER_TOKEN_UNIQUE = "unique_member_claim_history_member_token"
PROVIDER_ID_UNIQUE = "unique_provider_scorecard_provider_id"
SUBMISSION_DATE_UNIQUE = "unique_daily_claims_kpis_submission_date"

# Business rules
MEMBER_90D_WITHIN_TOTAL = "member_90d_within_total"
DAILY_CHANNEL_SHARES_SUM_TO_ONE = "daily_channel_shares_sum_to_one"
PROVIDER_REVIEW_RATE_IN_RANGE = "provider_scorecard_review_rate_in_range"
DAILY_REVIEW_RATE_IN_RANGE = "daily_claims_kpis_review_rate_in_range"

# No personal data in gold
NO_PII_COLUMNS = {
    "member_claim_history": "member_claim_history_no_pii_columns",
    "provider_scorecard": "provider_scorecard_no_pii_columns",
    "daily_claims_kpis": "daily_claims_kpis_no_pii_columns",
}
