"""Synthetic conversations that every fake API renders in its own JSON shape.

A :class:`Corpus` is a list of :class:`Doc` (top-level posts and replies, ids increasing with
time). Tests bend it to their case: ``deleted`` docs, ``mutate`` hooks that break one rendered
item (a missing field, a wrong type), retweets, and so on.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

PHRASES = (
    "I love {b}, the crew was lovely",
    "{b} lost my bag again, never flying with them",
    "anyone tried {b} to Lisbon? worth it?",
    "{b} refund took three weeks #{tag}",
    "switching to {b}, cheaper and on time",
    "honestly {b} customer service is a joke",
)


@dataclass(slots=True)
class Doc:
    """One post or reply, independent of any API."""

    id: int
    created: datetime
    text: str
    author: str
    author_id: str
    parent: int | None = None
    root: int | None = None
    deleted: bool = False
    retweet_of: int | None = None
    followers: int = 100
    likes: int = 1
    reposts: int = 0
    replies: int = 0

    @property
    def epoch(self) -> float:
        return self.created.timestamp()


@dataclass
class Corpus:
    """Docs newest first, plus per-doc hooks that corrupt the rendered API item."""

    docs: list[Doc]
    mutate: dict[int, Callable[[dict[str, Any]], Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.docs.sort(key=lambda d: (d.created, d.id), reverse=True)
        self.by_id = {d.id: d for d in self.docs}

    @classmethod
    def generate(
        cls,
        n: int,
        since: datetime,
        until: datetime,
        *,
        brand: str = "Acme Air",
        tag: str = "AcmeAir",
        reply_every: int = 0,
        seed: int = 7,
    ) -> Corpus:
        """``n`` docs spread evenly over ``[since, until)``; every ``reply_every``-th is a reply."""
        rng = random.Random(seed)
        step = (until - since) / max(n, 1)
        docs: list[Doc] = []
        for i in range(n):
            created = (since + step * i).replace(microsecond=0)
            if created < since:
                created = since
            author_n = rng.randrange(50)
            text = rng.choice(PHRASES).format(b=brand, tag=tag) + f" #{tag} ({i})"
            parent = root = None
            if reply_every and i % reply_every and docs:
                top = [d for d in docs[-reply_every:] if d.parent is None]
                if top:
                    parent = top[-1].id
                    root = top[-1].id
                    text = f"@user{author_n} " + text
            docs.append(
                Doc(
                    id=i + 1,
                    created=created,
                    text=text,
                    author=f"user{author_n}",
                    author_id=f"{author_n:08d}",
                    parent=parent,
                    root=root,
                    followers=10 * author_n,
                    likes=rng.randrange(100),
                    reposts=rng.randrange(10),
                )
            )
        for d in docs:
            if d.parent is not None:
                docs[d.parent - 1].replies += 1
        return cls(docs)

    def render(self, doc: Doc, item: dict[str, Any]) -> Any:
        hook = self.mutate.get(doc.id)
        return hook(item) if hook else item

    def add(self, doc: Doc) -> None:
        self.docs.append(doc)
        self.__post_init__()


def drop(*keys: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A mutate hook that removes fields (nested with dots: ``record.createdAt``)."""

    def hook(item: dict[str, Any]) -> dict[str, Any]:
        out = dict(item)
        for key in keys:
            target = out
            parts = key.split(".")
            for part in parts[:-1]:
                target[part] = dict(target[part])
                target = target[part]
            target.pop(parts[-1], None)
        return out

    return hook


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


WINDOW_START = datetime(2026, 3, 1, tzinfo=UTC)
WINDOW_END = WINDOW_START + timedelta(days=1)
