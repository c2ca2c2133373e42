-- Brand perception per brand, UTC day and source, as computed by `grapevine metrics`
-- (public.brand_daily_metrics), from the current model versions only, brand-owned posts left out.
-- `mentions` counts every C2C mention; the label mix (advocacy, badvocacy, rated, sentiment)
-- leaves out mentions labelled 'unsupported' (a language the model does not handle) and
-- mentions not classified yet, so advocacy + badvocacy <= rated <= mentions.
-- net_advocacy = 100 * (advocacy - badvocacy) / rated, with a 95% interval
-- [net_advocacy_low, net_advocacy_high] that is wide on small days: compare intervals, not points.
-- To roll days or sources up, sum the counts and recompute ratios (see net_advocacy_trend);
-- never average the daily ratios.
select
    m.brand_id,
    b.name as brand,
    m.day,
    m.source,
    m.mentions,
    m.unique_authors,
    m.rated,
    m.unsupported,
    m.mentions - m.rated - m.unsupported as unclassified,
    m.positive,
    m.neutral,
    m.negative,
    m.advocacy,
    m.badvocacy,
    m.rated - m.advocacy - m.badvocacy as no_stance,
    m.net_advocacy,
    m.net_advocacy_low,
    m.net_advocacy_high,
    m.net_advocacy_reach,
    m.net_advocacy_engagement,
    m.share_of_voice,
    m.share_of_voice_reach,
    m.share_of_voice_engagement,
    m.competitive_mentions,
    m.reach,
    m.engagement,
    m.rated_reach,
    m.advocacy_reach,
    m.badvocacy_reach,
    m.rated_engagement,
    m.advocacy_engagement,
    m.badvocacy_engagement,
    m.model_version as advocacy_model_version,
    m.sentiment_model_version,
    m.computed_at
from public.brand_daily_metrics as m
inner join public.brands as b on m.brand_id = b.id
