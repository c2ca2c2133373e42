"""Renaming a brand by case or punctuation is a rename: same row, same id, new name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from grapevine.cli import app
from grapevine.core.domain import Brand
from grapevine.core.settings import Settings
from warehouse.load import sync_brands

pytestmark = pytest.mark.integration


def _brands(engine: Engine) -> list[tuple[int, str, str]]:
    with engine.connect() as conn:
        return [
            tuple(r) for r in conn.execute(text("SELECT id, name, slug FROM brands ORDER BY id"))
        ]


@pytest.mark.parametrize("new_name", ["ACME AIR", "Acme-Air"])
def test_a_rename_that_keeps_the_slug_keeps_the_id(engine: Engine, new_name: str) -> None:
    with engine.begin() as conn:
        first = sync_brands(conn, [Brand("Acme Air", aliases=("acmeair",)), Brand("Globex")])
    with engine.begin() as conn:
        second = sync_brands(conn, [Brand(new_name, aliases=("acme",)), Brand("Globex")])
    assert second == {new_name: first["Acme Air"], "Globex": first["Globex"]}
    assert _brands(engine) == [
        (first["Acme Air"], new_name, "acme-air"),
        (first["Globex"], "Globex", "globex"),
    ]
    with engine.connect() as conn:
        aliases = conn.execute(text("SELECT aliases FROM brands WHERE name = :n"), {"n": new_name})
        assert aliases.scalar_one() == ["acme"]


def test_collect_runs_after_a_rename_by_case(
    tmp_path: Path, engine: Engine, settings: Settings
) -> None:
    runner = CliRunner()
    posts = tmp_path / "posts.jsonl"
    posts.write_text(
        json.dumps(
            {"id": "1", "text": "acme air lost my bag", "created_at": "2026-10-01T10:00:00Z"}
        )
        + "\n",
        encoding="utf-8",
    )
    for name in ("Acme Air", "ACME AIR"):
        (tmp_path / "brands.yaml").write_text(f"brands:\n  - name: {name}\n", encoding="utf-8")
        result = runner.invoke(app, ["collect", "--source", "file", "--path", str(posts)])
        assert result.exit_code == 0, result.output
    assert [name for _, name, _ in _brands(engine)] == ["ACME AIR"]
