-- Brand x outcome x day counts for the days from first_day (inclusive) to end_day
-- (exclusive), in the zone given as the timezone parameter (GRAPEVINE_TIMEZONE, default UTC),
-- like brand_daily_metrics. warehouse.outcomes.recompute_outcome_daily runs this insert into a
-- staging table and merges it in the caller's transaction, so a rerun never adds rows.
-- To try it by hand, replace the three parameters with two dates and a zone name ('UTC') and
-- drop the insert line.
--
-- Definitions (public.outcome_daily):
--   mentions   C2C mentions of the brand in posts assigned to the outcome (the mentions of
--              int_brand_mentions_labelled: brand-owned posts left out, replies that name no
--              brand counted toward the brand of the post they answer).
--   customers  distinct authors (pseudonymous author_key) of those mentions that day. Do not
--              sum over days: one customer posting on two days is one customer, not two
--              (outcome_opportunity counts customers over its whole window).
--   advocacy, badvocacy
--              mentions the current advocacy model labelled so; mentions not classified yet
--              or in a language the model does not handle count in mentions only.
insert into public.outcome_daily (
    brand_id, outcome_id, day, mentions, customers, advocacy, badvocacy
)

with assigned_mentions as (
    select
        brand_id,
        outcome_id,
        cast(created_at at time zone :timezone as date) as day,
        author_key,
        advocacy
    from analytics.int_outcome_mentions
    where
        outcome_id is not null
        -- local midnights as instants: the same days as the cast above, and an index can help
        and created_at >= cast(:first_day as date)::timestamp at time zone :timezone
        and created_at < cast(:end_day as date)::timestamp at time zone :timezone
)

select
    brand_id,
    outcome_id,
    day,
    count(*) as mentions,
    count(distinct author_key) as customers,
    count(*) filter (where advocacy = 'advocacy') as advocacy,
    count(*) filter (where advocacy = 'badvocacy') as badvocacy
from assigned_mentions
group by brand_id, outcome_id, day
