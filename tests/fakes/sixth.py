"""A sixth source that exists only in the tests: its whole module is this file.

Adding it to Grapevine is this module plus one ``SourceSpec`` (see
``tests/integration/test_sixth_source.py``): nothing else names it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta

from collectors.base import Cursor, Page
from collectors.http import RequestGate
from grapevine.core.domain import Brand, Post
from grapevine.core.privacy import Pseudonymiser
from grapevine.core.settings import Settings
from grapevine.sources import SourceSpec

SOURCE = "sixth"


class SixthCollector:
    """Says one thing about each watched brand every hour of the window."""

    source = SOURCE

    def __init__(self, pseudo: Pseudonymiser) -> None:
        self.pseudo = pseudo

    def collect(
        self,
        brands: Sequence[Brand],
        since: datetime | None,
        until: datetime | None,
        cursors: Mapping[str, Cursor],
    ) -> Iterator[Page]:
        assert since is not None and until is not None
        posts, at = [], since
        while at < until:
            for brand in brands:
                posts.append(
                    Post(
                        source=SOURCE,
                        source_id=f"{brand.name}-{at:%Y%m%d%H}",
                        created_at=at,
                        text=f"never flying {brand.name} again, lost my bag",
                        author_key=self.pseudo.author_key(SOURCE, f"user{at.hour}"),
                    )
                )
            at += timedelta(hours=1)
        yield Page(posts=posts, progress=len(posts))


def build(
    settings: Settings, pseudo: Pseudonymiser, gate: RequestGate, page: int | None
) -> SixthCollector:
    return SixthCollector(pseudo)


SPEC = SourceSpec(
    "sixth",
    "Sixth (test only)",
    "tests.fakes.sixth:build",
)
