-- Alerts raised by `grapevine alerts`, one row per brand, kind and window, with what was
-- observed against the baseline. kind 'badvocacy_spike': badvocacy posts (observed) against
-- expected; 'volume_surge': mentions against expected. `top_posts` holds the posts with the
-- largest reach (url, source, pseudonymous author_key, followers, an excerpt). `notified_at` is null
-- until every configured channel accepted the notification; `last_error` says why not yet
-- (without credentials or webhook tokens). `drivers` (badvocacy spikes): the outcomes whose share of
-- the brand's badvocacy rose in the window, with lift, Holm-corrected p-value and example posts.
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
    a.drivers,
    a.created_at,
    a.notified_at,
    a.delivery_attempts,
    -- channels are named by scheme and host only; the replaces also mask what older versions
    -- stored: URL credentials, webhook path tokens, and hosts that are tokens (slack://T0K3N...)
    regexp_replace(
        regexp_replace(
            regexp_replace(
                a.last_error,
                '([a-z][a-z0-9+.-]*://)([^\s/@]*@)?([^\s/?#]*)[^\s]*', '\1\3', 'gi'
            ),
            '://[^\s.:/]{8,}', '://', 'gi'
        ),
        'url: [^\s]+', 'url: ***', 'gi'
    ) as last_error
from public.alerts as a
inner join public.brands as b on a.brand_id = b.id
