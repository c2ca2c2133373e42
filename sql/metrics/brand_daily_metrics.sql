-- Brand x day x source metrics for the days from first_day (inclusive) to end_day
-- (exclusive). A day is a calendar day in the zone given as the timezone parameter
-- (GRAPEVINE_TIMEZONE, default UTC): a post at 23:30 UTC is on the next day in Europe/Berlin.
-- Views that are not built on this table (stg_posts, brand_mentions_daily) keep UTC days.
-- warehouse.metrics.recompute_metrics runs this insert into a staging table and merges it in
-- one transaction (only changed rows are written), so a rerun never adds rows.
-- To try it by hand, replace the three parameters with two dates and a zone name ('UTC') and
-- drop the insert line.
--
-- Definitions (see also the column comments of public.brand_daily_metrics):
--   mentions        C2C mentions (brand-owned posts left out), whatever their labels,
--                   including replies that name no brand and are judged toward the brand of
--                   the post they answer (inherited mentions: word of mouth in the thread).
--   rated           mentions the advocacy model labelled advocacy, badvocacy or none;
--                   'unsupported' (unhandled language) and unclassified mentions are not rated.
--   net_advocacy    100 * (advocacy - badvocacy) / rated.
--   interval        95% adjusted Wald interval on the difference of two multinomial
--                   proportions, with one pseudo-mention added to each of the three labels
--                   (advocacy, badvocacy, none), clipped to [-100, 100]. Five mentions give a
--                   wide interval, five thousand a narrow one.
--   share_of_voice  mentions / mentions of the brand's competitive set (null without one).
--   *_reach         weighted by 1 + author followers; *_engagement by 1 + interactions.
insert into public.brand_daily_metrics (
    brand_id, day, source, model_version, sentiment_model_version,
    mentions, unique_authors, positive, neutral, negative,
    advocacy, badvocacy, rated, unsupported,
    net_advocacy, net_advocacy_low, net_advocacy_high,
    share_of_voice, share_of_voice_reach, share_of_voice_engagement, competitive_mentions,
    reach, engagement,
    rated_reach, advocacy_reach, badvocacy_reach, net_advocacy_reach,
    rated_engagement, advocacy_engagement, badvocacy_engagement, net_advocacy_engagement
)

with labelled_mentions as (
    select
        brand_id,
        cast(created_at at time zone :timezone as date) as day,
        source,
        author_key,
        sentiment,
        sentiment_model_version,
        advocacy,
        advocacy_model_version,
        is_rated,
        followers,
        interactions,
        reach_weight,
        engagement_weight
    from analytics.int_brand_mentions_labelled
    where
        -- local midnights as instants: the same days as the cast above, and the planner can
        -- estimate them from the statistics of created_at (a cast of it has none: it guessed
        -- 200 of 100k mentions and probed the labels one by one, 0.66 s instead of 0.37 s)
        created_at >= cast(:first_day as date)::timestamp at time zone :timezone
        and created_at < cast(:end_day as date)::timestamp at time zone :timezone
),

brand_day_counts as (
    select
        brand_id,
        day,
        source,
        max(advocacy_model_version) as model_version,
        max(sentiment_model_version) as sentiment_model_version,
        count(*) as mentions,
        count(distinct author_key) as unique_authors,
        count(*) filter (where sentiment = 'positive') as positive,
        count(*) filter (where sentiment = 'neutral') as neutral,
        count(*) filter (where sentiment = 'negative') as negative,
        count(*) filter (where advocacy = 'advocacy') as advocacy,
        count(*) filter (where advocacy = 'badvocacy') as badvocacy,
        count(*) filter (where is_rated) as rated,
        count(*) filter (where advocacy = 'unsupported') as unsupported,
        sum(followers) as reach,
        sum(interactions) as engagement,
        sum(reach_weight) as mention_reach,
        sum(engagement_weight) as mention_engagement,
        coalesce(sum(reach_weight) filter (where is_rated), 0) as rated_reach,
        coalesce(sum(reach_weight) filter (where advocacy = 'advocacy'), 0) as advocacy_reach,
        coalesce(sum(reach_weight) filter (where advocacy = 'badvocacy'), 0) as badvocacy_reach,
        coalesce(sum(engagement_weight) filter (where is_rated), 0) as rated_engagement,
        coalesce(sum(engagement_weight) filter (where advocacy = 'advocacy'), 0)
            as advocacy_engagement,
        coalesce(sum(engagement_weight) filter (where advocacy = 'badvocacy'), 0)
            as badvocacy_engagement
    from labelled_mentions
    group by brand_id, day, source
),

competitive_set_counts as (
    select
        cs.brand_id,
        c.day,
        c.source,
        sum(c.mentions) as competitive_mentions,
        sum(c.mention_reach) as competitive_reach,
        sum(c.mention_engagement) as competitive_engagement
    from analytics.int_competitive_sets as cs
    inner join brand_day_counts as c on cs.member_brand_id = c.brand_id
    group by cs.brand_id, c.day, c.source
),

adjusted as (
    -- one pseudo-mention per label: the adjusted Wald centre and standard error
    select
        brand_id,
        day,
        source,
        (advocacy - badvocacy) / (rated + 3.0) as centre,
        sqrt(greatest(
            ((advocacy + badvocacy + 2.0) / (rated + 3.0)
             - ((advocacy - badvocacy) / (rated + 3.0)) ^ 2)
            / (rated + 3.0),
            0.0
        )) as std_error
    from brand_day_counts
)

select
    c.brand_id,
    c.day,
    c.source,
    c.model_version,
    c.sentiment_model_version,
    c.mentions,
    c.unique_authors,
    c.positive,
    c.neutral,
    c.negative,
    c.advocacy,
    c.badvocacy,
    c.rated,
    c.unsupported,
    case when c.rated > 0 then 100.0 * (c.advocacy - c.badvocacy) / c.rated end
        as net_advocacy,
    case when c.rated > 0 then greatest(-100.0, 100.0 * (a.centre - 1.959964 * a.std_error)) end
        as net_advocacy_low,
    case when c.rated > 0 then least(100.0, 100.0 * (a.centre + 1.959964 * a.std_error)) end
        as net_advocacy_high,
    1.0 * c.mentions / nullif(cs.competitive_mentions, 0) as share_of_voice,
    1.0 * c.mention_reach / nullif(cs.competitive_reach, 0) as share_of_voice_reach,
    1.0 * c.mention_engagement / nullif(cs.competitive_engagement, 0)
        as share_of_voice_engagement,
    coalesce(cs.competitive_mentions, c.mentions) as competitive_mentions,
    c.reach,
    c.engagement,
    c.rated_reach,
    c.advocacy_reach,
    c.badvocacy_reach,
    case
        when c.rated_reach > 0
            then 100.0 * (c.advocacy_reach - c.badvocacy_reach) / c.rated_reach
    end as net_advocacy_reach,
    c.rated_engagement,
    c.advocacy_engagement,
    c.badvocacy_engagement,
    case
        when c.rated_engagement > 0
            then 100.0 * (c.advocacy_engagement - c.badvocacy_engagement) / c.rated_engagement
    end as net_advocacy_engagement
from brand_day_counts as c
inner join adjusted as a
    on c.brand_id = a.brand_id and c.day = a.day and c.source = a.source
left join competitive_set_counts as cs
    on c.brand_id = cs.brand_id and c.day = cs.day and c.source = cs.source
