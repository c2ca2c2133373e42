-- Weekly net advocacy per brand with a 95% interval: is the brand's word of mouth improving?
-- Adapt the `params` row: the last day (default: the latest day in the data), how many days
-- back, and one brand (default null: every brand); or use date_trunc('month', day) for months.
-- Counts are summed over the week first and the ratio taken after (never average daily
-- ratios). The interval is the adjusted Wald interval used everywhere in Grapevine: one
-- pseudo-mention per label. Non-overlapping intervals mean a real change.
with params as (
    select
        (select max(day) from analytics.brand_metrics_daily) as last_day,  -- or date '2026-10-31'
        90 as days_back,
        cast(null as text) as brand                                         -- or 'Acme Air'
),

weekly_counts as (
    select
        m.brand,
        date_trunc('week', m.day)::date as week,
        sum(m.rated) as rated,
        sum(m.advocacy) as advocacy,
        sum(m.badvocacy) as badvocacy
    from analytics.brand_metrics_daily as m
    cross join params as p
    where m.day > p.last_day - p.days_back
        and m.day <= p.last_day
        and (p.brand is null or m.brand = p.brand)
    group by m.brand, date_trunc('week', m.day)
),

adjusted as (
    select
        *,
        (advocacy - badvocacy)::float / (rated + 3) as centre,
        sqrt(greatest(
            (advocacy + badvocacy + 2)::float / (rated + 3)
            - ((advocacy - badvocacy)::float / (rated + 3)) ^ 2,
            0
        ) / (rated + 3)) as std_error
    from weekly_counts
)

select
    brand,
    week,
    rated,
    round((100.0 * (advocacy - badvocacy) / nullif(rated, 0))::numeric, 1) as net_advocacy,
    round((100 * greatest(-1, centre - 1.96 * std_error))::numeric, 1) as low,
    round((100 * least(1, centre + 1.96 * std_error))::numeric, 1) as high
from adjusted
order by brand, week;
