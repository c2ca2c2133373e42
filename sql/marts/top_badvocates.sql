-- The authors who speak up *against* each brand, largest audience first, with pseudonymous ids
-- (author_key is a keyed hash, never a handle). A badvocate has more badvocacy than advocacy
-- posts about the brand (current model only). These are the people to answer first.
-- reach_rank 1 is the badvocate with the most followers; filter `where reach_rank <= 20`.
select
    brand_id,
    brand,
    author_key,
    badvocacy_posts,
    advocacy_posts,
    rated_posts,
    followers,
    interactions,
    sources,
    first_post_at,
    last_post_at,
    row_number() over (
        partition by brand_id
        order by followers desc nulls last, badvocacy_posts desc, author_key
    ) as reach_rank
from analytics.int_stance_by_author
where stance = 'badvocate'
