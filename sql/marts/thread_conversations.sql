-- Every post of a conversation thread that mentions a watched brand, in conversation order:
-- the posts that name the brand and the replies that name none (kept as thread context,
-- e.g. "same here, mine swelled too"). Filter on a brand and a thread_id from
-- badvocacy_threads to read how a fire spread. `sentiment` is the current model's label.
with thread_brands as (
    select distinct
        m.brand_id,
        m.brand,
        p.source,
        coalesce(p.thread_id, p.source_id) as thread_id
    from analytics.stg_brand_mentions as m
    inner join analytics.stg_posts as p on m.post_id = p.post_id
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
    p.text,
    p.url,
    m.post_id is not null as names_brand,
    s.label as sentiment
from thread_brands as tb
inner join analytics.stg_posts as p
    on tb.source = p.source and tb.thread_id = coalesce(p.thread_id, p.source_id)
left join analytics.stg_brand_mentions as m
    on p.post_id = m.post_id and tb.brand_id = m.brand_id
left join analytics.stg_classifications as s
    on p.post_id = s.post_id and s.task = 'sentiment'
