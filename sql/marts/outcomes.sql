-- The outcomes customers talk about, one row per stable outcome id: what they are trying to
-- get done or what went wrong for them ("battery swelled / charger", "refund took weeks").
-- Outcomes are discovered by clustering C2C posts about the watched brands with the brand
-- names masked, so one outcome is shared by every brand (compare brands on it in
-- outcome_opportunity). `label` is built from `key_phrases` (the phrases that set the
-- outcome's posts apart); `size` is how many posts the latest discovery put in it, `posts` how
-- many are assigned to it now (nightly runs add new posts to the nearest outcome).
-- `status` 'retired': a re-discovery no longer found it; its id, name and history stay.
-- `representative_post_ids`: posts that say it most typically (join stg_posts for their text).
select
    o.id as outcome_id,
    o.label,
    array(select jsonb_array_elements_text(o.key_phrases)) as key_phrases,
    o.status,
    o.size,
    coalesce(a.posts, 0) as posts,
    array(
        select cast(r.value as bigint)
        from jsonb_array_elements_text(o.representative_post_ids) as r (value)
    ) as representative_post_ids,
    o.first_discovery_id,
    first_d.discovered_at as first_discovered_at,
    o.last_discovery_id,
    last_d.discovered_at as last_discovered_at,
    last_d.embedder_version,
    o.updated_at
from public.outcomes as o
inner join public.outcome_discoveries as first_d on o.first_discovery_id = first_d.id
inner join public.outcome_discoveries as last_d on o.last_discovery_id = last_d.id
left join (
    select
        outcome_id,
        count(*) as posts
    from public.post_outcomes
    where outcome_id is not null
    group by outcome_id
) as a on o.id = a.outcome_id
