-- Net advocacy per brand and UTC day over all sources, with its 95% interval and a trailing
-- 7-day version (counts summed over the 7 days ending that day, then the ratio: a smoother
-- trend line that still says how sure it is). Unsupported-language and unclassified mentions
-- count in `mentions` but not in `rated`, the denominator.
-- Interval: adjusted Wald on the difference of multinomial proportions, one pseudo-mention per
-- label (advocacy, badvocacy, none), clipped to [-100, 100]; see warehouse/metrics.py.
with daily_counts as (
    select
        brand_id,
        day,
        sum(mentions) as mentions,
        sum(rated) as rated,
        sum(advocacy) as advocacy,
        sum(badvocacy) as badvocacy,
        sum(rated_reach) as rated_reach,
        sum(advocacy_reach) as advocacy_reach,
        sum(badvocacy_reach) as badvocacy_reach
    from public.brand_daily_metrics
    group by brand_id, day
),

trailing_week as (
    select
        d.brand_id,
        d.day,
        sum(w.rated) as rated_7d,
        sum(w.advocacy) as advocacy_7d,
        sum(w.badvocacy) as badvocacy_7d
    from daily_counts as d
    inner join daily_counts as w
        on d.brand_id = w.brand_id and w.day > d.day - 7 and w.day <= d.day
    group by d.brand_id, d.day
),

with_intervals as (
    select
        d.*,
        t.rated_7d,
        t.advocacy_7d,
        t.badvocacy_7d,
        cast(d.advocacy - d.badvocacy as double precision) / (d.rated + 3) as centre,
        cast(t.advocacy_7d - t.badvocacy_7d as double precision) / (t.rated_7d + 3) as centre_7d
    from daily_counts as d
    inner join trailing_week as t on d.brand_id = t.brand_id and d.day = t.day
),

with_errors as (
    select
        *,
        sqrt(greatest(
            ((advocacy + badvocacy + 2.0) / (rated + 3.0) - centre ^ 2) / (rated + 3.0), 0.0
        )) as std_error,
        sqrt(greatest(
            ((advocacy_7d + badvocacy_7d + 2.0) / (rated_7d + 3.0) - centre_7d ^ 2)
            / (rated_7d + 3.0),
            0.0
        )) as std_error_7d
    from with_intervals
)

select
    e.brand_id,
    b.name as brand,
    e.day,
    e.mentions,
    e.rated,
    e.advocacy,
    e.badvocacy,
    case
        when e.rated > 0
            then 100.0 * (e.advocacy - e.badvocacy) / cast(e.rated as double precision)
    end as net_advocacy,
    case when e.rated > 0 then greatest(-100.0, 100.0 * (e.centre - 1.959964 * e.std_error)) end
        as net_advocacy_low,
    case when e.rated > 0 then least(100.0, 100.0 * (e.centre + 1.959964 * e.std_error)) end
        as net_advocacy_high,
    case
        when e.rated_reach > 0
            then 100.0 * (e.advocacy_reach - e.badvocacy_reach)
            / cast(e.rated_reach as double precision)
    end as net_advocacy_reach,
    e.rated_7d,
    case
        when e.rated_7d > 0
            then 100.0 * (e.advocacy_7d - e.badvocacy_7d) / cast(e.rated_7d as double precision)
    end as net_advocacy_7d,
    case
        when e.rated_7d > 0
            then greatest(-100.0, 100.0 * (e.centre_7d - 1.959964 * e.std_error_7d))
    end as net_advocacy_7d_low,
    case
        when e.rated_7d > 0
            then least(100.0, 100.0 * (e.centre_7d + 1.959964 * e.std_error_7d))
    end as net_advocacy_7d_high
from with_errors as e
inner join public.brands as b on e.brand_id = b.id
