"""Hostile file input through the real collector into the real Postgres (issue #12)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from grapevine.core.settings import Settings
from grapevine.core.watchlist import Watchlist
from grapevine.stages import collect as pipeline

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


def test_the_demo_stores_no_url_that_names_its_author(engine: Engine, settings: Settings) -> None:
    """The bundled demo (unchanged data file) loads with handle-free URLs, raw payloads too."""
    from grapevine.cli.commands import demo_files

    with demo_files() as (posts_path, brands_path):
        authors = set()
        for line in posts_path.read_text(encoding="utf-8").splitlines():
            try:
                item = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(item, dict) and isinstance(item.get("author"), str):
                authors.add(item["author"].lstrip("@").lower())
        demo = Watchlist.from_yaml(brands_path)
        summary = pipeline.collect_file(posts_path, demo, engine, settings, now=NOW)
    assert summary.loaded > 3_000
    with engine.connect() as conn:
        shown = conn.execute(text("SELECT source, url FROM analytics.stg_posts")).all()
        rows = conn.execute(text("SELECT source, url, raw::text FROM posts")).all()
    assert sorted(shown) == sorted((s, u) for s, u, _ in rows)
    assert len(rows) == summary.loaded
    leaks = [
        (source, url)
        for source, url, _ in rows
        if url and any(f"/{a}/" in url.lower() or f"/@{a}" in url.lower() for a in authors)
    ]
    assert leaks == []
    by_source = {s: sum(1 for src, u, _ in rows if src == s and u) for s, _, _ in rows}
    assert by_source["x"] > 0 and by_source["reddit"] > 0 and by_source["hackernews"] > 0
    assert by_source["bluesky"] == 0 and by_source["mastodon"] == 0
    assert all("/status/" not in u or "/i/web/status/" in u for _, u, _ in rows if u)
    raw_leaks = [raw for _, _, raw in rows if "/profile/" in raw or "/@" in raw]
    assert raw_leaks == []
