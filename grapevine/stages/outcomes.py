"""The ``outcomes`` stage: what customers advocate or warn about, per brand and day.

Entry point: :func:`run`. Composes ``nlp`` (the sentence embedder, discovery and assignment)
and ``warehouse.outcomes`` (what is pending, where outcomes and assignments go); neither
knows the other.

Each run reads the posts of the window that have no outcome yet: posts the language detector
confidently reads as not English are stored as unassigned (``unsupported_language``: the
embedder reads English, and a guess would mislabel them); the others are embedded with their
brand mentions masked, so that one outcome ("battery swelled") is shared by every brand.

Then either the current outcomes take the new posts (nearest centroid, when it is close
enough; otherwise unassigned ``below_similarity``), or, when there is no discovery yet, when
asked (``rediscover``, the weekly DAG, ``grapevine outcomes discover``) or when the current
discovery is older than ``GRAPEVINE_OUTCOME_REDISCOVER_DAYS`` at the window's end, outcomes
are discovered again over every stored embedding: new clusters that match old outcomes keep
their ids (``outcome_versions`` keeps each description), so trends do not break, and every
post is re-assigned. Last, ``outcome_daily`` is recomputed for the window's days (all days
after a discovery). Everything is derived from the warehouse, so a rerun is a no-op.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import Engine

from grapevine.core.settings import Settings
from grapevine.core.window import Window
from grapevine.stages.base import Progress, Summary
from warehouse import changes, queues
from warehouse import outcomes as store
from warehouse.engine import analyze_changed

if TYPE_CHECKING:
    from nlp.embed import SentenceEmbedder

log = logging.getLogger(__name__)

CHUNK = 1024
"""Posts read, embedded and written per transaction."""

#: Discoveries need enough posts to find anything: below this many embedded posts the stage
#: waits (the posts stay pending) instead of storing a discovery of nothing.
MIN_POSTS_FACTOR = 5

#: A re-discovery's outcome keeps an old outcome's id when their centroids are this close.
MATCH_SIMILARITY = 0.7

SEED = 0


@dataclass(slots=True)
class OutcomesSummary:
    posts_read: int = 0
    embedded: int = 0
    unsupported_language: int = 0
    assigned: int = 0
    unassigned: int = 0
    discovered: bool = False
    discovery_id: int | None = None
    outcomes: int = 0
    kept: int = 0
    new: int = 0
    retired: int = 0
    daily_rows: int = 0
    seconds: float = 0.0
    embedder: str = ""
    top: list[dict[str, Any]] = field(default_factory=list)
    skipped: str | None = None


def load_embedder(settings: Settings) -> SentenceEmbedder:
    from nlp.embed import load_embedder as load

    return load(settings.outcome_embedder, int8=settings.model_precision == "int8")


def mask(text: str, spans: Sequence[tuple[int, int]], terms: Sequence[str] = ()) -> str:
    """``nlp.outcomes.mask_brands`` over every occurrence of each brand: as the post wrote it
    in its spans, and every watched brand's name or alias in ``terms``.

    The warehouse keeps one span per brand and post (the model's target); "Voltera" named
    twice, "voltera" after "Voltera", or a competitor named in passing would otherwise leave a
    brand in the text and pull the post toward a cluster of that brand instead of the outcome
    it describes.
    """
    from nlp.outcomes import mask_brands

    forms = {text[a:b] for a, b in spans if 0 <= a < b <= len(text)}
    pattern = _terms_pattern(tuple(sorted(forms | set(terms), key=lambda t: (-len(t), t))))
    found = set(spans)
    if pattern is not None:
        found.update((m.start(), m.end()) for m in pattern.finditer(text))
    return mask_brands(text, sorted(found))


@lru_cache(maxsize=1024)
def _terms_pattern(terms: tuple[str, ...]) -> re.Pattern[str] | None:
    """One case-insensitive pattern for whole-word occurrences of any term (longest first)."""
    alternatives = [re.escape(t) for t in terms if t.strip()]
    if not alternatives:
        return None
    return re.compile(rf"(?<!\w)(?:{'|'.join(alternatives)})(?!\w)", re.IGNORECASE)


def _language_supported(text: str) -> bool:
    from nlp.lang import detect_language

    return detect_language(text)[1]


def embed_pending(
    engine: Engine,
    embedder: SentenceEmbedder,
    window: Window,
    candidates: Sequence[int],
    *,
    progress: Progress | None = None,
) -> tuple[list[int], list[int], int]:
    """Embed those of ``candidates`` (posts read from ``outcome_queue``) that are in the window
    and have no outcome yet (brands masked) and store the vectors.

    Returns ``(embedded post ids, unsupported-language post ids, posts read)``; neither list
    has an assignment yet (the caller assigns both once it knows the discovery).
    """
    embedded: list[int] = []
    unsupported: list[int] = []
    read = 0
    with engine.connect() as conn:
        terms = store.brand_terms(conn)
    for start in range(0, len(candidates), CHUNK):
        chunk = candidates[start : start + CHUNK]
        with engine.connect() as conn:
            page = store.posts_to_embed(
                conn, window.since, window.until, embedder.version, limit=CHUNK, candidates=chunk
            )
        read += len(page)
        english = []
        for post in page:
            if _language_supported(post.text):
                english.append(post)
            else:
                unsupported.append(post.post_id)
        if english:
            vectors = embedder.encode([mask(p.text, p.spans, terms) for p in english])
            with engine.begin() as conn:
                store.save_embeddings(conn, [p.post_id for p in english], vectors, embedder.version)
            embedded.extend(p.post_id for p in english)
        if progress is not None:
            progress(len(page))
    return embedded, unsupported, read


def _due(
    engine: Engine, settings: Settings, window: Window, embedder_version: str
) -> tuple[bool, bool]:
    """``(must, stale)``: must discover (no outcomes yet, or they were found by another
    embedder, so new vectors cannot be compared with them); the current discovery is older
    than ``GRAPEVINE_OUTCOME_REDISCOVER_DAYS`` at the window's end (measured on data time, so
    a backfill decides what the original night decided)."""
    with engine.connect() as conn:
        latest = store.latest_discovery(conn)
        has_outcomes = bool(store.current_outcomes(conn))
    if latest is None or not has_outcomes or latest.embedder_version != embedder_version:
        return True, True
    if window.until is None:
        return False, False
    seen = latest.window_end or latest.discovered_at
    return False, window.until - seen >= timedelta(days=settings.outcome_rediscover_days)


def discover_options(settings: Settings) -> dict[str, Any]:
    """``nlp.outcomes.discover``'s options from the settings, as every discovery uses them (and
    records them with it)."""
    return {
        "min_posts": settings.outcome_min_posts,
        "sample": settings.outcome_discovery_sample,
        "min_similarity": settings.outcome_assign_similarity,
        "seed": SEED,
    }


def discover_outcomes(
    engine: Engine, settings: Settings, embedder_version: str, window: Window | None = None
) -> tuple[int | None, dict[str, int]]:
    """Cluster every stored embedding, store the outcomes (matched to the old ones) and
    re-assign every embedded post. ``(None, {})`` when there are too few posts yet."""
    from nlp.outcomes import assign, discover, match

    with engine.connect() as conn:
        ids, vectors = store.load_embeddings(conn, None, None, embedder_version)
        if len(ids) < MIN_POSTS_FACTOR * settings.outcome_min_posts:
            log.info("outcomes: %d embedded posts, too few to discover outcomes", len(ids))
            return None, {}
        terms = store.brand_terms(conn)
        supported: list[bool] = []

        def masked(text: str, spans: Sequence[tuple[int, int]]) -> str:
            supported.append(_language_supported(text))
            return mask(text, spans, terms)

        texts = store.masked_texts(conn, ids.tolist(), masked)
        old = store.current_outcomes(conn)
    # Vectors stored before the language gate last changed may belong to posts it now leaves
    # out: they would cluster by language ("la / en"), not by outcome. Left out, and stored as
    # unassigned (unsupported language) once the new discovery exists.
    keep = np.asarray(supported, dtype=bool)
    unsupported = ids[~keep].tolist()
    if unsupported:
        ids, vectors = ids[keep], vectors[keep]
        texts = [t for t, k in zip(texts, supported, strict=True) if k]
        if len(ids) < MIN_POSTS_FACTOR * settings.outcome_min_posts:
            log.info("outcomes: %d embedded posts, too few to discover outcomes", len(ids))
            return None, {}
    options = discover_options(settings)
    found = discover(vectors, texts, **options)
    if not found.outcomes:
        log.info("outcomes: discovery over %d posts found no outcome", len(ids))
        return None, {}
    new_centroids = np.stack([o.centroid for o in found.outcomes])
    mapping: dict[int, int] = {}
    if old:
        old_centroids = np.stack([o.centroid for o in old])
        mapping = match(old_centroids, new_centroids, min_similarity=MATCH_SIMILARITY)
    rows = []
    for index, outcome in enumerate(found.outcomes):
        previous = old[mapping[index]] if index in mapping else None
        similarity = (
            float(np.dot(previous.centroid, outcome.centroid)) if previous is not None else None
        )
        rows.append(
            store.NewOutcome(
                label=outcome.label,
                key_phrases=outcome.key_phrases,
                size=outcome.size,
                centroid=outcome.centroid,
                representative_post_ids=[int(ids[i]) for i in outcome.representatives],
                matched_id=previous.id if previous is not None else None,
                matched_similarity=similarity,
            )
        )
    with engine.begin() as conn:
        discovery_id = store.save_discovery(
            conn,
            embedder_version=embedder_version,
            n_posts=len(ids),
            n_outcomes=len(rows),
            params={**options, "match_similarity": MATCH_SIMILARITY},
            window_start=None,
            window_end=window.until if window is not None else None,
        )
        outcome_ids = store.save_outcomes(conn, discovery_id, rows)
        assigned, scores = assign(
            vectors, new_centroids, min_similarity=settings.outcome_assign_similarity
        )
        store.save_assignments(
            conn, _assignments(ids.tolist(), assigned, scores, outcome_ids, discovery_id)
        )
    if unsupported:
        _store_unsupported(engine, unsupported)
        log.info("outcomes: %d stored vectors left out (language not supported)", len(unsupported))
    kept = len(mapping)
    counts = {
        "outcomes": len(rows),
        "kept": kept,
        "new": len(rows) - kept,
        "retired": len(old) - kept,
        "assigned": int((assigned >= 0).sum()),
        "unassigned": int((assigned < 0).sum()),
    }
    return discovery_id, counts


def _assignments(
    post_ids: Sequence[int],
    assigned: np.ndarray,
    scores: np.ndarray,
    outcome_ids: Sequence[int],
    discovery_id: int,
) -> list[store.Assignment]:
    rows = []
    for post_id, index, score in zip(post_ids, assigned.tolist(), scores.tolist(), strict=True):
        known = score == score  # NaN: no outcome at all to compare with
        rows.append(
            store.Assignment(
                post_id=int(post_id),
                outcome_id=int(outcome_ids[index]) if index >= 0 else None,
                score=float(score) if known else None,
                reason=None if index >= 0 else store.BELOW_SIMILARITY,
                discovery_id=discovery_id,
            )
        )
    return rows


def assign_posts(
    engine: Engine, settings: Settings, embedder_version: str, post_ids: Sequence[int]
) -> tuple[int, int]:
    """Assign newly embedded posts to the current outcomes; ``(assigned, unassigned)``."""
    from nlp.outcomes import assign

    if not post_ids:
        return 0, 0
    with engine.connect() as conn:
        current = store.current_outcomes(conn)
        latest = store.latest_discovery(conn)
    if latest is None or not current:
        return 0, 0
    centroids = np.stack([o.centroid for o in current])
    done = [0, 0]
    for start in range(0, len(post_ids), CHUNK * 8):
        chunk = list(post_ids[start : start + CHUNK * 8])
        with engine.begin() as conn:
            ids, vectors = store.load_embeddings_for(conn, chunk, embedder_version)
            assigned, scores = assign(
                vectors, centroids, min_similarity=settings.outcome_assign_similarity
            )
            store.save_assignments(
                conn,
                _assignments(ids.tolist(), assigned, scores, [o.id for o in current], latest.id),
            )
        done[0] += int((assigned >= 0).sum())
        done[1] += int((assigned < 0).sum())
    return done[0], done[1]


def _store_unsupported(engine: Engine, post_ids: Sequence[int]) -> None:
    with engine.connect() as conn:
        latest = store.latest_discovery(conn)
    if latest is None or not post_ids:
        return  # stays pending until a discovery exists (language detection is cheap)
    with engine.begin() as conn:
        store.save_assignments(
            conn,
            [
                store.Assignment(int(p), None, None, store.UNSUPPORTED_LANGUAGE, latest.id)
                for p in post_ids
            ],
        )


#: What the outcome day counts are computed from, and what they write.
DAILY_INPUTS = (
    "brands",
    "posts",
    "post_brands",
    "classifications",
    "model_versions",
    "outcomes",
    "post_outcomes",
)
DAILY_OUTPUTS = ("outcome_daily",)


def _recompute_daily(engine: Engine, days: Window, tz: str) -> int:
    """Recompute the brand x outcome x day counts of ``days``, unless nothing they are
    computed from changed since they last were (``warehouse.changes``): 0 rows then."""
    scope = changes.scope_key(since=days.since, until=days.until, tz=tz)
    before, done = changes.check(engine, "outcome_daily", scope, DAILY_INPUTS, DAILY_OUTPUTS)
    if done is not None:
        return 0
    with engine.begin() as conn:
        rows = store.recompute_outcome_daily(conn, days.since, days.until, tz)
    changes.record(engine, "outcome_daily", scope, before)
    return rows


def _top(engine: Engine, n: int = 5) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        current = store.current_outcomes(conn)
    biggest = sorted(current, key=lambda o: (-o.size, o.id))[:n]
    return [{"id": o.id, "label": o.label, "size": o.size} for o in biggest]


def run(
    engine: Engine,
    settings: Settings,
    window: Window,
    *,
    rediscover: bool | None = None,
    embedder: SentenceEmbedder | None = None,
    progress_for: Callable[[str, int | None], Progress] | None = None,
) -> Summary:
    """Embed and assign the window's new posts; discover outcomes when due.

    ``rediscover``: ``True`` discovers again now, ``False`` never (except a first discovery
    when there is none: nothing could be assigned otherwise), ``None`` (default) when the
    current discovery is older than ``GRAPEVINE_OUTCOME_REDISCOVER_DAYS``.
    """
    started = time.perf_counter()
    if not settings.outcomes:
        with engine.begin() as conn:  # nothing reads the queue while the stage is off
            queues.clear(conn, queues.OUTCOMES)
        return asdict(OutcomesSummary(skipped="GRAPEVINE_OUTCOMES is false"))
    embedder = embedder or load_embedder(settings)
    summary = OutcomesSummary(embedder=embedder.version)
    progress = progress_for("reading posts for outcomes", None) if progress_for else None
    # The queued posts only (warehouse.queues): O(new posts), not O(window). Their queue rows
    # are read before the work and deleted after it, unless the post still waits.
    with engine.begin() as conn:
        queues.sync(conn, queues.OUTCOMES, {"embedder": embedder.version})
    with engine.connect() as conn:
        candidates = queues.queued(conn, queues.OUTCOMES, since=window.since, until=window.until)
        read_rows = queues.rows(conn, queues.OUTCOMES, candidates)
    embedded, unsupported, summary.posts_read = embed_pending(
        engine, embedder, window, candidates, progress=progress
    )
    summary.embedded = len(embedded)
    summary.unsupported_language = len(unsupported)
    must, stale = _due(engine, settings, window, embedder.version)
    if must or rediscover or (rediscover is None and stale):
        discovery_id, counts = discover_outcomes(engine, settings, embedder.version, window)
        if discovery_id is not None:
            summary.discovered = True
            summary.discovery_id = discovery_id
            summary.outcomes = counts["outcomes"]
            summary.kept, summary.new, summary.retired = (
                counts["kept"],
                counts["new"],
                counts["retired"],
            )
            summary.assigned, summary.unassigned = counts["assigned"], counts["unassigned"]
        elif must:
            summary.skipped = "too few posts to discover outcomes yet; they stay pending"
        else:
            summary.assigned, summary.unassigned = assign_posts(
                engine, settings, embedder.version, embedded
            )
    else:
        summary.assigned, summary.unassigned = assign_posts(
            engine, settings, embedder.version, embedded
        )
    _store_unsupported(engine, unsupported)
    with engine.begin() as conn:
        queues.dequeue(
            conn,
            queues.OUTCOMES,
            read_rows,
            unless=store.STILL_PENDING,
            params={"version": embedder.version},
        )
    # A discovery re-assigns history: every day's counts change, not only the window's.
    days = Window() if summary.discovered else window
    summary.daily_rows = _recompute_daily(engine, days, settings.timezone)
    analyze_changed(
        engine,
        store.changed_tables(
            embeddings=summary.embedded,
            assignments=summary.assigned + summary.unassigned + summary.unsupported_language,
            daily_rows=summary.daily_rows,
        ),
    )
    with engine.connect() as conn:
        summary.outcomes = summary.outcomes or len(store.current_outcomes(conn))
    summary.top = _top(engine)
    summary.seconds = round(time.perf_counter() - started, 2)
    return asdict(summary)
