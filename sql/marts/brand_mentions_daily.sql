-- Mentions per brand, UTC day and source. `c2c_mentions` leaves out posts written by any
-- watched brand's own accounts: that is the customer-to-customer conversation.
with mentions as (
    select
        m.brand_id,
        m.brand,
        p.day,
        p.source,
        p.post_id,
        p.author_key,
        p.is_c2c and not m.brand_owned as is_c2c
    from analytics.stg_brand_mentions as m
    inner join analytics.stg_posts as p on m.post_id = p.post_id
)

select
    brand_id,
    brand,
    day,
    source,
    count(*) as mentions,
    count(*) filter (where is_c2c) as c2c_mentions,
    count(*) filter (where not is_c2c) as brand_owned_posts,
    count(distinct author_key) filter (where is_c2c) as unique_authors
from mentions
group by brand_id, brand, day, source
