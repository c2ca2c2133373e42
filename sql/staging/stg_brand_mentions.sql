-- One row per (post, brand) mention, with the brand's name and whether the brand wrote it.
select
    pb.post_id,
    b.id as brand_id,
    b.name as brand,
    pb.matched_alias,
    pb.mention_start,
    pb.mention_end,
    pb.brand_owned
from public.post_brands as pb
inner join public.brands as b on pb.brand_id = b.id
