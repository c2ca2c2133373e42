"""What the report tells a marketer (issue #13 item 4, issue #10 item 5): a headline per brand,
honest follower counts, top posts from many authors, readable text, no "-0", a stated size."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from analytics_seed import P, add_brands, add_posts, at, daily_series, set_models
from sqlalchemy import Engine, text

from grapevine.core.settings import Settings
from grapevine.report.build import brand_headlines, post_text, render_html, signed
from grapevine.report.data import load
from tests.stage_calls import run_metrics, run_report
from warehouse.metrics import recompute_metrics

pytestmark = pytest.mark.integration

PREVIOUS = date(2025, 2, 15)
START = date(2025, 3, 1)
END = START + timedelta(days=14)
FISH = "Fish &amp; chips at Acme were cold &amp; late"


def _since_until() -> tuple:
    return at(START, 0), at(END, 0)


@pytest.fixture
def seeded(engine: Engine) -> Engine:
    ids = add_brands(engine, {"Acme": ["Globex"], "Globex": [], "Initech": []})
    set_models(engine)
    posts = daily_series("Acme", PREVIOUS, 14, mentions=10, badvocacy=2, advocacy=5)
    posts += daily_series("Acme", START, 14, mentions=10, badvocacy=5, advocacy=2)
    posts += daily_series("Globex", START, 14, mentions=5, badvocacy=1, advocacy=1)
    # one loud author wrote four of Acme's most-followed badvocacy posts
    posts += [
        P(
            at(START + timedelta(days=d)),
            ["Acme"],
            {"Acme": "badvocacy"},
            author_key="spammer",
            followers=50_000,
            text=f"spam {d}",
        )
        for d in range(4)
    ]
    posts.append(
        P(
            at(START, 9),
            ["Acme"],
            {"Acme": "badvocacy"},
            author_key="chef",
            followers=40_000,
            text=FISH,
        )
    )
    # Initech: net advocacy of -0.3, and followers unknown / zero / ten
    posts += daily_series("Initech", START, 14, mentions=22, badvocacy=0, advocacy=0)
    posts += [
        P(
            at(START, 10),
            ["Initech"],
            {"Initech": "badvocacy"},
            author_key="unknown",
            followers=None,
            likes=500,
            text="who knows",
        ),
        P(at(START, 11), ["Initech"], {"Initech": "badvocacy"}, author_key="zero", followers=0),
        P(at(START, 12), ["Initech"], {"Initech": "badvocacy"}, author_key="ten", followers=10),
        P(at(START, 13), ["Initech"], {"Initech": "advocacy"}, author_key="fan1"),
        P(at(START, 14), ["Initech"], {"Initech": "advocacy"}, author_key="fan2"),
    ]
    add_posts(engine, posts, ids)
    with engine.begin() as conn:
        # seven of Acme's labels in the window are unsure (probability of the label < 0.6)
        conn.execute(
            text(
                "UPDATE classifications SET confidence = 0.55 WHERE id IN ("
                " SELECT c.id FROM classifications c JOIN posts p ON p.id = c.post_id"
                " WHERE c.brand_id = :acme AND c.task = 'advocacy' AND p.created_at >= :start"
                " ORDER BY c.id LIMIT 7)"
            ),
            {"acme": ids["Acme"], "start": at(START, 0)},
        )
        conn.execute(
            text(
                "INSERT INTO alerts (brand_id, kind, window_start, window_end, observed,"
                " expected, severity) VALUES (:b, 'badvocacy_spike', :s, :e, 9, 4.0, 6)"
            ),
            {
                "b": ids["Acme"],
                "s": at(START + timedelta(days=3), 0),
                "e": at(START + timedelta(days=4), 0),
            },
        )
    recompute_metrics(engine)
    return engine


def test_headline_per_brand_for_the_window(seeded: Engine) -> None:
    data = load(seeded, *_since_until())
    heads = {h.brand: h for h in brand_headlines(data)}
    assert [h.brand for h in brand_headlines(data)] == ["Acme", "Initech", "Globex"]
    acme = heads["Acme"]
    assert acme.mentions == 145 and acme.c2c_share == 1.0
    assert acme.rated == 145
    assert acme.net_advocacy == pytest.approx(100 * (28 - 75) / 145)
    assert acme.interval is not None and acme.interval[0] < acme.net_advocacy < acme.interval[1]
    assert acme.share_of_voice == pytest.approx(145 / (145 + 70))
    assert acme.nas_change == pytest.approx(100 * (28 - 75) / 145 - 100 * (70 - 28) / 140)
    assert acme.nas_change_significant
    assert acme.mentions_change == pytest.approx(145 / 140 - 1)
    assert acme.alerts == 1 and acme.low_confidence == 7
    initech = heads["Initech"]
    assert initech.share_of_voice is None and initech.mentions_change is None
    assert initech.alerts == 0 and initech.low_confidence == 0

    html = render_html(data)
    head = html.split("<h2>Brands at a glance</h2>", 1)[1].split("</table>", 1)[0]
    assert "low-confidence labels" in head and "7 (5%)" in head
    assert "share of voice" in head and "67%" in head  # Acme's share of voice
    assert "a real change" in head


def test_top_posts_rank_known_audiences_first_and_one_post_per_author(seeded: Engine) -> None:
    data = load(seeded, *_since_until())
    initech = [p for p in data.top_posts if (p["brand"], p["advocacy"]) == ("Initech", "badvocacy")]
    assert [(p["author_key"], p["followers"]) for p in initech] == [
        ("ten", 10),
        ("zero", 0),
        ("unknown", None),
    ]
    acme = [p for p in data.top_posts if (p["brand"], p["advocacy"]) == ("Acme", "badvocacy")]
    authors = [p["author_key"] for p in acme]
    assert len(acme) == 5 and len(set(authors)) == 5 and authors[:2] == ["spammer", "chef"]
    assert acme[0]["author_posts"] == 4

    html = render_html(data)
    assert "<td class='num'>unknown</td>" in html
    assert "(+3 more in this window)" in html


def test_post_text_entities_are_decoded_once_then_escaped(seeded: Engine) -> None:
    html = render_html(load(seeded, *_since_until()))
    assert "Fish &amp; chips at Acme were cold &amp; late" in html
    assert "&amp;amp;" not in html
    assert post_text("<b>x</b> &lt;script&gt;") == "&lt;b&gt;x&lt;/b&gt; &lt;script&gt;"


def test_no_minus_zero_anywhere_in_the_text(seeded: Engine) -> None:
    html = render_html(load(seeded, *_since_until()))
    prose = html.split("<script", 1)[0]
    assert "Initech" in prose
    assert not re.search(r"(?<![\w.])[-+−]0(?![\d.])", prose), re.findall(r".{40}[-+−]0\D", prose)
    assert [signed(v) for v in (-0.3, 0.4, 0.0, -2.6)] == ["0", "0", "0", "-3"]
    assert signed(-0.04, 1, "%") == "0.0%"


def test_report_says_it_is_self_contained_or_uses_the_cdn(
    seeded: Engine, settings: Settings, tmp_path: Path
) -> None:
    run_metrics(seeded, settings, None, None)
    inline = run_report(seeded, settings, None, None, tmp_path / "inline.html")
    cdn = run_report(seeded, settings, None, None, tmp_path / "cdn.html", "cdn")
    inline_html = inline.read_text(encoding="utf-8")
    cdn_html = cdn.read_text(encoding="utf-8")
    assert "This file is self-contained" in inline_html and "--plotly cdn" in inline_html
    assert re.search(r'src="https://cdn\.plot\.ly/plotly-[\d.]+\.min\.js" integrity=', cdn_html)
    assert "script-src 'unsafe-inline' 'unsafe-eval' https://cdn.plot.ly" in cdn_html
    assert "cdn.plot.ly" not in inline_html.split("<footer", 1)[0].split("</head>", 1)[0]
    assert cdn.stat().st_size < 500_000 < 4_000_000 < inline.stat().st_size
