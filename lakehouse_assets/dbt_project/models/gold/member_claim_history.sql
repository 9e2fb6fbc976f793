-- One row per member: claim counts and amounts over the last 90 days and all time, as of the
-- latest submission date in silver.claims. The 90-day window is the 90 calendar days ending on
-- the as-of date, both ends included: as_of_date - 89 .. as_of_date.
with claims as (
    select member_token, submission_date, amount
    from {{ source('silver', 'claims') }}
),

as_of as (
    select max(submission_date) as as_of_date from claims
),

per_member as (
    select
        c.member_token,
        count(*) as claims_total,
        sum(c.amount) as amount_total,
        min(c.submission_date) as first_claim_date,
        max(c.submission_date) as last_claim_date,
        sum(case when c.submission_date between date_sub(a.as_of_date, 89) and a.as_of_date
                 then 1 else 0 end) as claims_90d,
        sum(case when c.submission_date between date_sub(a.as_of_date, 89) and a.as_of_date
                 then c.amount else 0 end) as amount_90d
    from claims as c
    cross join as_of as a
    group by c.member_token
)

select
    m.member_token,
    a.as_of_date,
    cast(coalesce(p.claims_90d, 0) as bigint) as claims_90d,
    cast(coalesce(p.amount_90d, 0) as double) as amount_90d,
    cast(coalesce(p.claims_total, 0) as bigint) as claims_total,
    cast(coalesce(p.amount_total, 0) as double) as amount_total,
    p.first_claim_date,
    p.last_claim_date,
    m.age_band,
    m.region,
    m.chronic_condition_count
from {{ source('silver', 'members') }} as m
cross join as_of as a
left join per_member as p
    on p.member_token = m.member_token
