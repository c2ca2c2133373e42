-- Badvocacy alerts of 30 days with the posts behind them (largest reach first), and whether
-- the team was notified. Adapt the `params` row: the end of the period (default: the latest
-- alert in the data; use now() for the live view), its length, one brand (null: all).
with params as (
    select
        (select max(window_end) from analytics.brand_alerts) as latest,  -- or now()
        interval '30 days' as period,
        cast(null as text) as brand                                      -- or 'Acme Air'
)

select
    a.brand,
    a.window_start::date as day,
    a.severity,
    a.observed as badvocacy_posts,
    round(a.expected::numeric, 1) as expected,
    round((a.share * 100)::numeric) as share_pct,
    round((a.baseline_share * 100)::numeric) as usual_share_pct,
    a.notified_at,
    post ->> 'url' as post_url,
    (post ->> 'followers')::bigint as followers,
    post ->> 'excerpt' as excerpt
from analytics.brand_alerts as a
cross join params as p
cross join lateral jsonb_array_elements(coalesce(a.top_posts, '[]'::jsonb)) as post
where a.window_end > p.latest - p.period
    and (p.brand is null or a.brand = p.brand)
order by a.window_start desc, a.brand, followers desc nulls last;
