"""Fixture data for the metrics, alerts, analyst-role and report tests.

Posts, brand mentions, classifications and model versions are written directly (the
``classify`` stage is built elsewhere), in bulk, the way the real loaders leave them: sentiment
rows with ``brand_id`` NULL, advocacy rows per (post, brand), one current model per task.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from psycopg2.extras import execute_values
from sqlalchemy import Connection, Engine, text

SENTIMENT_V = "sent-1"
ADVOCACY_V = "adv-1"
_ids = itertools.count(1)


@dataclass
class P:
    """One post to seed. ``advocacy`` maps brand name -> label (absent: not classified)."""

    created_at: datetime
    brands: Sequence[str]
    advocacy: Mapping[str, str] = field(default_factory=dict)
    sentiment: str | None = "neutral"
    source: str = "file"
    text: str = "a post"
    author_key: str | None = None
    author_handle: str | None = None
    followers: int | None = 0
    likes: int | None = None
    replies: int | None = None
    reposts: int | None = None
    score: int | None = None
    url: str | None = None
    thread_id: str | None = None
    parent_id: str | None = None
    is_c2c: bool = True
    owned_by: Sequence[str] = ()
    lang: str = "en"
    raw: Mapping[str, object] = field(default_factory=lambda: {"secret_author": "handle"})
    source_id: str | None = None


def at(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def add_brands(engine: Engine, brands: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """Insert brands (name -> competitor names); returns name -> id."""
    with engine.begin() as conn:
        for name, competitors in brands.items():
            conn.execute(
                text(
                    "INSERT INTO brands (name, slug, competitors)"
                    " VALUES (:n, :s, CAST(:c AS jsonb))"
                ),
                {
                    "n": name,
                    "s": name.lower().replace(" ", "-"),
                    "c": json.dumps(list(competitors)),
                },
            )
        rows = conn.execute(text("SELECT name, id FROM brands"))
        return {n: i for n, i in rows}


def set_models(engine: Engine, sentiment: str = SENTIMENT_V, advocacy: str = ADVOCACY_V) -> None:
    """Register model versions and make these two current."""
    with engine.begin() as conn:
        conn.execute(text("UPDATE model_versions SET is_current = false"))
        for task, version in (("sentiment", sentiment), ("advocacy", advocacy)):
            conn.execute(
                text(
                    "INSERT INTO model_versions (task, model_version, model_name, is_current)"
                    " VALUES (:t, :v, 'test-model', true)"
                    " ON CONFLICT (task, model_version) DO UPDATE SET is_current = true"
                ),
                {"t": task, "v": version},
            )


def add_posts(
    engine: Engine | Connection,
    posts: Iterable[P],
    brand_ids: Mapping[str, int],
    *,
    sentiment_version: str = SENTIMENT_V,
    advocacy_version: str = ADVOCACY_V,
) -> list[int]:
    """Bulk-insert posts, their brand mentions and classifications; returns the post ids."""
    if isinstance(engine, Connection):
        return _add(engine, list(posts), brand_ids, sentiment_version, advocacy_version)
    with engine.begin() as conn:
        return _add(conn, list(posts), brand_ids, sentiment_version, advocacy_version)


def _add(
    conn: Connection,
    posts: list[P],
    brand_ids: Mapping[str, int],
    sentiment_version: str,
    advocacy_version: str,
) -> list[int]:
    if not posts:
        return []
    rows = []
    for p in posts:
        sid = p.source_id or f"s{next(_ids)}"
        p.source_id = sid
        rows.append(
            (
                p.source,
                sid,
                p.url,
                p.author_key,
                p.author_handle,
                p.followers,
                p.created_at,
                p.text,
                p.lang,
                p.parent_id,
                p.thread_id,
                p.likes,
                p.replies,
                p.reposts,
                p.score,
                p.is_c2c,
                json.dumps(dict(p.raw)),
                hashlib.md5(sid.encode()).hexdigest(),
            )
        )
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    with dbapi.cursor() as cur:
        got = execute_values(
            cur,
            "INSERT INTO posts (source, source_id, url, author_key, author_handle,"
            " author_followers, created_at, text, lang, parent_id, thread_id, likes, replies,"
            " reposts, score, is_c2c, raw, content_hash) VALUES %s RETURNING source_id, id",
            rows,
            fetch=True,
            page_size=1000,
        )
        ids = dict(got)
        mentions, labels = [], []
        for p in posts:
            pid = ids[p.source_id]
            if p.sentiment is not None:
                labels.append(
                    (
                        pid,
                        None,
                        "sentiment",
                        p.sentiment,
                        0.9,
                        "{}",
                        p.lang,
                        "test-model",
                        sentiment_version,
                    )
                )
            for b in p.brands:
                mentions.append((pid, brand_ids[b], b in p.owned_by))
                if b in p.advocacy:
                    labels.append(
                        (
                            pid,
                            brand_ids[b],
                            "advocacy",
                            p.advocacy[b],
                            0.9,
                            "{}",
                            p.lang,
                            "test-model",
                            advocacy_version,
                        )
                    )
        execute_values(
            cur,
            "INSERT INTO post_brands (post_id, brand_id, brand_owned) VALUES %s",
            mentions,
            page_size=1000,
        )
        if labels:
            execute_values(
                cur,
                "INSERT INTO classifications (post_id, brand_id, task, label, confidence, probs,"
                " lang, model_name, model_version) VALUES %s",
                labels,
                page_size=1000,
            )
    return [ids[p.source_id] for p in posts]  # type: ignore[index]


def daily_series(
    brand: str,
    start: date,
    days: int,
    *,
    mentions: int | Sequence[int],
    badvocacy: int | Sequence[int],
    advocacy: int = 0,
    source: str = "file",
    followers: int = 100,
) -> list[P]:
    """``days`` days of posts about ``brand``: per day ``mentions`` posts of which ``badvocacy``
    are badvocacy and ``advocacy`` advocacy (ints or one value per day)."""
    out: list[P] = []
    for i in range(days):
        day = start + timedelta(days=i)
        n = mentions if isinstance(mentions, int) else mentions[i]
        bad = badvocacy if isinstance(badvocacy, int) else badvocacy[i]
        for j in range(n):
            label = "badvocacy" if j < bad else "advocacy" if j < bad + advocacy else "none"
            out.append(
                P(
                    created_at=at(day, 8 + j % 12),
                    brands=[brand],
                    advocacy={brand: label},
                    sentiment="negative" if label == "badvocacy" else "neutral",
                    source=source,
                    author_key=f"author-{brand}-{j % 40}",
                    followers=followers * (1 + j % 7),
                    url=f"https://example.com/{brand}/{day}/{j}",
                    text=f"{brand} post {j} on {day} ({label})",
                )
            )
    return out


def seed_labelled_posts(
    conn: Connection, history: int, new: int, versions: tuple[str, str] = ("s-v1", "a-v1")
) -> None:
    """Brands Acme and Globex; ``history`` posts one second apart from 1 Oct 2026 with a
    'neutral' sentiment and advocacy label per mention for ``versions`` (sentiment, advocacy),
    then ``new`` posts without labels. SQL only, no model runs: tens of thousands in seconds."""
    run = conn.execute
    run(text("INSERT INTO brands (name, slug) VALUES ('Acme', 'acme'), ('Globex', 'globex')"))
    run(
        text(
            """
            INSERT INTO posts (source, source_id, created_at, text, content_hash)
            SELECT 'bench', g::text, timestamptz '2026-10-01' + g * interval '1 second',
                   'post ' || g, md5(g::text)
            FROM generate_series(1, :n) g
            """
        ),
        {"n": history + new},
    )
    # Every post names Acme; every third also Globex (two advocacy rows to find per post).
    run(
        text(
            """
            INSERT INTO post_brands (post_id, brand_id, mention_start, mention_end)
            SELECT p.id, b.id, 0, 4 FROM posts p JOIN brands b
              ON b.slug = 'acme' OR (b.slug = 'globex' AND p.id % 3 = 0)
            """
        )
    )
    cols = "post_id, brand_id, task, label, model_name, model_version"
    run(
        text(
            f"""
            INSERT INTO classifications ({cols})
            SELECT p.id, NULL, 'sentiment', 'neutral', 's', :sv FROM posts p
            WHERE p.id <= (SELECT min(id) - 1 + :h FROM posts)
            """
        ),
        {"sv": versions[0], "h": history},
    )
    run(
        text(
            f"""
            INSERT INTO classifications ({cols})
            SELECT pb.post_id, pb.brand_id, 'advocacy', 'neutral', 'a', :av FROM post_brands pb
            WHERE pb.post_id <= (SELECT min(id) - 1 + :h FROM posts)
            """
        ),
        {"av": versions[1], "h": history},
    )
