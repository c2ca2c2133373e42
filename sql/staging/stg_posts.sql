-- One row per collected post, as analysts should see it: no author handles, no raw payloads.
-- Timestamps are UTC; `day` is the UTC calendar day used by every daily metric.
select
    p.id as post_id,
    p.source,
    p.source_id,
    p.url,
    p.author_key,
    p.author_followers,
    p.created_at,
    (p.created_at at time zone 'UTC')::date as day,
    p.text,
    p.lang,
    p.parent_id,
    p.thread_id,
    p.likes,
    p.replies,
    p.reposts,
    p.score,
    p.is_c2c
from public.posts as p
