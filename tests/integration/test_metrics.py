"""`grapevine metrics`: brand x day x source numbers an analyst can trust, idempotently."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
from analytics_seed import ADVOCACY_V, P, add_brands, add_posts, at, set_models
from sqlalchemy import Engine, text

from warehouse.metrics import net_advocacy_interval, recompute_metrics

pytestmark = pytest.mark.integration

DAY = date(2026, 10, 5)


def _seed(engine: Engine) -> dict[str, int]:
    ids = add_brands(engine, {"Acme": ["Globex", "Not Watched"], "Globex": [], "Initech": []})
    set_models(engine)
    acme = ["Acme"]
    posts = [
        P(
            at(DAY, 9),
            acme,
            {"Acme": "advocacy"},
            "positive",
            author_key="a1",
            followers=1000,
            likes=10,
            replies=2,
            url="https://x.test/1",
        ),
        P(at(DAY, 10), acme, {"Acme": "advocacy"}, "positive", author_key="a2", followers=0),
        P(at(DAY, 11), acme, {"Acme": "advocacy"}, "neutral", author_key="a2", followers=None),
        P(
            at(DAY, 12),
            acme,
            {"Acme": "badvocacy"},
            "negative",
            author_key="a3",
            followers=5000,
            score=40,
        ),
        P(at(DAY, 13), acme, {"Acme": "none"}, "neutral", author_key="a4"),
        P(at(DAY, 14), acme, {"Acme": "unsupported"}, "unsupported", author_key="a5", lang="fi"),
        P(at(DAY, 15), acme, {}, None, author_key="a6"),  # not classified yet
        # the brand's own account: left out of every metric
        P(
            at(DAY, 16),
            acme,
            {"Acme": "advocacy"},
            "positive",
            author_key="own",
            owned_by=["Acme"],
            is_c2c=False,
        ),
        # a competitor's account talking about Acme: not customer-to-customer either
        P(
            at(DAY, 17),
            ["Acme", "Globex"],
            {"Acme": "badvocacy", "Globex": "advocacy"},
            author_key="globex-own",
            owned_by=["Globex"],
            is_c2c=False,
        ),
        P(at(DAY, 18), acme, {"Acme": "advocacy"}, source="reddit", author_key="r1"),
        P(at(DAY, 9), ["Globex"], {"Globex": "badvocacy"}, author_key="g1"),
        P(at(DAY, 10), ["Globex"], {"Globex": "none"}, author_key="g2"),
        P(at(DAY, 23), ["Initech"], {"Initech": "none"}, author_key="i1"),
        P(at(DAY + timedelta(days=1), 1), acme, {"Acme": "badvocacy"}, author_key="a1"),
    ]
    add_posts(engine, posts, ids)
    # An older advocacy model labelled everything badvocacy: it must not count.
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO model_versions (task, model_version, model_name)"
                " VALUES ('advocacy', 'adv-0', 'old')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO classifications (post_id, brand_id, task, label, model_name,"
                " model_version) SELECT post_id, brand_id, 'advocacy', 'badvocacy', 'old',"
                " 'adv-0' FROM post_brands"
            )
        )
    return ids


def _row(engine: Engine, brand_id: int, day: date, source: str) -> dict[str, object]:
    with engine.connect() as conn:
        return dict(
            conn.execute(
                text(
                    "SELECT * FROM brand_daily_metrics"
                    " WHERE brand_id = :b AND day = :d AND source = :s"
                ),
                {"b": brand_id, "d": day, "s": source},
            )
            .mappings()
            .one()
        )


def _snapshot(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        cols = [
            r[0]
            for r in conn.execute(
                text(
                    "SELECT column_name FROM information_schema.columns WHERE table_schema ="
                    " 'public' AND table_name = 'brand_daily_metrics' AND column_name <>"
                    " 'computed_at' ORDER BY ordinal_position"
                )
            )
        ]
        rows = conn.execute(
            text(f"SELECT {', '.join(cols)} FROM brand_daily_metrics ORDER BY 1, 2, 3")
        )
        return [tuple(r) for r in rows]


def test_metrics_count_c2c_mentions_from_the_current_model_only(engine: Engine) -> None:
    ids = _seed(engine)
    written = recompute_metrics(engine, at(DAY, 0), at(DAY + timedelta(days=1), 0))
    assert written == 4  # Acme file, Acme reddit, Globex file, Initech file

    acme = _row(engine, ids["Acme"], DAY, "file")
    assert acme["mentions"] == 7  # brand-owned and competitor-account posts left out
    assert acme["unique_authors"] == 6
    assert (acme["advocacy"], acme["badvocacy"], acme["rated"], acme["unsupported"]) == (3, 1, 5, 1)
    assert (acme["positive"], acme["neutral"], acme["negative"]) == (2, 2, 1)
    assert acme["net_advocacy"] == pytest.approx(40.0)
    low, high = net_advocacy_interval(3, 1, 5)  # type: ignore[misc]
    assert acme["net_advocacy_low"] == pytest.approx(low)
    assert acme["net_advocacy_high"] == pytest.approx(high)
    assert low < 40.0 < high and high - low > 50  # five rated mentions: a wide interval
    assert acme["model_version"] == ADVOCACY_V
    # competitive set: Acme + Globex (the unwatched competitor is ignored)
    assert acme["competitive_mentions"] == 9
    assert acme["share_of_voice"] == pytest.approx(7 / 9)
    assert acme["reach"] == 6000
    assert acme["engagement"] == 52
    # reach-weighted: weights 1 + followers over rated mentions
    assert acme["rated_reach"] == 1001 + 1 + 1 + 5001 + 1
    assert acme["net_advocacy_reach"] == pytest.approx(100 * (1003 - 5001) / 6005)
    assert acme["net_advocacy_engagement"] == pytest.approx(100 * (13 + 1 + 1 - 41) / (15 + 41 + 1))

    globex = _row(engine, ids["Globex"], DAY, "file")
    assert globex["share_of_voice"] == pytest.approx(2 / 9)  # competition is mutual
    initech = _row(engine, ids["Initech"], DAY, "file")
    assert initech["share_of_voice"] is None  # no watched competitor: no share of voice
    reddit = _row(engine, ids["Acme"], DAY, "reddit")
    assert reddit["share_of_voice"] == pytest.approx(1.0)


def test_rerunning_metrics_changes_nothing(engine: Engine) -> None:
    _seed(engine)
    recompute_metrics(engine)
    first = _snapshot(engine)
    assert len(first) == 5
    assert recompute_metrics(engine) == 5
    recompute_metrics(engine, at(DAY, 6), at(DAY, 7))  # a partial day recomputes the whole day
    assert _snapshot(engine) == first


def test_interval_recompute_replaces_only_its_days(engine: Engine) -> None:
    ids = _seed(engine)
    recompute_metrics(engine)
    with engine.begin() as conn:  # a post of the first day is deleted upstream
        conn.execute(text("DELETE FROM posts WHERE author_key = 'i1'"))
        conn.execute(
            text("DELETE FROM posts WHERE created_at >= :d"), {"d": at(DAY + timedelta(days=1))}
        )
    assert recompute_metrics(engine, at(DAY, 0), at(DAY, 0) + timedelta(days=1)) == 3
    with engine.connect() as conn:
        days = conn.execute(
            text("SELECT day, brand_id FROM brand_daily_metrics ORDER BY 1, 2")
        ).all()
    # the next day's row was outside the interval: kept as it was
    assert (DAY + timedelta(days=1), ids["Acme"]) in days
    assert all(b != ids["Initech"] for _, b in days)


def test_switching_the_current_model_switches_the_metrics(engine: Engine) -> None:
    ids = _seed(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE model_versions SET is_current = false WHERE task = 'advocacy'"))
        conn.execute(
            text("UPDATE model_versions SET is_current = true WHERE model_version = 'adv-0'")
        )
    recompute_metrics(engine)
    acme = _row(engine, ids["Acme"], DAY, "file")
    assert acme["model_version"] == "adv-0"
    assert acme["badvocacy"] == acme["rated"] == 7
    assert acme["net_advocacy"] == pytest.approx(-100.0)


def test_analyst_views_agree_with_the_table(engine: Engine) -> None:
    ids = _seed(engine)
    recompute_metrics(engine)
    with engine.connect() as conn:
        trend = (
            conn.execute(
                text(
                    "SELECT * FROM analytics.net_advocacy_trend WHERE brand = 'Acme' AND day = :d"
                ),
                {"d": DAY},
            )
            .mappings()
            .one()
        )
        sov = (
            conn.execute(
                text("SELECT * FROM analytics.share_of_voice_daily WHERE day = :d ORDER BY brand"),
                {"d": DAY},
            )
            .mappings()
            .all()
        )
        badvocates = conn.execute(
            text("SELECT author_key, reach_rank FROM analytics.top_badvocates WHERE brand = 'Acme'")
        ).all()
        daily = conn.execute(
            text(
                "SELECT unclassified, no_stance FROM analytics.brand_metrics_daily"
                " WHERE brand_id = :b AND day = :d AND source = 'file'"
            ),
            {"b": ids["Acme"], "d": DAY},
        ).one()
    # all sources together: 4 advocacy, 1 badvocacy of 6 rated
    assert trend["net_advocacy"] == pytest.approx(50.0)
    low, high = net_advocacy_interval(4, 1, 6)  # type: ignore[misc]
    assert (trend["net_advocacy_low"], trend["net_advocacy_high"]) == pytest.approx((low, high))
    assert [r["brand"] for r in sov] == ["Acme", "Globex"]
    assert sov[0]["share_of_voice"] == pytest.approx(8 / 10)
    assert badvocates == [("a3", 1)]  # a1's badvocacy the next day ties with advocacy
    assert tuple(daily) == (1, 1)


def test_net_advocacy_interval_covers_the_truth() -> None:
    """Simulated coverage of the 95 % interval stays near nominal, also for tiny days."""
    rng = np.random.default_rng(7)
    coverages = []
    for n in (5, 20, 100):
        for pa, pb in ((0.6, 0.1), (0.1, 0.1), (0.85, 0.05), (0.2, 0.5)):
            draws = rng.multinomial(n, [pa, pb, 1 - pa - pb], size=4000)
            hits = 0
            for a, b, _ in draws:
                low, high = net_advocacy_interval(int(a), int(b), n)  # type: ignore[misc]
                hits += low <= 100 * (pa - pb) <= high
            coverages.append(hits / len(draws))
    assert min(coverages) > 0.90
    assert 0.94 < float(np.mean(coverages)) < 0.99
    assert net_advocacy_interval(0, 0, 0) is None
    low, high = net_advocacy_interval(5, 0, 5)  # type: ignore[misc]
    assert high == 100.0 and low < 60  # five glowing posts are not "certainly +100"


def test_cli_commands_print_tables_and_reruns_change_nothing(
    engine: Engine, settings, tmp_path
) -> None:
    import typer
    from typer.testing import CliRunner

    from grapevine.cli.analytics import alerts, metrics, report

    app = typer.Typer()
    for command in (metrics, alerts, report):
        app.command()(command)
    _seed(engine)
    runner = CliRunner()
    first = runner.invoke(app, ["metrics", "--since", "2026-10-01", "--until", "2026-10-10"])
    assert first.exit_code == 0, first.output
    # Acme over the window: 4 advocacy, 2 badvocacy of 7 rated
    assert "Acme" in first.output and "+29" in first.output
    snapshot = _snapshot(engine)
    again = runner.invoke(app, ["metrics", "--since", "2026-10-01", "--until", "2026-10-10"])
    assert again.exit_code == 0 and _snapshot(engine) == snapshot

    dry = runner.invoke(app, ["alerts", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "no badvocacy spikes" in dry.output

    out = tmp_path / "r.html"
    made = runner.invoke(app, ["report", "--out", str(out)])
    assert made.exit_code == 0, made.output
    assert out.exists() and "report written" in made.output
    helps = [runner.invoke(app, [c, "--help"]).output for c in ("metrics", "alerts", "report")]
    assert "--since" in helps[0] and "--dry-run" in helps[1] and "--out" in helps[2]

    bad = runner.invoke(app, ["metrics", "--since", "yesterday-ish"])
    assert bad.exit_code != 0
