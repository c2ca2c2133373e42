"""The ``classify`` stage: sentiment per post and advocacy per (post, brand), into the warehouse.

Entry point: :func:`run`. Composes ``nlp`` (the models) and ``warehouse`` (what is pending,
where labels go); neither knows the other. Work is derived from the warehouse, so the stage
is idempotent and resumable, and a new model version simply finds everything pending again.

Only queued posts are looked at (``classify_queue``, filled by triggers when posts, mentions
or deleted labels arrive; every post once after a model change): finding the work costs
O(new posts), not O(history) (#16). Whether a queued post still misses a label is decided by
the same probes as ever, so a post queued twice or already labelled costs one lookup.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from grapevine.core.settings import Settings
from grapevine.core.window import Window
from grapevine.stages.base import Progress, Summary
from warehouse import queues
from warehouse.classifications import (
    ADVOCACY,
    SENTIMENT,
    Label,
    WorkItem,
    pending_ranges,
    pending_work,
    register_model,
    sync_queue,
    write_labels,
)
from warehouse.engine import analyze_changed
from warehouse.threads import inherit_thread_mentions

if TYPE_CHECKING:
    from nlp.types import AdvocacyInput, Classifier, JointClassifier, Prediction

log = logging.getLogger(__name__)

CHUNK = 512
"""Posts fetched and written per transaction: big enough for efficient batches, small enough
that an interrupted run loses little."""


@dataclass(slots=True)
class ClassifySummary:
    posts: int = 0
    sentiment_rows: int = 0
    advocacy_rows: int = 0
    unsupported: int = 0
    seconds: float = 0.0
    sentiment_model: str = ""
    advocacy_model: str = ""


@dataclass(frozen=True, slots=True)
class Models:
    sentiment: Classifier
    advocacy: Classifier
    #: Set when one joint model gives both labels: then a post's sentiment comes from the
    #: encoder pass that judges a brand in it, one pass per mention instead of two models.
    joint: JointClassifier | None = None


def load_models(settings: Settings) -> Models:
    import nlp

    joint = nlp.load_joint(settings)
    if joint is not None:
        return Models(joint.sentiment, joint.advocacy, joint)
    return Models(nlp.load_sentiment(settings), nlp.load_advocacy(settings))


def _advocacy_inputs(item: WorkItem) -> list[tuple[int, AdvocacyInput]]:
    """One model input per brand still to judge in this post.

    An inherited mention (a reply that names no brand) is judged with the ancestor it
    inherits from as context: the model reads the reply, then what it answers, with the brand
    marked there. When that ancestor cannot be read any more the reply is judged on its own.
    """
    from nlp.types import AdvocacyInput

    inputs: list[tuple[int, AdvocacyInput]] = []
    for target in item.mentions:
        if target.brand_id not in item.needs_advocacy:
            continue
        others = tuple(
            (m.start, m.end)
            for m in item.mentions
            if m.brand_id != target.brand_id and m.start is not None and m.end is not None
        )
        context = item.context_for(target)
        inputs.append(
            (
                target.brand_id,
                AdvocacyInput(
                    item.text,
                    target.brand,
                    target.start,
                    target.end,
                    others,
                    context=context.text if context else None,
                    context_spans=context.spans(target.brand_id) if context else (),
                    context_other_spans=context.other_spans(target.brand_id) if context else (),
                ),
            )
        )
    return inputs


def _label(
    item: WorkItem, brand_id: int | None, task: str, pred: Prediction, model: Classifier
) -> Label:
    return Label(
        item.post_id,
        brand_id,
        task,
        pred.label,
        dict(pred.probs),
        pred.lang,
        model.name,
        model.version,
    )


def classify_joint_items(items: list[WorkItem], joint: JointClassifier) -> list[Label]:
    """One joint model over a chunk of pending work (pure: no database).

    Each (post, brand) pair is one encoder pass giving that brand's advocacy and the post's
    sentiment; a post takes its sentiment from its first pair. A reply judged in its thread
    reads its parent too: its pass gives the reply's own sentiment when the model's sentiment
    head reads only the tokens before the ``[SEP]`` (``reply_sentiment_in_pass``), else its
    sentiment comes from the reply alone, as for a post with no brand left to judge.
    """
    pairs = [(item, brand_id, inp) for item in items for brand_id, inp in _advocacy_inputs(item)]
    preds = joint.classify_joint([inp for _, _, inp in pairs]) if pairs else []
    from_pair: dict[int, Prediction] = {}
    for (item, _, inp), (_, sentiment) in zip(pairs, preds, strict=True):
        if item.needs_sentiment and (inp.context is None or joint.reply_sentiment_in_pass):
            from_pair.setdefault(item.post_id, sentiment)
    alone = [i for i in items if i.needs_sentiment and i.post_id not in from_pair]
    if alone:
        judged = joint.sentiment.classify([i.text for i in alone])
        from_pair.update((i.post_id, p) for i, p in zip(alone, judged, strict=True))
    labels = [
        _label(item, None, SENTIMENT, from_pair[item.post_id], joint.sentiment)
        for item in items
        if item.needs_sentiment
    ]
    labels += [
        _label(item, brand_id, ADVOCACY, advocacy, joint.advocacy)
        for (item, brand_id, _), (advocacy, _) in zip(pairs, preds, strict=True)
    ]
    return labels


def classify_items(items: list[WorkItem], models: Models) -> list[Label]:
    """Run both models over a chunk of pending work (pure: no database)."""
    if models.joint is not None:
        return classify_joint_items(items, models.joint)
    s_model, a_model = models.sentiment, models.advocacy
    needs_s = [i for i in items if i.needs_sentiment]
    labels = [
        _label(item, None, SENTIMENT, pred, s_model)
        for item, pred in zip(needs_s, s_model.classify([i.text for i in needs_s]), strict=True)
    ]
    pairs = [(item, brand_id, inp) for item in items for brand_id, inp in _advocacy_inputs(item)]
    if pairs:
        preds = a_model.classify([inp for _, _, inp in pairs])
        labels += [
            _label(item, brand_id, ADVOCACY, pred, a_model)
            for (item, brand_id, _), pred in zip(pairs, preds, strict=True)
        ]
    return labels


def count_pending(
    engine: Engine,
    models: Models,
    since: datetime | None,
    until: datetime | None,
    *,
    batch_size: int = 5000,
) -> list[tuple[int, int, int]]:
    """``(first_post_id, last_post_id, n_posts)`` chunks of posts still missing a label."""
    with engine.begin() as conn:
        inherit_thread_mentions(conn)  # replies judged in their thread count as pending work
        sync_queue(conn, models.sentiment.version, models.advocacy.version)
    with engine.begin() as conn:  # the probes' plan is pinned for this transaction
        return pending_ranges(
            conn,
            since=since,
            until=until,
            sentiment_version=models.sentiment.version,
            advocacy_version=models.advocacy.version,
            batch_size=batch_size,
            candidates=queues.queued(conn, queues.CLASSIFY, since=since, until=until),
        )


def classify(
    engine: Engine,
    settings: Settings,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    first_post_id: int | None = None,
    last_post_id: int | None = None,
    models: Models | None = None,
    progress: Progress | None = None,
) -> ClassifySummary:
    """Classify what is pending in the window (and id range), chunk by chunk."""
    started = time.perf_counter()
    models = models or load_models(settings)
    summary = ClassifySummary(
        sentiment_model=f"{models.sentiment.name}@{models.sentiment.version}",
        advocacy_model=f"{models.advocacy.name}@{models.advocacy.version}",
    )
    with engine.begin() as conn:
        if first_post_id is None:  # a fan-out batch's count_pending did this for its whole run
            inherit_thread_mentions(conn)
        for task, model in ((SENTIMENT, models.sentiment), (ADVOCACY, models.advocacy)):
            register_model(conn, task, model.name, model.version, {"labels": list(model.labels)})
        sync_queue(conn, models.sentiment.version, models.advocacy.version)
    with engine.connect() as conn:
        queued = queues.queued(
            conn,
            queues.CLASSIFY,
            since=since,
            until=until,
            first_id=first_post_id,
            last_id=last_post_id,
        )
    written = 0
    for start in range(0, len(queued), CHUNK):
        chunk = queued[start : start + CHUNK]
        with engine.begin() as conn:  # the page query's plan is pinned for this transaction
            read = queues.rows(conn, queues.CLASSIFY, chunk)  # before the work: warehouse.queues
            items = pending_work(
                conn,
                since=since,
                until=until,
                sentiment_version=models.sentiment.version,
                advocacy_version=models.advocacy.version,
                limit=len(chunk),
                candidates=chunk,
            )
        labels = classify_items(items, models) if items else []
        with engine.begin() as conn:
            written += write_labels(conn, labels)
            queues.dequeue(conn, queues.CLASSIFY, read)
        summary.posts += len(items)
        summary.sentiment_rows += sum(1 for lab in labels if lab.task == SENTIMENT)
        summary.advocacy_rows += sum(1 for lab in labels if lab.task == ADVOCACY)
        summary.unsupported += sum(1 for lab in labels if lab.label == "unsupported")
        if progress is not None and items:
            progress(len(items))
    # Metrics, alerts and the next classify plan against fresh statistics, not an empty table.
    analyze_changed(engine, {"classifications": written})
    summary.seconds = time.perf_counter() - started
    log.info("classified %d posts in %.1fs", summary.posts, summary.seconds)
    return summary


def plan_batches(
    engine: Engine,
    settings: Settings,
    window: Window,
    *,
    batch_size: int | None = None,
    models: Models | None = None,
) -> list[Summary]:
    """The pending posts of ``window`` cut into id ranges, so that classification can fan out
    over workers (Airflow maps ``run(..., batch=b)`` over them)."""
    models = models or load_models(settings)
    ranges = count_pending(
        engine,
        models,
        window.since,
        window.until,
        batch_size=batch_size or settings.classify_task_posts,
    )
    return [
        {**window.to_dict(), "first_post_id": first, "last_post_id": last, "posts": n}
        for first, last, n in ranges
    ]


def run(
    engine: Engine,
    settings: Settings,
    window: Window,
    *,
    batch: Summary | None = None,
    models: Models | None = None,
    progress_for: Callable[[str, int | None], Progress] | None = None,
) -> Summary:
    """Classify what is pending in ``window`` (and, for a fan-out ``batch`` from
    :func:`plan_batches`, in its id range); ``progress_for`` draws a bar over the posts."""
    models = models or load_models(settings)
    progress = None
    if progress_for is not None:
        total = sum(n for _, _, n in count_pending(engine, models, window.since, window.until))
        progress = progress_for("classifying posts", total)
    summary = classify(
        engine,
        settings,
        since=window.since,
        until=window.until,
        first_post_id=(batch or {}).get("first_post_id"),
        last_post_id=(batch or {}).get("last_post_id"),
        models=models,
        progress=progress,
    )
    return asdict(summary)
