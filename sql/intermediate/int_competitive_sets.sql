-- Each brand's competitive set: the brand itself, the watched brands it lists as competitors,
-- and the watched brands that list it (competition is mutual even when only one side's
-- brands.yaml entry says so). Competitor names that are not watched brands are ignored: we
-- have no mentions for them. Share of voice = a brand's mentions / its set's mentions.
with brand_names as (
    select
        id as brand_id,
        name
    from public.brands
),

declared as (
    select
        b.id as brand_id,
        c.value as competitor_name
    from public.brands as b
    cross join lateral jsonb_array_elements_text(b.competitors) as c (value)
),

pairs as (
    select
        d.brand_id,
        n.brand_id as member_brand_id
    from declared as d
    inner join brand_names as n on lower(d.competitor_name) = lower(n.name)
    where n.brand_id <> d.brand_id
),

mutual_pairs as (
    select brand_id, member_brand_id from pairs
    union
    select member_brand_id as brand_id, brand_id as member_brand_id from pairs
),

with_self as (
    select brand_id, member_brand_id, false as is_self from mutual_pairs
    union all
    select brand_id, brand_id as member_brand_id, true as is_self
    from brand_names
    where brand_id in (select brand_id from mutual_pairs)
)

select
    w.brand_id,
    b.name as brand,
    w.member_brand_id,
    m.name as member_brand,
    w.is_self
from with_self as w
inner join public.brands as b on w.brand_id = b.id
inner join public.brands as m on w.member_brand_id = m.id
