-- One row per customer-to-customer brand mention whose post the outcomes stage has read, with
-- the outcome the post is about. Built on int_brand_mentions_labelled, so the same mentions
-- count as in every brand metric (brand-owned posts left out, replies that name no brand
-- included) with the current advocacy model's label.
--
-- An outcome is what the customer is trying to get done or what went wrong ("battery swelled",
-- "refund took weeks"), discovered by clustering what customers write with the brand names
-- masked, so one outcome is shared by every brand of a market (see the `outcomes` view).
-- A post is about at most one outcome; a post mentioning two brands gives two rows, one per
-- brand, with the same outcome.
-- outcome_id is null when the post is unassigned; `unassigned_reason` says why:
--   'below_similarity'      the post is not close enough to any outcome (most small talk);
--   'unsupported_language'  the embedder does not read the post's language: not guessed;
--   'empty'                 nothing is left once brand names, handles and links are masked.
-- outcome_score: cosine similarity of the post to its outcome (0-1; higher = more typical).
-- Posts not read yet by the outcomes stage have no row here.
select
    l.brand_id,
    l.brand,
    l.post_id,
    po.outcome_id,
    o.label as outcome,
    o.status as outcome_status,
    po.score as outcome_score,
    po.reason as unassigned_reason,
    po.discovery_id,
    l.source,
    l.day,
    l.created_at,
    l.url,
    l.text,
    l.lang,
    l.author_key,
    l.followers,
    l.interactions,
    l.reach_weight,
    l.engagement_weight,
    l.inherited,
    l.advocacy,
    l.advocacy_model_version,
    l.is_rated
from analytics.int_brand_mentions_labelled as l
inner join public.post_outcomes as po on l.post_id = po.post_id
left join public.outcomes as o on po.outcome_id = o.id
