"""A real user's first day with the CLI (issue #13): what it says, and what it prints to a pipe."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from analytics_seed import P, add_brands, add_posts, at, set_models
from rich.console import Console
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL
from typer.testing import CliRunner

from grapevine.cli import app, commands, common
from grapevine.cli.progress import LineProgress
from grapevine.core.settings import Settings, get_settings
from grapevine.core.window import Window
from grapevine.stages import collect
from warehouse.views import ANALYST_ROLE

pytestmark = pytest.mark.integration
runner = CliRunner()

LONG = "American Airlines Group International"
BRANDS = f"""
brands:
  - name: {LONG}
    aliases: ["american airlines"]
  - name: Globex
    aliases: ["globex"]
"""


def test_version_needs_no_command() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("grapevine ")


def test_an_uninitialised_warehouse_says_so(
    database_factory, monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    monkeypatch.setenv(
        "GRAPEVINE_DATABASE_URL", database_factory().render_as_string(hide_password=False)
    )
    get_settings.cache_clear()
    result = runner.invoke(app, ["mentions"])
    assert result.exit_code == 2
    assert "is not initialised: run `grapevine init-db`" in result.output
    assert "nothing" not in result.output


def _write_posts(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def test_collect_summary_names_the_sources_rows_are_stored_under(
    tmp_path: Path, engine: Engine, settings: Settings
) -> None:
    (tmp_path / "brands.yaml").write_text(BRANDS, encoding="utf-8")
    rows: list[dict[str, object]] = [
        {"id": f"x{i}", "source": "x", "text": "globex", "created_at": "2026-10-01T10:00:00Z"}
        for i in range(3)
    ]
    rows.append({"id": "f1", "text": "globex too", "created_at": "2026-10-01T11:00:00Z"})
    posts = _write_posts(tmp_path / "posts.jsonl", rows)
    result = runner.invoke(app, ["collect", "-s", "file", "-p", str(posts)])
    assert result.exit_code == 0, result.output
    assert "file (stored as file 1, x 3)" in result.output
    with engine.connect() as conn:
        stored = {
            s: n
            for s, n in conn.execute(text("SELECT source, count(*) FROM posts GROUP BY source"))
        }
    assert stored == {"x": 3, "file": 1}


def test_run_file_source_without_files_stops_before_any_work(
    tmp_path: Path, engine: Engine, settings: Settings
) -> None:
    (tmp_path / "brands.yaml").write_text(BRANDS, encoding="utf-8")
    result = runner.invoke(app, ["run", "--source", "file"])
    assert result.exit_code == 2
    assert "no files to import" in result.output and "--path" in result.output
    assert "GRAPEVINE_IMPORT_GLOB" in result.output
    assert "Traceback" not in result.output and "alerts:" not in result.output


def test_run_path_imports_whole_files(tmp_path: Path, engine: Engine, settings: Settings) -> None:
    (tmp_path / "brands.yaml").write_text(BRANDS, encoding="utf-8")
    posts = _write_posts(
        tmp_path / "old.jsonl",
        [
            {"id": "1", "source": "x", "text": "globex", "created_at": "2024-01-05T10:00:00Z"},
            {"id": "2", "text": "american airlines", "created_at": "2024-01-06T10:00:00Z"},
        ],
    )
    [result] = collect.run(engine, settings, Window(), sources=["file"], paths=[posts])["sources"]
    assert result["source"] == "file (stored as file 1, x 1)"
    assert result["loaded"] == 2 and result["quarantined"] == 0
    [broken] = collect.run(
        engine, settings, Window(), sources=["file"], paths=[tmp_path / "missing.jsonl"]
    )["sources"]
    assert "does not exist" in str(broken["error"])


def test_demo_and_run_reports_do_not_overwrite_each_other(settings: Settings) -> None:
    demo = commands.default_report_path(settings, "demo")
    run = commands.default_report_path(settings, "run")
    assert demo != run and demo.parent == run.parent == settings.data_dir


@pytest.fixture
def many_days(engine: Engine) -> None:
    """Two brands, one with a long name, over 70 days and three sources: a wide table."""
    ids = add_brands(engine, {LONG: ["Globex"], "Globex": []})
    set_models(engine)
    start = date(2026, 8, 1)
    posts = [
        P(at(start + timedelta(days=d)), [brand], source=source)
        for d in range(70)
        for brand in (LONG, "Globex")
        for source in ("reddit", "x", "mastodon")
    ]
    add_posts(engine, posts, ids)


def test_piped_tables_are_not_cut(many_days: None, settings: Settings) -> None:
    result = runner.invoke(app, ["mentions"])
    assert result.exit_code == 0, result.output
    assert LONG in result.output and "…" not in result.output


def test_format_tsv_and_json_put_only_data_on_stdout(many_days: None, settings: Settings) -> None:
    tsv = runner.invoke(app, ["--format", "tsv", "mentions"])
    assert tsv.exit_code == 0, tsv.output
    lines = tsv.stdout.splitlines()
    assert lines[0].startswith("# C2C mentions by brand and source")
    header = lines[1].split("\t")
    assert header[0] == "brand" and "total" in header
    row = dict(zip(header, lines[2].split("\t"), strict=True))
    assert row["brand"] == LONG and row["total"] == "210"

    js = runner.invoke(app, ["--format", "json", "mentions"])
    assert js.exit_code == 0, js.output
    tables = [json.loads(line) for line in js.stdout.splitlines()]
    assert [t["table"].split(",")[0] for t in tables] == [
        "C2C mentions by brand and source",
        "C2C mentions by day",
    ]
    first = tables[0]["rows"][0]
    assert first["brand"] == LONG and first["total"] == 210 and first["x"] == 70
    assert len(tables[1]["rows"]) == 70


def test_progress_is_written_as_lines_when_not_a_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    log = io.StringIO()
    monkeypatch.setattr(common.out, "err", Console(file=log))
    with common.progress() as bar:
        assert isinstance(bar, LineProgress)
        task = bar.add_task("classifying posts", total=4)
        bar.advance(task, 4)
    assert "classifying posts: 4/4 (100%)" in log.getvalue()


@pytest.fixture
def login_name(engine: Engine) -> Iterator[str]:
    name = "gv_analyst_alice"
    yield name
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP ROLE IF EXISTS {name}")


def test_analyst_login_creates_a_role_that_reads_the_views_only(
    login_name: str,
    engine: Engine,
    migrated_url: URL,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import psycopg2

    secret = "correct horse battery staple"
    monkeypatch.setenv("GRAPEVINE_ANALYST_PASSWORD", secret)
    result = runner.invoke(app, ["analyst-login", login_name])
    assert result.exit_code == 0, result.output
    assert f"login role {login_name} created" in result.output
    assert secret not in result.output
    with engine.connect() as conn:
        can_login, password = conn.execute(
            text("SELECT rolcanlogin, rolpassword FROM pg_authid WHERE rolname = :n"),
            {"n": login_name},
        ).one()
        member = conn.execute(
            text("SELECT pg_has_role(:n, :r, 'USAGE')"), {"n": login_name, "r": ANALYST_ROLE}
        ).scalar_one()
    assert can_login and member
    assert password.startswith("SCRAM-SHA-256$") and secret not in password

    dsn = migrated_url.set(drivername="postgresql", username=login_name, password=secret)
    conn = psycopg2.connect(dsn.render_as_string(hide_password=False))
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM analytics.brand_metrics_daily")
            assert cur.fetchone() == (0,)
        conn.rollback()
        with conn.cursor() as cur, pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cur.execute("SELECT count(*) FROM public.posts")
    finally:
        conn.close()

    # a second run resets the password (asked for, never echoed) and keeps the role
    monkeypatch.delenv("GRAPEVINE_ANALYST_PASSWORD")
    again = runner.invoke(app, ["analyst-login", login_name], input="n3w-pass\nn3w-pass\n")
    assert again.exit_code == 0, again.output
    assert "updated" in again.output and "n3w-pass" not in again.output


def test_analyst_login_refuses_admin_and_odd_names(settings: Settings, engine: Engine) -> None:
    for name in ("postgres", ANALYST_ROLE, "Robert'); DROP TABLE posts;--"):
        result = runner.invoke(
            app, ["analyst-login", name], env={"GRAPEVINE_ANALYST_PASSWORD": "x"}
        )
        assert result.exit_code == 2, result.output
        assert "cannot be an analyst login" in result.output


def test_report_says_how_big_it_is_and_offers_the_cdn(
    many_days: None, settings: Settings, tmp_path: Path
) -> None:
    inline = runner.invoke(app, ["report", "--out", str(tmp_path / "r.html")])
    assert inline.exit_code == 0, inline.output
    assert "MB, self-contained: opens offline; --plotly cdn makes it small" in inline.output
    cdn = runner.invoke(app, ["report", "--out", str(tmp_path / "c.html"), "--plotly", "cdn"])
    assert cdn.exit_code == 0, cdn.output
    assert "its charts load plotly from cdn.plot.ly" in cdn.output
    assert (tmp_path / "c.html").stat().st_size < (tmp_path / "r.html").stat().st_size / 10


def test_log_lines_are_not_padded_to_the_pipe_width(
    engine: Engine, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    import logging

    assert runner.invoke(app, ["mentions"]).exit_code == 0  # sets up logging on stderr
    logging.getLogger("grapevine.test").warning("a short warning")
    line = next(ln for ln in capsys.readouterr().err.splitlines() if "a short warning" in ln)
    assert len(line) < 200
