-- Business rule: the 90-day window is part of the member's whole history, so its counts and
-- amounts can never exceed the all-time figures, and the last claim falls on or before as-of.
select member_token, claims_90d, claims_total, amount_90d, amount_total
from {{ ref('member_claim_history') }}
where claims_90d > claims_total
   or amount_90d > amount_total + 1e-6
   or last_claim_date > as_of_date
   or first_claim_date > last_claim_date
