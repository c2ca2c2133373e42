-- Every post of a conversation thread that mentions a watched brand, in conversation order:
-- the posts that name the brand and the replies that do not ("same here, mine swelled too").
-- A reply that names no brand is judged toward the brand of the post it answers: it has an
-- inherited mention (`inherited`, `inherited_from_post_id`) and its own advocacy label, so it
-- counts as word of mouth. `names_brand` is true only for posts that name the brand; a post
-- with neither (e.g. a reply whose ancestors are not collected yet) has no advocacy label.
-- Filter on a brand and a thread_id from badvocacy_threads to read how a fire spread.
-- `sentiment` and `advocacy` are the current models' labels, each with its probability.
with thread_brands as (
    select distinct
        m.brand_id,
        m.brand,
        p.source,
        coalesce(p.thread_id, p.source_id) as thread_id
    from analytics.stg_brand_mentions as m
    inner join analytics.stg_posts as p on m.post_id = p.post_id
    where not m.inherited
)

select
    tb.brand_id,
    tb.brand,
    tb.source,
    tb.thread_id,
    p.post_id,
    p.source_id,
    p.parent_id,
    p.created_at,
    p.author_key,
    p.author_followers,
    p.is_c2c,
    p.text,
    p.url,
    coalesce(not m.inherited, false) as names_brand,
    coalesce(m.inherited, false) as inherited,
    m.inherited_from_post_id,
    s.label as sentiment,
    s.label_probability as sentiment_probability,
    a.label as advocacy,
    a.label_probability as advocacy_probability
from thread_brands as tb
inner join analytics.stg_posts as p
    on tb.source = p.source and tb.thread_id = coalesce(p.thread_id, p.source_id)
left join analytics.stg_brand_mentions as m
    on p.post_id = m.post_id and tb.brand_id = m.brand_id
left join analytics.stg_classifications as s
    on p.post_id = s.post_id and s.task = 'sentiment'
left join analytics.stg_classifications as a
    on m.post_id = a.post_id and m.brand_id = a.brand_id and a.task = 'advocacy'
