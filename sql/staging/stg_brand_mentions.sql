-- One row per (post, brand) mention, with the brand's name and whether the brand wrote it.
-- `inherited`: the post is a reply that does not name the brand itself ("same here, mine
-- swelled too"); it is about the brand of the post it answers, `inherited_from_post_id` (the
-- nearest ancestor in the thread that names the brand). Such mentions have no span and count
-- as word of mouth like any other; add `where not inherited` to count only posts that name
-- the brand.
select
    pb.post_id,
    b.id as brand_id,
    b.name as brand,
    pb.matched_alias,
    pb.mention_start,
    pb.mention_end,
    pb.brand_owned,
    pb.inherited,
    pb.inherited_from_post_id
from public.post_brands as pb
inner join public.brands as b on pb.brand_id = b.id
