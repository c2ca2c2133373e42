-- Badvocacy alerts raised by `grapevine alerts`, one row per brand, kind and window, with what
-- was observed against the baseline. `top_posts` holds the badvocacy posts with the largest
-- reach (url, source, pseudonymous author_key, followers, an excerpt). `notified_at` is null
-- until every configured channel accepted the notification; `last_error` says why not yet.
select
    a.id as alert_id,
    a.brand_id,
    b.name as brand,
    a.kind,
    a.window_start,
    a.window_end,
    a.observed,
    a.expected,
    a.share,
    a.baseline_share,
    a.p_value,
    a.severity,
    a.details -> 'top_posts' as top_posts,
    a.details,
    a.created_at,
    a.notified_at,
    a.delivery_attempts,
    a.last_error
from public.alerts as a
inner join public.brands as b on a.brand_id = b.id
