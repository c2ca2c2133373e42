-- Classifications written by the *current* model of each task only (see model_versions), so
-- that re-classifying with a new model never mixes two models' labels in one metric.
-- task = 'sentiment': brand_id is null, label in (negative, neutral, positive).
-- task = 'advocacy': one row per (post, brand), label in (advocacy, badvocacy, none).
-- label = 'unsupported' when the post's language is one the model does not handle.
-- label_probability: the model's probability of `label` (0-1; null for 'unsupported'), the
-- same number as `confidence`; `probs` holds every label's. Filter on it to keep only the
-- labels the model is sure of, e.g. `where label_probability >= 0.8`.
select
    c.post_id,
    c.brand_id,
    c.task,
    c.label,
    c.confidence,
    c.confidence as label_probability,
    c.probs,
    c.lang,
    c.model_name,
    c.model_version
from public.classifications as c
inner join public.model_versions as mv
    on c.task = mv.task and c.model_version = mv.model_version
where mv.is_current
