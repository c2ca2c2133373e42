-- Conversations where more than one customer piles on against a brand in the last 7 days:
-- the threads to join before they grow. Ordered by how many badvocates and how much reach.
-- Adapt the `params` row: the end of the period (default: the latest badvocacy in the data;
-- use now() for live monitoring), its length, the fewest badvocates, one brand (null: all).
with params as (
    select
        (select max(last_badvocacy_at) from analytics.badvocacy_threads) as latest,  -- or now()
        interval '7 days' as period,
        2 as min_badvocates,                                            -- 3 for bigger fires
        cast(null as text) as brand                                     -- or 'Acme Air'
)

select
    t.brand,
    t.source,
    t.thread_id,
    t.root_url,
    t.badvocates,
    t.badvocacy_posts,
    t.advocacy_posts,
    t.badvocacy_reach,
    t.spread_hours,
    t.last_badvocacy_at
from analytics.badvocacy_threads as t
cross join params as p
where t.last_badvocacy_at > p.latest - p.period
    and t.badvocates >= p.min_badvocates
    and (p.brand is null or t.brand = p.brand)
order by t.badvocates desc, t.badvocacy_reach desc nulls last
limit 50;
