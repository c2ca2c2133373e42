-- Share of voice per brand and UTC day over all sources: the brand's C2C mentions divided by
-- the mentions of its competitive set (itself, the watched brands it lists as competitors and
-- those that list it; see int_competitive_sets), plus reach- and engagement-weighted versions.
-- Brands without a watched competitor have no row. A post mentioning two brands of a set counts
-- for both.
with daily_counts as (
    select
        brand_id,
        day,
        sum(mentions) as mentions,
        sum(reach + mentions) as reach_weight,
        sum(engagement + mentions) as engagement_weight
    from public.brand_daily_metrics
    group by brand_id, day
),

competitive_counts as (
    select
        cs.brand_id,
        d.day,
        sum(d.mentions) as set_mentions,
        sum(d.reach_weight) as set_reach_weight,
        sum(d.engagement_weight) as set_engagement_weight
    from analytics.int_competitive_sets as cs
    inner join daily_counts as d on cs.member_brand_id = d.brand_id
    group by cs.brand_id, d.day
)

select
    c.brand_id,
    b.name as brand,
    c.day,
    coalesce(d.mentions, 0) as mentions,
    c.set_mentions,
    coalesce(d.mentions, 0)
    / cast(nullif(c.set_mentions, 0) as double precision) as share_of_voice,
    coalesce(d.reach_weight, 0)
    / cast(nullif(c.set_reach_weight, 0) as double precision) as share_of_voice_reach,
    coalesce(d.engagement_weight, 0)
    / cast(nullif(c.set_engagement_weight, 0) as double precision)
        as share_of_voice_engagement
from competitive_counts as c
inner join public.brands as b on c.brand_id = b.id
left join daily_counts as d on c.brand_id = d.brand_id and c.day = d.day
