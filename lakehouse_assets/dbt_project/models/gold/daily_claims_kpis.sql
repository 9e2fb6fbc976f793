-- One row per submission date: volume, amounts, submission lag, channel mix and, for the claims
-- already decided, the share that needed clinical review (null while none is decided).
-- Channel shares: edi, portal, paper, and other (any other or missing channel); they add up to 1.
-- Shares are integer counts divided by `/` (a double): avg() of a 1.0/0.0 literal is a decimal
-- average rounded to 5 places, whose shares would not add up to 1.
with claims as (
    select c.submission_date, c.amount, c.days_to_submit, c.channel, o.needs_review
    from {{ source('silver', 'claims') }} as c
    left join {{ source('silver', 'claim_outcomes') }} as o
        on o.claim_id = c.claim_id
)

select
    submission_date,
    count(*) as claims,
    cast(sum(amount) as double) as total_amount,
    cast(avg(amount) as double) as avg_amount,
    cast(avg(days_to_submit) as double) as avg_days_to_submit,
    sum(case when channel = 'edi' then 1 else 0 end) / count(*) as share_edi,
    sum(case when channel = 'portal' then 1 else 0 end) / count(*) as share_portal,
    sum(case when channel = 'paper' then 1 else 0 end) / count(*) as share_paper,
    -- Silver only warns on an unknown channel, so such claims are counted here, not dropped.
    sum(case when channel in ('edi', 'portal', 'paper') then 0 else 1 end) / count(*) as share_other,
    count(needs_review) as decided_claims,
    cast(sum(coalesce(needs_review, 0)) as bigint) as reviewed_claims,
    case when count(needs_review) > 0
         then cast(sum(needs_review) as double) / count(needs_review) end as review_rate
from claims
group by submission_date
