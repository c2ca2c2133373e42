"""Hostile file input through the real collector into the real Postgres (issue #12)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from grapevine import pipeline
from grapevine.settings import Settings
from grapevine.watchlist import Watchlist

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 1, tzinfo=UTC)
BRANDS = """
brands:
  - name: Acme Air
    aliases: ["acme air", "acmeair"]
"""


@pytest.fixture
def watchlist() -> Watchlist:
    return Watchlist.from_yaml_text(BRANDS)


def counts(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        posts = conn.execute(text("SELECT count(*) FROM posts")).scalar_one()
        quarantined = conn.execute(text("SELECT count(*) FROM quarantine")).scalar_one()
    return int(posts), int(quarantined)


@pytest.mark.parametrize(
    ("first", "second"),
    [("id", "id\u0000"), ("id\ud800", "id\udfff"), ("id\u0000\ud800", "id\udc00")],
    ids=["nul", "surrogates", "both"],
)
@pytest.mark.parametrize("field", ["id", "source"])
def test_keys_that_differ_only_by_what_postgres_drops_load_as_one_row(
    tmp_path: Path,
    engine: Engine,
    settings: Settings,
    watchlist: Watchlist,
    field: str,
    first: str,
    second: str,
) -> None:
    base = {
        "id": "7",
        "source": "forum",
        "text": "Acme Air lost my bag",
        "created_at": "2026-10-01",
    }
    lines = [
        json.dumps({**base, field: first}),
        json.dumps({**base, field: second, "text": "Acme Air found my bag"}),
        json.dumps({**base, "id": "8"}),
    ]
    path = tmp_path / "posts.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary = pipeline.collect_file(path, watchlist, engine, settings, now=NOW)
    assert (summary.read, summary.loaded, summary.quarantined) == (3, 2, 0)
    with engine.connect() as conn:
        edited = conn.execute(text("SELECT text FROM posts WHERE source_id <> '8'")).scalar_one()
    assert edited == "Acme Air found my bag"  # the later line is the later edit
    assert counts(engine) == (2, 0)
