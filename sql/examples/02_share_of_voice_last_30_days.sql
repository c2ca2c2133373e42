-- Share of voice over the last 30 days against each brand's competitive set (brands.yaml
-- `competitors`, counted both ways), raw and weighted by audience (followers) and engagement.
-- Adapt: change the interval, or filter `where brand = 'Acme Air'`.
select
    brand,
    sum(mentions) as mentions,
    sum(set_mentions) as competitive_set_mentions,
    round((sum(mentions)::float / nullif(sum(set_mentions), 0) * 100)::numeric, 1)
        as share_of_voice_pct,
    round((avg(share_of_voice_reach) * 100)::numeric, 1) as avg_daily_reach_share_pct,
    round((avg(share_of_voice_engagement) * 100)::numeric, 1) as avg_daily_engagement_share_pct
from analytics.share_of_voice_daily
where day >= current_date - 30
group by brand
order by share_of_voice_pct desc;
