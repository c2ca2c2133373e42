-- Does the loud minority agree with everyone else? Net advocacy per brand and source over 30
-- days, counting every post once (raw), weighting by the author's audience (reach) and by the
-- post's likes, replies and reposts (engagement). A reach score far below the raw one means
-- influential authors are more negative than the crowd.
-- Adapt the `params` row: the last day (default: the latest day in the data), how many days
-- back, and one brand (default null: every brand).
with params as (
    select
        (select max(day) from analytics.brand_metrics_daily) as last_day,  -- or date '2026-10-31'
        30 as days_back,
        cast(null as text) as brand                                         -- or 'Acme Air'
)

select
    m.brand,
    m.source,
    sum(m.rated) as rated,
    round((100.0 * (sum(m.advocacy) - sum(m.badvocacy)) / nullif(sum(m.rated), 0))::numeric, 1)
        as net_advocacy,
    round((100.0 * (sum(m.advocacy_reach) - sum(m.badvocacy_reach))
        / nullif(sum(m.rated_reach), 0))::numeric, 1) as net_advocacy_reach,
    round((100.0 * (sum(m.advocacy_engagement) - sum(m.badvocacy_engagement))
        / nullif(sum(m.rated_engagement), 0))::numeric, 1) as net_advocacy_engagement
from analytics.brand_metrics_daily as m
cross join params as p
where m.day > p.last_day - p.days_back
    and m.day <= p.last_day
    and (p.brand is null or m.brand = p.brand)
group by m.brand, m.source
order by m.brand, m.source;
