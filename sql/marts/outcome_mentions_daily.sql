-- Mentions per brand, outcome and day, as computed by `grapevine outcomes` into
-- public.outcome_daily: what customers said about each brand, day by day, from the current
-- advocacy model only. Days are calendar days in GRAPEVINE_TIMEZONE (UTC by default), like
-- brand_metrics_daily.
-- `mentions` counts C2C mentions of the brand in posts about the outcome; `customers` their
-- distinct authors that day (do not sum customers over days: one customer on two days is one
-- customer; outcome_opportunity counts them over a whole window); `advocacy` and `badvocacy`
-- the mentions labelled so, `judged` = advocacy + badvocacy.
-- satisfaction = 10 * advocacy / judged (0-10, null when nothing was judged): roll days up by
-- summing advocacy and judged first, never by averaging daily satisfaction.
select
    d.brand_id,
    b.name as brand,
    d.outcome_id,
    o.label as outcome,
    o.status as outcome_status,
    d.day,
    d.mentions,
    d.customers,
    d.advocacy,
    d.badvocacy,
    d.advocacy + d.badvocacy as judged,
    case
        when d.advocacy + d.badvocacy > 0
            then 10.0 * d.advocacy / (d.advocacy + d.badvocacy)
    end as satisfaction,
    d.computed_at
from public.outcome_daily as d
inner join public.brands as b on d.brand_id = b.id
inner join public.outcomes as o on d.outcome_id = o.id
