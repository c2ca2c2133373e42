-- Conversations where more than one customer piles on against a brand in the last 7 days:
-- the threads to join before they grow. Ordered by how many badvocates and how much reach.
-- Adapt: the period, or `badvocates >= 3` for bigger fires only.
select
    brand,
    source,
    thread_id,
    root_url,
    badvocates,
    badvocacy_posts,
    advocacy_posts,
    badvocacy_reach,
    spread_hours,
    last_badvocacy_at
from analytics.badvocacy_threads
where last_badvocacy_at >= now() - interval '7 days'
    and badvocates >= 2
order by badvocates desc, badvocacy_reach desc nulls last
limit 50;
