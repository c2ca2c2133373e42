"""A rerun with nothing new skips the derived work, and never skips after a change (#16)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from analytics_seed import P, add_brands, add_posts, at, daily_series, set_models
from sqlalchemy import Engine, text

from grapevine.core.settings import Settings
from grapevine.core.window import Window
from grapevine.stages import metrics, report
from warehouse import changes

pytestmark = pytest.mark.integration

START = date(2026, 9, 1)


def _sums(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return changes.versions(conn)


def test_only_statements_that_change_rows_are_logged(engine: Engine) -> None:
    ids = add_brands(engine, {"Acme": []})
    first = _sums(engine)
    assert first["brands"] >= 1
    with engine.begin() as conn:
        # inserts nothing, updates nothing, deletes nothing: no change
        conn.execute(
            text(
                "INSERT INTO brands (id, name, slug) VALUES (:i, 'Acme', 'acme')"
                " ON CONFLICT DO NOTHING"
            ),
            {"i": ids["Acme"]},
        )
        conn.execute(text("UPDATE brands SET name = name WHERE id = -1"))
        conn.execute(text("DELETE FROM brands WHERE id = -1"))
    assert _sums(engine) == first
    with engine.begin() as conn:  # a hand edit is a change like any other
        conn.execute(text("UPDATE brands SET name = 'Acme Corp' WHERE id = :i"), {"i": ids["Acme"]})
    assert _sums(engine)["brands"] == first["brands"] + 1
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE brand_daily_metrics"))
    assert _sums(engine)["brand_daily_metrics"] == first.get("brand_daily_metrics", 0) + 1


def test_check_skips_only_what_nothing_touched(engine: Engine) -> None:
    add_brands(engine, {"Acme": []})
    before, done = changes.check(engine, "demo", "s", ("brands",), ("alerts",))
    assert done is None  # never ran
    changes.record(engine, "demo", "s", before, note="first")
    _, done = changes.check(engine, "demo", "s", ("brands",), ("alerts",))
    assert done is not None and done["note"] == "first"
    assert changes.done_at(done) is not None
    # another scope, or a table the stage does not read, is not this stage's business
    assert changes.check(engine, "demo", "other", ("brands",))[1] is None
    add_posts(engine, [P(at(START), ["Acme"])], {"Acme": 1})
    assert changes.check(engine, "demo", "s", ("brands",), ("alerts",))[1] is not None
    # an input changed: redo
    add_brands(engine, {"Globex": []})
    before, done = changes.check(engine, "demo", "s", ("brands",), ("alerts",))
    assert done is None
    # ... and a change that lands while the stage computes means one more run, not a skip
    add_brands(engine, {"Initech": []})
    changes.record(engine, "demo", "s", before)
    assert changes.check(engine, "demo", "s", ("brands",), ("alerts",))[1] is None


def test_compaction_keeps_the_sums(engine: Engine) -> None:
    for name in ("A", "B", "C"):
        add_brands(engine, {name: []})
    sums = _sums(engine)
    with engine.begin() as conn:
        changes.compact(conn, keep=0)
        rows = conn.execute(text("SELECT count(*) FROM change_log")).scalar_one()
    assert _sums(engine) == sums
    assert rows == len(sums)


def _seed(engine: Engine) -> dict[str, int]:
    ids = add_brands(engine, {"Acme": [], "Globex": []})
    set_models(engine)
    posts = daily_series("Acme", START, 3, mentions=5, badvocacy=1)
    posts += daily_series("Globex", START, 3, mentions=4, badvocacy=2, source="reddit")
    add_posts(engine, posts, ids)
    return ids


def test_metrics_rerun_skips_until_something_changes(engine: Engine, settings: Settings) -> None:
    ids = _seed(engine)
    first = metrics.run(engine, settings, Window())
    assert first["rows"] == 6 and "unchanged_since" not in first
    again = metrics.run(engine, settings, Window())
    assert again["rows"] == 0 and again["unchanged_since"]
    assert again["first_day"] == first["first_day"] and again["end_day"] == first["end_day"]
    # another window is another scope
    day2 = Window(at(START + timedelta(days=1), 0), at(START + timedelta(days=2), 0))
    assert metrics.run(engine, settings, day2)["rows"] == 2
    # a new labelled post: recomputed, and the new number is there
    add_posts(engine, [P(at(START, 9), ["Acme"], {"Acme": "badvocacy"}, source_id="late")], ids)
    assert metrics.run(engine, settings, Window())["rows"] == 6
    with engine.connect() as conn:
        mentions = conn.execute(
            text("SELECT mentions FROM brand_daily_metrics WHERE brand_id = :b AND day = :d"),
            {"b": ids["Acme"], "d": START},
        ).scalar_one()
    assert mentions == 6
    # rows deleted by hand come back on the next run
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM brand_daily_metrics"))
    assert metrics.run(engine, settings, Window())["rows"] == 6
    # another time zone is another computation
    other = settings.model_copy(update={"timezone": "America/New_York"})
    assert "unchanged_since" not in metrics.run(engine, other, Window())


def test_report_is_rewritten_only_when_it_would_differ(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    ids = _seed(engine)
    metrics.run(engine, settings, Window())
    out = tmp_path / "r.html"
    first = report.run(engine, settings, Window(), out=out, plotly="cdn")
    assert "unchanged_since" not in first
    written = out.read_bytes()
    again = report.run(engine, settings, Window(), out=out, plotly="cdn")
    assert again["unchanged_since"] and out.read_bytes() == written
    # the file edited or removed by someone else: written again
    out.write_text("edited", encoding="utf-8")
    assert "unchanged_since" not in report.run(engine, settings, Window(), out=out, plotly="cdn")
    assert out.read_bytes() == written
    out.unlink()
    assert "unchanged_since" not in report.run(engine, settings, Window(), out=out, plotly="cdn")
    assert out.read_bytes() == written
    # other settings, or new data, mean another report
    other = settings.model_copy(update={"timezone": "Europe/Paris"})
    assert "unchanged_since" not in report.run(engine, other, Window(), out=out, plotly="cdn")
    add_posts(engine, [P(at(START, 9), ["Acme"], {"Acme": "advocacy"}, source_id="late")], ids)
    metrics.run(engine, settings, Window())
    assert "unchanged_since" not in report.run(engine, settings, Window(), out=out, plotly="cdn")


def test_rerunning_the_same_file_changes_nothing_and_skips_the_derived_work(
    tmp_path: Path, engine: Engine, settings: Settings
) -> None:
    """``grapevine run --path FILE`` twice: the second run finds nothing new (the reply's
    inherited mention included: reloading its post once dropped and re-added it) and leaves
    the metrics and the report as they were."""
    import json

    from typer.testing import CliRunner

    from grapevine.cli import app

    (tmp_path / "brands.yaml").write_text(
        "brands:\n  - name: Globex Airlines\n    aliases: [globex]\n", encoding="utf-8"
    )
    records = [
        {"id": "1", "text": "globex lost my bag again, never flying them", "thread_id": "t"},
        {"id": "2", "text": "same here, mine too", "parent_id": "1", "thread_id": "t"},
        {"id": "3", "text": "globex crew were lovely today", "thread_id": "u"},
    ]
    posts = tmp_path / "posts.jsonl"
    posts.write_text(
        "".join(json.dumps({**r, "created_at": "2026-10-01T10:00:00Z"}) + "\n" for r in records),
        encoding="utf-8",
    )
    runner = CliRunner()
    report = tmp_path / "report.html"
    args = ["run", "--source", "file", "--path", str(posts), "--out", str(report)]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    with engine.connect() as conn:
        inherited = conn.execute(text("SELECT count(*) FROM post_brands WHERE inherited")).scalar()
    assert inherited == 1
    sums, written = _sums(engine), report.read_bytes()
    again = runner.invoke(app, args)
    assert again.exit_code == 0, again.output
    assert _sums(engine) == sums
    assert "metrics: unchanged" in again.output and "(unchanged: nothing new since" in again.output
    assert report.read_bytes() == written


def test_alert_detection_is_not_redone_when_nothing_changed(
    engine: Engine, settings: Settings
) -> None:
    from grapevine.stages import alerts

    ids = _seed(engine)
    metrics.run(engine, settings, Window())
    first = alerts.run(engine, settings, Window())
    assert "unchanged_since" not in first
    again = alerts.run(engine, settings, Window())
    assert again["unchanged_since"] and again["new_alert_ids"] == []
    for key in ("windows_tested", "windows_untested", "coverage", "alerts_found", "found"):
        assert again[key] == first[key], key
    add_posts(engine, [P(at(START, 9), ["Acme"], {"Acme": "badvocacy"}, source_id="late")], ids)
    metrics.run(engine, settings, Window())
    assert "unchanged_since" not in alerts.run(engine, settings, Window())
    # a dry run always detects, and leaves no state behind
    assert "unchanged_since" not in alerts.run(engine, settings, Window(), dry_run=True)


def test_every_table_the_code_watches_has_its_triggers(engine: Engine) -> None:
    with engine.connect() as conn:
        triggered = set(
            conn.execute(
                text(
                    "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
                    " WHERE t.tgname = 'log_insert'"
                )
            ).scalars()
        )
    assert triggered == set(changes.WATCHED)
