-- The 20 badvocates with the largest audience per brand: who to answer first.
-- author_key is a pseudonym (a keyed hash): it lets you follow one author across posts and
-- sources without storing who they are. Join to stg_posts for their posts and links.
-- Adapt the `params` row: one brand (default null: every brand), how many per brand, and how
-- recent their last post must be (default: 90 days before the latest post in the data).
with params as (
    select
        cast(null as text) as brand,                                          -- or 'Acme Air'
        20 as top_n,
        (select max(last_post_at) from analytics.top_badvocates) as latest,   -- or now()
        interval '90 days' as active_within
)

select
    b.brand,
    b.reach_rank,
    b.author_key,
    b.followers,
    b.badvocacy_posts,
    b.advocacy_posts,
    b.sources,
    b.last_post_at,
    (
        select l.url
        from analytics.int_brand_mentions_labelled as l
        where l.brand_id = b.brand_id and l.author_key = b.author_key
            and l.advocacy = 'badvocacy'
        order by l.created_at desc
        limit 1
    ) as latest_badvocacy_url
from analytics.top_badvocates as b
cross join params as p
where (p.brand is null or b.brand = p.brand)
    and b.reach_rank <= p.top_n
    and b.last_post_at > p.latest - p.active_within
order by b.brand, b.reach_rank;
