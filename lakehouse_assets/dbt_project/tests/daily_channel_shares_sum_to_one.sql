-- Business rule: every claim is counted in exactly one channel share (edi, portal, paper, or
-- other for a channel silver only warned about), so a day's shares add up to 1.
select submission_date, share_edi, share_portal, share_paper, share_other
from {{ ref('daily_claims_kpis') }}
where abs(share_edi + share_portal + share_paper + share_other - 1.0) > 1e-9
