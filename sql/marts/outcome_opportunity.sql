-- Which outcomes are important to customers but poorly satisfied, per brand and per
-- competitive set, over the last 28 days of data (the 28 UTC days up to the latest post with
-- an outcome). For any other window call the function behind this view:
--     select * from analytics.outcome_opportunity(timestamptz '2026-10-01', timestamptz '2026-11-01')
-- (the same columns less window_start/window_end; a null bound = open end). The report and
-- `grapevine outcomes` read the same function, so every number agrees.
--
-- Ulwick's outcome-driven opportunity score, measured from what customers tell each other
-- instead of from a survey. Rows: one per brand and outcome (brand_id set), and one per
-- competitive set and outcome (brand_id null) for sets of two or more brands. A set is a group
-- of brands linked by `competitors` (int_competitor_groups); set_name lists its brands.
--   customer               a distinct author (pseudonymous author_key) of C2C mentions.
--   base_customers         customers who mentioned the brand (set: any brand of the set) in the
--                          window in a post the outcomes stage could read (posts in languages
--                          the embedder does not handle are left out, not guessed).
--   customers              those of them whose post is about the outcome.
--   customer_share         customers / base_customers: the share of the brand's (set's)
--                          customers who raise the outcome.
--   importance             0-10, relative: 10 * customer_share / the largest customer_share
--                          among the brand's (set's) outcomes, so its most-raised outcome is
--                          10. (One outcome is raised by a few percent of customers at most;
--                          10 * the raw share would sit near 0 beside any satisfaction.)
--   satisfaction           10 * advocacy / (advocacy + badvocacy) over the mentions about the
--                          outcome (current advocacy model), 0-10; null when none is judged.
--   opportunity            importance + max(importance - satisfaction, 0), 0-20: high when many
--                          customers raise it AND few of them are happy. Above 10 is a gap.
--                          Null when satisfaction is.
--   unsatisfied_customers  distinct customers with a badvocacy mention about the outcome: the
--                          size of the "important but unsatisfied" segment.
--   best_brand             the set's brand with the highest satisfaction on the outcome among
--                          brands with at least 5 judged mentions of it (ties: more judged
--                          mentions); null unless two brands have 5. On brand rows too.
--   mentions, advocacy, badvocacy  per brand; set rows sum the set's brands (a post naming two
--                          brands counts once per brand, customers only once).
-- Caveats: who posts is not who buys (vocal, online, often unhappy customers); a small
-- base_customers makes importance jumpy; satisfaction is only as good as the advocacy model.
with latest as (
    select max(created_at) as last_post_at
    from analytics.int_outcome_mentions
    where outcome_id is not null
),

analysis_window as (
    select
        cast(
            cast(last_post_at at time zone 'UTC' as date) - 27 as timestamp
        ) at time zone 'UTC' as window_start,
        cast(
            cast(last_post_at at time zone 'UTC' as date) + 1 as timestamp
        ) at time zone 'UTC' as window_end
    from latest
    where last_post_at is not null
)

select
    w.window_start,
    w.window_end,
    o.set_id,
    o.set_name,
    o.brand_id,
    o.brand,
    o.outcome_id,
    o.outcome,
    o.base_customers,
    o.customers,
    o.mentions,
    o.advocacy,
    o.badvocacy,
    o.customer_share,
    o.importance,
    o.satisfaction,
    o.opportunity,
    o.unsatisfied_customers,
    o.best_brand_id,
    o.best_brand,
    o.best_brand_satisfaction
from analysis_window as w
cross join lateral analytics.outcome_opportunity(w.window_start, w.window_end) as o
