"""The CLI as a user drives it: help texts, init-db, collect, mentions, and its errors."""

from __future__ import annotations

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


@pytest.mark.parametrize("command", [[], ["init-db"], ["collect"], ["mentions"], ["demo"]])
def test_every_command_has_help(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_help_paragraphs_wrap_to_the_terminal_not_to_the_source() -> None:
    """A docstring's line breaks are the source's, not the reader's: at 80 columns they left
    short, ragged lines in every command's help. Paragraphs now flow to the terminal width."""
    result = runner.invoke(app, ["eval", "outcomes", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "stay unassigned (as in the outcomes stage), and the rest are embedded" in result.output


def test_collect_file_then_mentions(tmp_path: Path, engine: Engine, settings: Settings) -> None:
    (tmp_path / "brands.yaml").write_text(BRANDS, encoding="utf-8")
    posts = tmp_path / "posts.jsonl"
    posts.write_text(
        "\n".join(
            json.dumps({"id": str(i), "text": f"globex {i}", "created_at": "2026-10-01T10:00:00Z"})
            for i in range(5)
        )
        + "\n{bad\n",
        encoding="utf-8",
    )
    assert runner.invoke(app, ["init-db"]).exit_code == 0
    result = runner.invoke(app, ["collect", "--source", "file", "--path", str(posts)])
    assert result.exit_code == 0, result.output
    assert "Collection summary" in result.output
    assert "quarantined" in result.output
    again = runner.invoke(app, ["collect", "-s", "file", "-p", str(posts)])
    assert again.exit_code == 0
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM posts")).scalar_one() == 5

    shown = runner.invoke(app, ["mentions", "--since", "2026-10-01", "--until", "2026-10-02"])
    assert shown.exit_code == 0, shown.output
    assert "Globex Airlines" in shown.output and "2026-10-01" in shown.output


def test_errors_are_one_clear_line(tmp_path: Path, engine: Engine, settings: Settings) -> None:
    missing_watchlist = runner.invoke(app, ["collect", "-s", "file", "-p", "x.jsonl"])
    assert missing_watchlist.exit_code == 2
    assert "GRAPEVINE_BRANDS_FILE" in missing_watchlist.output
    assert "Traceback" not in missing_watchlist.output

    (tmp_path / "brands.yaml").write_text(BRANDS, encoding="utf-8")
    missing_file = runner.invoke(app, ["collect", "-s", "file", "-p", str(tmp_path / "nope.jsonl")])
    assert missing_file.exit_code == 2
    assert "does not exist" in missing_file.output

    no_path = runner.invoke(app, ["collect", "-s", "file"])
    assert no_path.exit_code != 0 and "--path" in no_path.output

    bad_date = runner.invoke(app, ["mentions", "--since", "last tuesday"])
    assert bad_date.exit_code != 0 and "ISO" in bad_date.output


def test_uninitialised_warehouse_says_run_init_db(
    tmp_path: Path, database_factory, monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    from grapevine.core.settings import get_settings

    monkeypatch.setenv(
        "GRAPEVINE_DATABASE_URL", database_factory().render_as_string(hide_password=False)
    )
    get_settings.cache_clear()
    result = runner.invoke(app, ["mentions"])
    assert result.exit_code == 2
    assert "grapevine init-db" in result.output
