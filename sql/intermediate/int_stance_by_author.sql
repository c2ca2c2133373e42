-- Per pseudonymous author and brand: how many C2C posts advocate for or against the brand,
-- and the author's largest known audience. author_key is a keyed hash, never a handle: analysts
-- can follow an author across posts without learning who they are.
with rated_mentions as (
    select
        brand_id,
        brand,
        author_key,
        post_id,
        source,
        url,
        created_at,
        followers,
        interactions,
        advocacy
    from analytics.int_brand_mentions_labelled
    where is_rated and author_key is not null
),

per_author as (
    select
        brand_id,
        brand,
        author_key,
        count(*) as rated_posts,
        count(*) filter (where advocacy = 'advocacy') as advocacy_posts,
        count(*) filter (where advocacy = 'badvocacy') as badvocacy_posts,
        max(followers) as followers,
        sum(interactions) as interactions,
        array_agg(distinct source order by source) as sources,
        min(created_at) as first_post_at,
        max(created_at) as last_post_at
    from rated_mentions
    group by brand_id, brand, author_key
)

select
    brand_id,
    brand,
    author_key,
    rated_posts,
    advocacy_posts,
    badvocacy_posts,
    followers,
    interactions,
    sources,
    first_post_at,
    last_post_at,
    case
        when advocacy_posts > badvocacy_posts then 'advocate'
        when badvocacy_posts > advocacy_posts then 'badvocate'
        else 'mixed_or_neutral'
    end as stance
from per_author
