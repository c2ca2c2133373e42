-- Does the loud minority agree with everyone else? Net advocacy per brand and source over the
-- last 30 days, counting every post once (raw), weighting by the author's audience (reach)
-- and by the post's likes, replies and reposts (engagement). A reach score far below the raw
-- one means influential authors are more negative than the crowd.
select
    brand,
    source,
    sum(rated) as rated,
    round((100.0 * (sum(advocacy) - sum(badvocacy)) / nullif(sum(rated), 0))::numeric, 1)
        as net_advocacy,
    round((100.0 * (sum(advocacy_reach) - sum(badvocacy_reach))
        / nullif(sum(rated_reach), 0))::numeric, 1) as net_advocacy_reach,
    round((100.0 * (sum(advocacy_engagement) - sum(badvocacy_engagement))
        / nullif(sum(rated_engagement), 0))::numeric, 1) as net_advocacy_engagement
from analytics.brand_metrics_daily
where day >= current_date - 30
group by brand, source
order by brand, source;
