-- Weekly net advocacy per brand with a 95% interval: is the brand's word of mouth improving?
-- Adapt: change the brand list, the period, or use date_trunc('month', day) for months.
-- Counts are summed over the week first and the ratio taken after (never average daily
-- ratios). The interval is the adjusted Wald interval used everywhere in Grapevine: one
-- pseudo-mention per label. Non-overlapping intervals mean a real change.
with weekly_counts as (
    select
        brand,
        date_trunc('week', day)::date as week,
        sum(rated) as rated,
        sum(advocacy) as advocacy,
        sum(badvocacy) as badvocacy
    from analytics.brand_metrics_daily
    where day >= current_date - 90
    group by brand, date_trunc('week', day)
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
