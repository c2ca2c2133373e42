-- Which customer outcomes are important but poorly satisfied, and which competitor satisfies
-- them best? An outcome is what customers try to get done or what went wrong for them
-- ("battery swelled / charger", "refund took weeks"), shared by every brand of a market.
-- Per brand, its outcomes over the last 28 days of data, the biggest opportunity first:
--   importance    0-10: the share of the brand's customers who raise the outcome
--   satisfaction  0-10: the share of judged mentions about it that are advocacy
--   opportunity   0-20: importance + max(importance - satisfaction, 0); above 10 = a gap
--   unsatisfied   customers with a badvocacy post about it: the segment to win back
--   best_brand    the competitor with the highest satisfaction on it (5+ judged mentions)
-- and the same scores for the whole competitive set (set_*), to tell a brand's own problem
-- from the market's. Customers are the people who post: not necessarily who buys.
-- Adapt the `params` row: one brand (default null: every brand), the fewest customers an
-- outcome needs to be listed, how many outcomes per brand. For another window than the last
-- 28 days, replace `analytics.outcome_opportunity` in brand_rows and set_rows by
-- `analytics.outcome_opportunity(timestamptz '2026-10-01', timestamptz '2026-11-01')`.
with params as (
    select
        cast(null as text) as brand,  -- or 'Voltera'
        3 as min_customers,           -- outcomes fewer customers raise are noise
        10 as top_n                   -- outcomes per brand
),

brand_rows as (
    select *
    from analytics.outcome_opportunity
    where brand_id is not null
),

set_rows as (
    select *
    from analytics.outcome_opportunity
    where brand_id is null
),

ranked as (
    select
        b.*,
        row_number() over (
            partition by b.brand_id
            order by b.opportunity desc nulls last, b.customers desc, b.outcome_id
        ) as opportunity_rank
    from brand_rows as b
    cross join params as p
    where (p.brand is null or b.brand = p.brand)
        and b.customers >= p.min_customers
)

select
    r.brand,
    r.opportunity_rank,
    r.outcome,
    r.customers,
    r.base_customers as brand_customers,
    round(cast(r.importance as numeric), 1) as importance,
    round(cast(r.satisfaction as numeric), 1) as satisfaction,
    round(cast(r.opportunity as numeric), 1) as opportunity,
    r.unsatisfied_customers as unsatisfied,
    r.best_brand,
    round(cast(r.best_brand_satisfaction as numeric), 1) as best_brand_satisfaction,
    s.set_name,
    round(cast(s.importance as numeric), 1) as set_importance,
    round(cast(s.satisfaction as numeric), 1) as set_satisfaction,
    round(cast(s.opportunity as numeric), 1) as set_opportunity,
    s.unsatisfied_customers as set_unsatisfied,
    r.window_start::date as first_day,
    (r.window_end - interval '1 day')::date as last_day
from ranked as r
cross join params as p
left join set_rows as s on r.set_id = s.set_id and r.outcome_id = s.outcome_id
where r.opportunity_rank <= p.top_n
order by r.brand, r.opportunity_rank;
