-- Competitive sets as whole groups: brands linked by `competitors` (in either direction, and
-- through any chain: Voltera lists Zephyr and Zephyr lists Ampere puts all three in one group)
-- are one group, the connected component of the competitor graph of int_competitive_sets.
-- Every watched brand has exactly one row; a brand without a watched competitor is a group of
-- its own (group_size 1). group_id is the smallest brand id of the group (stable while the
-- group keeps that brand); group_name lists its brands by name. Outcome opportunity scores
-- compare the brands of one group and score the group as a whole.
with recursive links as (
    select
        brand_id,
        member_brand_id
    from analytics.int_competitive_sets
),

reachable (brand_id, member_brand_id) as (
    select
        id as brand_id,
        id as member_brand_id
    from public.brands
    union
    select
        r.brand_id,
        l.member_brand_id
    from reachable as r
    inner join links as l on r.member_brand_id = l.brand_id
),

brand_groups as (
    select
        brand_id,
        min(member_brand_id) as group_id
    from reachable
    group by brand_id
),

group_names as (
    select
        g.group_id,
        string_agg(b.name, ', ' order by b.name) as group_name,
        count(*) as group_size
    from brand_groups as g
    inner join public.brands as b on g.brand_id = b.id
    group by g.group_id
)

select
    g.brand_id,
    b.name as brand,
    g.group_id,
    n.group_name,
    n.group_size
from brand_groups as g
inner join public.brands as b on g.brand_id = b.id
inner join group_names as n on g.group_id = n.group_id
