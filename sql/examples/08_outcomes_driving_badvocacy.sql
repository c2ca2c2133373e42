-- What are customers complaining about, and is it new? Per brand, its badvocacy of the last
-- 7 days of data split by outcome (what the complaint is about: "battery swelled / charger",
-- "refund took weeks"), against the 28 days before. An outcome whose share of the brand's
-- badvocacy jumped (lift well above 1) is what drives a rise; `grapevine alerts` tests the
-- same question with Fisher's exact test and stores the answer in brand_alerts.details.
-- '(no outcome)' is badvocacy about no outcome: posts too unlike any outcome, in a language
-- the embedder does not read, or not read by `grapevine outcomes` yet.
-- lift = recent share / baseline share, the baseline given one extra post so that an outcome
-- new this week gets a finite lift instead of a division by zero.
-- Adapt the `params` row: the last day (default: the latest day in the data), the recent and
-- baseline lengths in days, one brand (default null: every brand).
with params as (
    select
        (select max(day) from analytics.brand_metrics_daily) as last_day,  -- or date '2026-10-16'
        7 as recent_days,
        28 as baseline_days,
        cast(null as text) as brand                                         -- or 'Voltera'
),

brand_totals as (
    select
        m.brand_id,
        m.brand,
        coalesce(sum(m.badvocacy) filter (where m.day > p.last_day - p.recent_days), 0)
            as recent_total,
        coalesce(sum(m.badvocacy) filter (where m.day <= p.last_day - p.recent_days), 0)
            as baseline_total
    from analytics.brand_metrics_daily as m
    cross join params as p
    where m.day > p.last_day - p.recent_days - p.baseline_days
        and m.day <= p.last_day
        and (p.brand is null or m.brand = p.brand)
    group by m.brand_id, m.brand
),

outcome_counts as (
    select
        o.brand_id,
        o.outcome_id,
        o.outcome,
        coalesce(sum(o.badvocacy) filter (where o.day > p.last_day - p.recent_days), 0)
            as recent_badvocacy,
        coalesce(sum(o.badvocacy) filter (where o.day <= p.last_day - p.recent_days), 0)
            as baseline_badvocacy
    from analytics.outcome_mentions_daily as o
    cross join params as p
    where o.day > p.last_day - p.recent_days - p.baseline_days
        and o.day <= p.last_day
    group by o.brand_id, o.outcome_id, o.outcome
),

with_no_outcome as (
    select
        brand_id,
        outcome,
        recent_badvocacy,
        baseline_badvocacy
    from outcome_counts
    union all
    select
        t.brand_id,
        '(no outcome)' as outcome,
        t.recent_total - coalesce(sum(o.recent_badvocacy), 0) as recent_badvocacy,
        t.baseline_total - coalesce(sum(o.baseline_badvocacy), 0) as baseline_badvocacy
    from brand_totals as t
    left join outcome_counts as o on t.brand_id = o.brand_id
    group by t.brand_id, t.recent_total, t.baseline_total
)

select
    t.brand,
    w.outcome,
    w.recent_badvocacy,
    round(100.0 * w.recent_badvocacy / nullif(t.recent_total, 0), 1) as recent_share_pct,
    w.baseline_badvocacy,
    round(100.0 * w.baseline_badvocacy / nullif(t.baseline_total, 0), 1) as baseline_share_pct,
    round(
        (1.0 * w.recent_badvocacy / nullif(t.recent_total, 0))
        / ((w.baseline_badvocacy + 1.0) / (t.baseline_total + 1.0)),
        2
    ) as lift
from with_no_outcome as w
inner join brand_totals as t on w.brand_id = t.brand_id
where w.recent_badvocacy > 0
order by t.brand, w.recent_badvocacy desc, w.outcome;
