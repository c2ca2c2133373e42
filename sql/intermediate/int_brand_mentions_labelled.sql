-- One row per customer-to-customer (C2C) brand mention, with the current models' labels and
-- the weights of the reach- and engagement-weighted metrics. Every brand metric starts here.
--
-- Left out: posts written by any watched brand's own account (posts.is_c2c = false) and
-- mentions of a brand in its own posts (brand_owned): brands talking about themselves are not
-- word of mouth.
-- Labels come from the current model version of each task only (stg_classifications).
-- `advocacy` is null while a mention is not classified yet. A label of 'unsupported' means the
-- post's language is one the model does not handle: such mentions count as mentions but are
-- left out of the label mix (they are neither advocacy, badvocacy nor none), so `is_rated`
-- is false for them.
-- Replies judged in their thread: a reply that names no brand is a mention of the brand of
-- the post it answers, with `inherited` true and `inherited_from_post_id` that post (see
-- stg_brand_mentions); it counts in every metric. `where not inherited` leaves such replies out.
-- `advocacy_probability` / `sentiment_probability`: the model's probability of the label
-- (0-1, null when unlabelled or unsupported); `advocacy_confidence` is the same number.
-- Weights: reach_weight = 1 + author followers (the author and their audience; unknown = 0),
-- engagement_weight = 1 + interactions, where interactions = likes (or the source's score,
-- whichever is larger) + replies + reposts.
with mentions as (
    select
        post_id,
        brand_id,
        brand,
        inherited,
        inherited_from_post_id
    from analytics.stg_brand_mentions
    where not brand_owned
),

c2c_posts as (
    select
        post_id,
        source,
        source_id,
        day,
        created_at,
        url,
        text,
        lang,
        author_key,
        author_followers,
        parent_id,
        thread_id,
        greatest(coalesce(author_followers, 0), 0) as followers,
        greatest(coalesce(greatest(likes, score), 0), 0)
        + greatest(coalesce(replies, 0), 0)
        + greatest(coalesce(reposts, 0), 0) as interactions
    from analytics.stg_posts
    where is_c2c
),

post_sentiment as (
    select
        post_id,
        label as sentiment,
        label_probability as sentiment_probability,
        model_version as sentiment_model_version
    from analytics.stg_classifications
    where task = 'sentiment'
),

brand_advocacy as (
    select
        post_id,
        brand_id,
        label as advocacy,
        confidence as advocacy_confidence,
        label_probability as advocacy_probability,
        model_version as advocacy_model_version
    from analytics.stg_classifications
    where task = 'advocacy'
)

select
    m.brand_id,
    m.brand,
    p.post_id,
    p.source_id,
    m.inherited,
    m.inherited_from_post_id,
    p.source,
    p.day,
    p.created_at,
    p.url,
    p.text,
    p.lang,
    p.author_key,
    p.author_followers,
    p.parent_id,
    p.thread_id,
    p.followers,
    p.interactions,
    1 + p.followers as reach_weight,
    1 + p.interactions as engagement_weight,
    s.sentiment,
    s.sentiment_probability,
    s.sentiment_model_version,
    a.advocacy,
    a.advocacy_probability,
    a.advocacy_confidence,
    a.advocacy_model_version,
    coalesce(a.advocacy in ('advocacy', 'badvocacy', 'none'), false) as is_rated
from mentions as m
inner join c2c_posts as p on m.post_id = p.post_id
left join post_sentiment as s on m.post_id = s.post_id
left join brand_advocacy as a on m.post_id = a.post_id and m.brand_id = a.brand_id
