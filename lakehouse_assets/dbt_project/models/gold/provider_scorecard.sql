-- One row per provider: claim volume and amounts, and how often its decided claims needed
-- clinical review. review_rate = reviewed_claims / decided_claims, null while none is decided.
-- The provider's name is not carried into gold.
with claims as (
    select c.claim_id, c.provider_id, c.amount, o.needs_review
    from {{ source('silver', 'claims') }} as c
    left join {{ source('silver', 'claim_outcomes') }} as o
        on o.claim_id = c.claim_id
),

per_provider as (
    select
        provider_id,
        count(*) as claim_volume,
        sum(amount) as total_amount,
        avg(amount) as avg_amount,
        count(needs_review) as decided_claims,
        sum(coalesce(needs_review, 0)) as reviewed_claims
    from claims
    group by provider_id
)

select
    p.provider_id,
    p.specialty,
    p.region,
    p.network_status,
    cast(coalesce(s.claim_volume, 0) as bigint) as claim_volume,
    cast(coalesce(s.total_amount, 0) as double) as total_amount,
    cast(s.avg_amount as double) as avg_amount,
    cast(coalesce(s.decided_claims, 0) as bigint) as decided_claims,
    cast(coalesce(s.reviewed_claims, 0) as bigint) as reviewed_claims,
    case when coalesce(s.decided_claims, 0) > 0
         then cast(s.reviewed_claims as double) / s.decided_claims end as review_rate
from {{ source('silver', 'providers') }} as p
left join per_provider as s
    on s.provider_id = p.provider_id
