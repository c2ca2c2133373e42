-- Share of voice over 30 days against each brand's competitive set (brands.yaml `competitors`,
-- counted both ways), raw and weighted by audience (followers) and engagement.
-- Adapt the `params` row: the last day (default: the latest day in the data), how many days
-- back, and one brand (default null: every brand that has a watched competitor).
with params as (
    select
        (select max(day) from analytics.share_of_voice_daily) as last_day,  -- or date '2026-10-31'
        30 as days_back,
        cast(null as text) as brand                                          -- or 'Acme Air'
)

select
    s.brand,
    sum(s.mentions) as mentions,
    sum(s.set_mentions) as competitive_set_mentions,
    round((sum(s.mentions)::float / nullif(sum(s.set_mentions), 0) * 100)::numeric, 1)
        as share_of_voice_pct,
    round((avg(s.share_of_voice_reach) * 100)::numeric, 1) as avg_daily_reach_share_pct,
    round((avg(s.share_of_voice_engagement) * 100)::numeric, 1) as avg_daily_engagement_share_pct
from analytics.share_of_voice_daily as s
cross join params as p
where s.day > p.last_day - p.days_back
    and s.day <= p.last_day
    and (p.brand is null or s.brand = p.brand)
group by s.brand
order by share_of_voice_pct desc;
