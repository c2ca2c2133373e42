-- The 20 badvocates with the largest audience for one brand: who to answer first.
-- author_key is a pseudonym (a keyed hash): it lets you follow one author across posts and
-- sources without storing who they are. Join to stg_posts for their posts and links.
-- Adapt: the brand name, and `last_post_at` to keep only recent complainers.
select
    b.reach_rank,
    b.author_key,
    b.followers,
    b.badvocacy_posts,
    b.advocacy_posts,
    b.sources,
    b.last_post_at,
    (
        select p.url
        from analytics.int_brand_mentions_labelled as p
        where p.brand_id = b.brand_id and p.author_key = b.author_key
            and p.advocacy = 'badvocacy'
        order by p.created_at desc
        limit 1
    ) as latest_badvocacy_url
from analytics.top_badvocates as b
where b.brand = 'Acme Air'
    and b.reach_rank <= 20
order by b.reach_rank;
