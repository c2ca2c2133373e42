"""The CLI facing broken input: a clear message (or a quarantined record), never a traceback."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from grapevine.cli import app
from grapevine.core.settings import Settings

pytestmark = pytest.mark.integration
runner = CliRunner()

BRANDS = """
brands:
  - name: Globex Airlines
    aliases: ["globex"]
"""


def jsonl(n: int) -> bytes:
    return b"".join(
        json.dumps(
            {"id": str(i), "text": f"globex flight {i}", "created_at": "2026-10-01T10:00:00Z"}
        ).encode()
        + b"\n"
        for i in range(n)
    )


def posts_and_quarantine(engine: Engine) -> tuple[int, list[str]]:
    with engine.connect() as conn:
        posts = conn.execute(text("SELECT count(*) FROM posts")).scalar_one()
        errors = conn.execute(text("SELECT error FROM quarantine")).scalars().all()
    return int(posts), list(errors)


@pytest.fixture
def ready(tmp_path: Path, engine: Engine, settings: Settings) -> Path:
    (tmp_path / "brands.yaml").write_text(BRANDS, encoding="utf-8")
    assert runner.invoke(app, ["init-db"]).exit_code == 0
    return tmp_path


def test_a_truncated_gzip_keeps_what_loaded_and_says_where_it_stops(
    ready: Path, engine: Engine
) -> None:
    whole = gzip.compress(jsonl(3_000))
    path = ready / "posts.jsonl.gz"
    path.write_bytes(whole[: len(whole) // 2])
    result = runner.invoke(app, ["collect", "-s", "file", "-p", str(path)])
    assert result.exit_code == 0, result.output
    assert "Aborted" not in result.output
    posts, errors = posts_and_quarantine(engine)
    assert 0 < posts < 3_000
    assert len(errors) == 1 and "cut short or corrupt after line" in errors[0]
    again = runner.invoke(app, ["collect", "-s", "file", "-p", str(path)])
    assert again.exit_code == 0
    assert posts_and_quarantine(engine) == (posts, errors)


def test_a_plain_file_named_gz_is_a_clear_error(ready: Path) -> None:
    path = ready / "posts.jsonl.gz"
    path.write_bytes(jsonl(3))
    result = runner.invoke(app, ["collect", "-s", "file", "-p", str(path)])
    assert result.exit_code == 2
    assert "is not a gzip file" in result.output and "Traceback" not in result.output


def test_upper_case_extensions_are_decompressed(ready: Path, engine: Engine) -> None:
    path = ready / "POSTS.JSONL.GZ"
    path.write_bytes(gzip.compress(jsonl(4)))
    result = runner.invoke(app, ["collect", "-s", "file", "-p", str(path)])
    assert result.exit_code == 0, result.output
    assert posts_and_quarantine(engine) == (4, [])


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("postgresql://postgres:pw@127.0.0.1:1/x", "cannot connect to the warehouse at"),
        ("postgresql://postgres:pw@127.0.0.1:notaport/x", "the port must be a number"),
    ],
    ids=["nothing listens", "port is not a number"],
)
def test_init_db_against_a_bad_url_is_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str, said: str
) -> None:
    from grapevine.core.settings import get_settings

    monkeypatch.setenv("GRAPEVINE_DATABASE_URL", url)
    monkeypatch.setenv("GRAPEVINE_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        result = runner.invoke(app, ["init-db"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2, result.output
    assert said in result.output and "GRAPEVINE_DATABASE_URL" in result.output
    assert "pw" not in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("kind", ["latin-1", "folder"])
def test_a_broken_watchlist_is_one_clear_error(ready: Path, kind: str) -> None:
    brands = ready / "brands.yaml"
    brands.unlink()
    if kind == "folder":
        brands.mkdir()
    else:
        brands.write_bytes("brands:\n  - name: Café\n".encode("latin-1"))
    posts = ready / "posts.jsonl"
    posts.write_bytes(jsonl(1))
    result = runner.invoke(app, ["collect", "-s", "file", "-p", str(posts)])
    assert result.exit_code == 2, result.output
    assert ("not UTF-8" if kind == "latin-1" else "is a folder") in result.output
