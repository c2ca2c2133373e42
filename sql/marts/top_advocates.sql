-- The authors who speak up *for* each brand, largest audience first, with pseudonymous ids
-- (author_key is a keyed hash: follow an author across posts without learning who they are).
-- An advocate has more advocacy than badvocacy posts about the brand (current model only).
-- reach_rank 1 is the advocate with the most followers; filter `where reach_rank <= 20`.
select
    brand_id,
    brand,
    author_key,
    advocacy_posts,
    badvocacy_posts,
    rated_posts,
    followers,
    interactions,
    sources,
    first_post_at,
    last_post_at,
    row_number() over (
        partition by brand_id
        order by followers desc nulls last, advocacy_posts desc, author_key
    ) as reach_rank
from analytics.int_stance_by_author
where stance = 'advocate'
