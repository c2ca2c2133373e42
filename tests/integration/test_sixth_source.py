"""Adding a source is one module and one spec (issue #11): a sixth source, defined only in
``tests/fakes/sixth.py``, is collectable from the CLI, runs in ``grapevine run``, gets an
Airflow collect task, pool and connection, and a row in the docs table, with no other edit."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from grapevine import sources
from grapevine.cli import app
from grapevine.core.settings import Settings
from tests.fakes import sixth

pytestmark = pytest.mark.integration
runner = CliRunner()

BRANDS = """
brands:
  - name: Globex Airlines
    aliases: ["globex"]
"""


@pytest.fixture
def with_sixth(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sources, "SOURCES", [*sources.SOURCES, sixth.SPEC])


def test_a_sixth_source_is_collected_from_the_cli(
    with_sixth: None, tmp_path: Path, engine: Engine, settings: Settings
) -> None:
    (tmp_path / "brands.yaml").write_text(BRANDS, encoding="utf-8")
    args = ["--since", "2026-10-01T00:00Z", "--until", "2026-10-01T06:00Z"]
    result = runner.invoke(app, ["collect", "--source", "sixth", *args])
    assert result.exit_code == 0, result.output
    assert "sixth" in result.output
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT count(*) FROM posts WHERE source = 'sixth'")).scalar()
    assert stored == 6  # one an hour for the one brand


def test_without_its_spec_it_is_unknown(engine: Engine, settings: Settings) -> None:
    result = runner.invoke(app, ["collect", "--source", "sixth"])
    assert result.exit_code == 2
    assert "is not a source" in result.output


def test_a_sixth_source_runs_with_every_configured_source(
    with_sixth: None, settings: Settings
) -> None:
    from grapevine.stages.collect import enabled_sources

    assert enabled_sources(settings)[-2:] == ["hackernews", "sixth"]


def test_a_sixth_source_gets_its_airflow_task_pool_and_connection(with_sixth: None) -> None:
    from grapevine.airflow import make_window, plan_collection, pools

    assert pools()["grapevine_sixth"]["slots"] == 1
    planned = plan_collection(make_window("2026-03-01", "2026-03-03"), ["sixth"])
    assert len(planned["sixth"]) == 2 and planned["reddit"] == []
    assert "| Sixth (test only) | `sixth` | none | `grapevine_sixth` | `grapevine_sixth` |" in (
        sources.docs_table()
    )
