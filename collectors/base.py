"""The contract every collector implements.

A collector yields :class:`Page` objects: the posts it parsed, the records it could not parse
(quarantine), and the cursor to persist *after* the page is committed. The pipeline loads each
page in one transaction and saves the cursor in that same transaction, so a crash re-fetches a
page rather than losing it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from grapevine.core.domain import Brand, Post, QuarantineRecord

Cursor = dict[str, Any]


@dataclass(slots=True)
class Page:
    """One unit of collected work, loaded atomically."""

    posts: list[Post] = field(default_factory=list)
    quarantined: list[QuarantineRecord] = field(default_factory=list)
    cursor: Cursor | None = None
    scope: str = "*"
    #: How much of the input this page covers (bytes for files, items for APIs): drives progress.
    progress: int = 0


@runtime_checkable
class Collector(Protocol):
    """A source of posts for the watched brands in the window ``[since, until)``."""

    source: str

    def collect(
        self,
        brands: Sequence[Brand],
        since: datetime | None,
        until: datetime | None,
        cursors: Mapping[str, Cursor],
    ) -> Iterator[Page]:
        """Yield pages; ``cursors`` maps each scope to the cursor saved by the last run."""
        ...
