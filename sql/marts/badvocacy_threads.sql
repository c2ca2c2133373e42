-- Conversation threads where badvocacy about a brand spreads: one row per brand and thread
-- (source + thread_id) with at least one badvocacy post. `badvocates` > 1 means more than one
-- customer joined in; `spread_hours` is how long it has been going. `root_url` links to the
-- thread's first post we collected. Order by badvocates and reach to find fires to put out.
-- Replies that name no brand ("same here", "don't, they never refund") are judged toward the
-- brand of the post they answer and count here; `inherited_badvocacy_posts` says how many of
-- the badvocacy posts are such replies: customers piling on.
with thread_mentions as (
    select
        brand_id,
        brand,
        source,
        coalesce(thread_id, source_id) as thread_id,  -- a root stored without one
        post_id,
        author_key,
        created_at,
        url,
        followers,
        interactions,
        advocacy,
        inherited
    from analytics.int_brand_mentions_labelled
    where is_rated
),

threads as (
    select
        brand_id,
        brand,
        source,
        thread_id,
        count(*) as rated_posts,
        count(*) filter (where advocacy = 'badvocacy') as badvocacy_posts,
        count(*) filter (where advocacy = 'badvocacy' and inherited) as inherited_badvocacy_posts,
        count(*) filter (where advocacy = 'advocacy') as advocacy_posts,
        count(distinct author_key) filter (where advocacy = 'badvocacy') as badvocates,
        sum(followers) filter (where advocacy = 'badvocacy') as badvocacy_reach,
        sum(interactions) filter (where advocacy = 'badvocacy') as badvocacy_interactions,
        min(created_at) as first_post_at,
        max(created_at) filter (where advocacy = 'badvocacy') as last_badvocacy_at
    from thread_mentions
    group by brand_id, brand, source, thread_id
),

thread_roots as (
    select distinct on (brand_id, source, thread_id)
        brand_id,
        source,
        thread_id,
        url as root_url
    from thread_mentions
    order by brand_id, source, thread_id, created_at, post_id
)

select
    t.brand_id,
    t.brand,
    t.source,
    t.thread_id,
    r.root_url,
    t.rated_posts,
    t.badvocacy_posts,
    t.inherited_badvocacy_posts,
    t.advocacy_posts,
    t.badvocates,
    t.badvocacy_reach,
    t.badvocacy_interactions,
    t.first_post_at,
    t.last_badvocacy_at,
    round(cast(extract(epoch from t.last_badvocacy_at - t.first_post_at) / 3600.0 as numeric), 1)
        as spread_hours
from threads as t
inner join thread_roots as r
    on t.brand_id = r.brand_id and t.source = r.source and t.thread_id = r.thread_id
where t.badvocacy_posts > 0
