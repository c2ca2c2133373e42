"""The bundled demo data set (grapevine/demo): reproducible, large, messy where intended.

The demo, the README walkthrough and several end-to-end tests rely on these properties, so each
one is pinned here: the committed files are exactly what the generator writes, the malformed
lines are there (and only those), threads are well formed, every brand is talked about every
day, the watchlist queries matter, and the injected Voltera episode is visible in the data.
"""

from __future__ import annotations

import importlib.util
import json
import re
import statistics
import tomllib
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import pytest
import yaml

from tools.demo import generate as gen

ROOT = Path(__file__).resolve().parents[2]
POSTS = gen.DEMO_DIR / gen.POSTS_FILE
BRANDS = gen.DEMO_DIR / gen.BRANDS_FILE
REGENERATE = "run `python -m tools.demo.generate` and commit both files"
MALFORMED_KINDS = {
    "truncated_json",
    "not_json",
    "missing_text",
    "missing_id",
    "bad_created_at",
    "text_not_string",
    "likes_not_int",
    "empty_line",
    "not_an_object",
}
INT_FIELDS = ("author_followers", "likes", "replies", "reposts")
STR_FIELDS = ("source", "url", "author", "parent_id", "thread_id", "lang")


# --- fixtures -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    gen.main(["--out-dir", str(out)])  # the command line, as a maintainer runs it
    return out


@pytest.fixture(scope="module")
def built() -> list[gen.DemoPost]:
    return gen.build_posts()


@pytest.fixture(scope="module")
def raw_lines() -> list[str]:
    text = POSTS.read_bytes().decode("utf-8")
    assert text.endswith("\n"), "posts.jsonl must end with a newline"
    return text[:-1].split("\n")


def problem(line: str) -> str | None:
    """What is wrong with one JSONL line under DESIGN.md section 7, or None if it is a post."""
    if not line.strip():
        return "empty_line"
    try:
        obj = json.loads(line)
    except json.JSONDecodeError:
        return "truncated_json" if line.lstrip().startswith("{") else "not_json"
    if not isinstance(obj, dict):
        return "not_an_object"
    if not isinstance(obj.get("id"), str) or not obj["id"].strip():
        return "missing_id"
    if "text" not in obj:
        return "missing_text"
    if not isinstance(obj["text"], str) or not obj["text"].strip():
        return "text_not_string"
    created = obj.get("created_at")
    iso_z = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"
    if not isinstance(created, str) or not re.fullmatch(iso_z, created):
        return "bad_created_at"
    try:
        datetime.fromisoformat(created.replace("Z", "+00:00"))
    except ValueError:
        return "bad_created_at"
    for name in INT_FIELDS:
        value = obj.get(name)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            return f"{name}_not_int"
    for name in STR_FIELDS:
        value = obj.get(name)
        if value is not None and not isinstance(value, str):
            return f"{name}_not_string"
    return None


def when(obj: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(obj["created_at"].replace("Z", "+00:00"))


@pytest.fixture(scope="module")
def valid(raw_lines: list[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in raw_lines if problem(line) is None]


def rules_from_yaml() -> list[gen.BrandRule]:
    data = yaml.safe_load(BRANDS.read_text(encoding="utf-8"))
    return [
        gen.BrandRule(b["name"], tuple(b.get("aliases", ())), b.get("query"))
        for b in data["brands"]
    ]


@pytest.fixture(scope="module")
def mentions(valid: list[dict[str, Any]]) -> dict[str, Counter[date]]:
    """Customer (not brand-owned) posts per brand per day, matched with the committed watchlist."""
    matcher = gen.BrandMatcher(rules_from_yaml())
    out: dict[str, Counter[date]] = {b.name: Counter() for b in gen.BRANDS}
    for obj in valid:
        if obj["author"] in gen.OWNED_HANDLES:
            continue
        for name in matcher.brands(obj["text"]):
            out[name][when(obj).date()] += 1
    return out


def days() -> list[date]:
    return [gen.START.date() + timedelta(days=i) for i in range(gen.DAYS)]


def baseline_days() -> list[date]:
    """The 28 days before the episode (the alerting baseline of DESIGN.md section 8)."""
    return [gen.EPISODE.start - timedelta(days=i) for i in range(28, 0, -1)]


def episode_days() -> list[date]:
    return [d for d in days() if gen.EPISODE.contains(d)]


# --- reproducibility and format -------------------------------------------------------------------


def test_regenerating_gives_byte_identical_files(regenerated: Path) -> None:
    for name in (gen.POSTS_FILE, gen.BRANDS_FILE):
        fresh = (regenerated / name).read_bytes()
        committed = (gen.DEMO_DIR / name).read_bytes()
        assert fresh == committed, f"{name} differs from what the generator writes: {REGENERATE}"


def test_built_posts_are_the_valid_lines_in_order(
    built: list[gen.DemoPost], valid: list[dict[str, Any]]
) -> None:
    assert [p.to_json() for p in built] == valid


def test_file_is_plain_utf8_jsonl_with_fixed_key_order(raw_lines: list[str]) -> None:
    data = POSTS.read_bytes()
    assert len(data) < 2_000_000
    assert not data.startswith(b"\xef\xbb\xbf"), "no byte-order mark"
    assert b"\r" not in data
    for line in raw_lines:
        if problem(line) is None:
            obj = json.loads(line)
            assert tuple(obj) == gen.FIELD_ORDER
            assert json.dumps(obj, ensure_ascii=False) == line, "canonical, non-ASCII kept as is"


def test_enough_lines_and_valid_posts(raw_lines: list[str], valid: list[dict[str, Any]]) -> None:
    assert len(raw_lines) >= 2200
    assert len(valid) >= 2000


def test_the_bundled_files_are_where_the_generator_writes_them() -> None:
    assert gen.DEMO_DIR == ROOT / "grapevine" / "demo"
    assert POSTS.is_file() and BRANDS.is_file()


# --- the generator is a build tool, its templates are data --------------------------------------


def test_the_generator_is_not_part_of_the_runtime_package() -> None:
    assert importlib.util.find_spec("grapevine.demo.generate") is None
    assert not (ROOT / "grapevine" / "demo" / "generate.py").exists()
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    include = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    assert not [p for p in include if fnmatch("tools", p) or fnmatch("tools.demo", p)], include


def test_every_template_file_is_read() -> None:
    read = {path for path in gen.TEMPLATES_READ if path.parent == gen.TEMPLATES_DIR}
    assert sorted(gen.TEMPLATES_DIR.iterdir()) == sorted(read)
    assert len(read) >= 5


@pytest.mark.parametrize(
    ("text", "read", "message"),
    [
        ('words:\n  - "yes"\n  - no\n', lambda t: t.strings("words"), "string, got False"),
        ("words: []\n", lambda t: t.strings("words"), "expected a non-empty list"),
        ('other:\n  - "a"\n', lambda t: t.strings("words"), "no table 'words'"),
        (
            'words:\n  - "a"\nextra:\n  - "b"\n',
            lambda t: t.strings("words"),
            "tables nobody reads: extra",
        ),
        ('words:\n  - ["a"]\n', lambda t: t.pairs("words"), "expected 2 entries, got 1"),
        ('words:\n  - ["a", "1"]\n', lambda t: t.counted("words"), "integer, got '1'"),
        ('words:\n  no: "o"\n', lambda t: t.words("words"), "string, got False"),
        (
            'words:\n  - {day: "2026-09-31", hour: 1}\n',
            lambda t: [gen._day(r["day"], "here") for r in t.records("words", "day", "hour")],
            "expected an ISO date",
        ),
        (
            'words:\n  - {hour: 1, day: "2026-09-30"}\n',
            lambda t: t.records("words", "day", "hour"),
            "expected the fields day, hour",
        ),
    ],
)
def test_template_files_are_read_strictly(
    tmp_path: Path, text: str, read: Callable[[gen.TemplateFile], object], message: str
) -> None:
    """A YAML slip (an unquoted ``no`` is False) must stop the generator, not change the data."""
    (tmp_path / "t.yaml").write_text(text, encoding="utf-8")
    with (
        pytest.raises(gen.TemplateError, match=re.escape(message)),
        gen.TemplateFile("t.yaml", tmp_path) as templates,
    ):
        read(templates)


def test_template_strings_keep_unicode_and_escapes(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text('words:\n  - "no 🤦\u200d♂️ \\" \\u0000"\n', "utf-8")
    with gen.TemplateFile("t.yaml", tmp_path) as templates:
        assert templates.strings("words") == ('no 🤦\u200d♂️ " \x00',)


# --- malformed input ------------------------------------------------------------------------------


def test_each_kind_of_malformed_line_is_planted_once(raw_lines: list[str]) -> None:
    found = Counter(p for line in raw_lines if (p := problem(line)) is not None)
    assert set(found) == MALFORMED_KINDS, found
    assert all(count == 1 for count in found.values()), found


def test_malformed_lines_are_spread_through_the_file(raw_lines: list[str]) -> None:
    positions = [i for i, line in enumerate(raw_lines) if problem(line) is not None]
    assert positions[0] < len(raw_lines) * 0.1
    assert positions[-1] > len(raw_lines) * 0.9
    assert 0 not in positions and len(raw_lines) - 1 not in positions


def test_one_valid_post_carries_an_escaped_nul(
    raw_lines: list[str], valid: list[dict[str, Any]]
) -> None:
    with_nul = [obj for obj in valid if "\x00" in obj["text"]]
    assert len(with_nul) == 1
    assert sum("\\u0000" in line for line in raw_lines) == 1


def test_malformed_lines_match_the_generators_list(
    built: list[gen.DemoPost], raw_lines: list[str]
) -> None:
    planted = gen.malformed_lines(built)
    assert {m.kind for m in planted} == MALFORMED_KINDS
    bad_lines = [line for line in raw_lines if problem(line) is not None]
    assert bad_lines == [m.line for m in planted]
    assert [problem(m.line) for m in planted] == [m.kind for m in planted]


# --- identity and threads -------------------------------------------------------------------------


def test_ids_texts_and_lines_are_unique(raw_lines: list[str], valid: list[dict[str, Any]]) -> None:
    ids = [obj["id"] for obj in valid]
    assert len(set(ids)) == len(ids)
    texts = [obj["text"] for obj in valid]
    assert len(set(texts)) == len(texts), "no text may repeat exactly"
    lines = [line for line in raw_lines if line.strip()]
    assert len(set(lines)) == len(lines), "no line may be a copy of another"


def test_threads_are_well_formed(valid: list[dict[str, Any]]) -> None:
    seen: dict[str, dict[str, Any]] = {}
    for obj in valid:
        if obj["parent_id"] is None:
            assert obj["thread_id"] == obj["id"], "a root is its own thread"
        else:
            parent = seen.get(obj["parent_id"])
            assert parent is not None, f"{obj['id']}: parent must appear earlier in the file"
            assert obj["thread_id"] == parent["thread_id"]
            assert when(parent) < when(obj)
            assert obj["source"] == parent["source"]
        seen[obj["id"]] = obj
    sizes = Counter(obj["thread_id"] for obj in valid)
    conversations = [n for n in sizes.values() if n >= 2]
    assert max(sizes.values()) <= 15
    assert len(conversations) >= 300
    assert Counter(conversations)[15] >= 1, "some long threads"
    replies = sum(obj["parent_id"] is not None for obj in valid)
    assert replies / len(valid) >= 0.4


def test_reply_counts_cover_the_replies_in_the_file(valid: list[dict[str, Any]]) -> None:
    children = Counter(obj["parent_id"] for obj in valid if obj["parent_id"])
    for obj in valid:
        assert obj["replies"] >= children[obj["id"]]


# --- time -----------------------------------------------------------------------------------------


def test_posts_cover_sixty_days_in_time_order(valid: list[dict[str, Any]]) -> None:
    moments = [when(obj) for obj in valid]
    assert moments == sorted(moments)
    assert moments[0] >= gen.START and moments[-1] <= gen.END
    assert datetime(2026, 10, 30, 23, 59, 59, tzinfo=UTC) == gen.END
    per_day = Counter(m.date() for m in moments)
    assert set(per_day) == set(days())
    assert min(per_day.values()) >= 20


def test_weekends_are_busier(valid: list[dict[str, Any]]) -> None:
    per_day = Counter(when(obj).date() for obj in valid)
    quiet = [d for d in days() if not gen.EPISODE.contains(d)]
    weekend = statistics.mean(per_day[d] for d in quiet if d.weekday() >= 5)
    weekday = statistics.mean(per_day[d] for d in quiet if d.weekday() < 5)
    assert weekend > 1.25 * weekday


# --- who, where, which language -------------------------------------------------------------------


def test_source_and_language_mix(valid: list[dict[str, Any]]) -> None:
    sources = Counter(obj["source"] for obj in valid)
    assert set(sources) == set(gen.SOURCES)
    assert min(sources.values()) >= 50
    langs = Counter(obj["lang"] for obj in valid)
    assert langs["en"] / len(valid) >= 0.85
    for lang in ("es", "de", "fr", "pt", "ja", "it"):
        assert langs[lang] >= 5, lang
    japanese = [obj["text"] for obj in valid if obj["lang"] == "ja"]
    assert all(re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", t) for t in japanese)


def test_followers_are_heavy_tailed(valid: list[dict[str, Any]]) -> None:
    by_author = {o["author"]: o["author_followers"] for o in valid if o["source"] != "hackernews"}
    counts = sorted(by_author.values())
    assert statistics.median(counts) < 500
    assert counts[-1] >= 1_000_000
    assert sum(c >= 100_000 for c in counts) >= 3
    assert all(o["author_followers"] is None for o in valid if o["source"] == "hackernews")


def test_urls_are_on_reserved_example_domains(valid: list[dict[str, Any]]) -> None:
    for obj in valid:
        assert re.match(r"https://[a-z0-9.-]+\.example/", obj["url"]), obj["url"]
        for url in re.findall(r"https?://\S+", obj["text"]):
            assert re.match(r"https://[a-z0-9.-]+\.example/", url), url


def test_engagement_is_plausible(valid: list[dict[str, Any]]) -> None:
    assert all(o["likes"] >= 0 and o["replies"] >= 0 and o["reposts"] >= 0 for o in valid)
    assert all(o["reposts"] == 0 for o in valid if o["source"] in ("reddit", "forum"))
    assert max(o["likes"] for o in valid) >= 1000


# --- content variety ------------------------------------------------------------------------------


def test_texts_have_the_mess_of_real_feeds(valid: list[dict[str, Any]]) -> None:
    texts = [obj["text"] for obj in valid]

    def count(pattern: str) -> int:
        return sum(bool(re.search(pattern, t)) for t in texts)

    assert count(r"&amp;") >= 5, "HTML entities"
    assert count("\u200d") >= 20, "emoji with zero-width joiners"
    assert count(r"([a-z])\1{3,}") >= 10, "elongated words like sooooo"
    assert count(r"(?<!\w)#[a-z]\w+") >= 100, "hashtags"
    assert count(r"(?<![\w@])@[a-z_]\w+") >= 300, "@mentions"
    assert count(r"https://") >= 100, "links"
    assert count("🙃") >= 3, "sarcasm markers"
    assert count(r"[éüãçñ]") >= 30, "accents"
    long_posts = [t for t in texts if len(t.encode("utf-8")) >= 3000]
    assert len(long_posts) >= 2
    assert max(len(t.encode("utf-8")) for t in texts) <= 6000


def test_texts_come_from_many_templates(valid: list[dict[str, Any]]) -> None:
    def shape(text: str) -> str:
        text = re.sub(r"^(@\w+\s+)+", "", text)
        return " ".join(re.findall(r"[^\W\d_]+", text.lower())[:4])

    assert len({shape(obj["text"]) for obj in valid}) >= 300


def test_label_mix_and_multi_brand_posts(built: list[gen.DemoPost]) -> None:
    customer = [p for p in built if not p.brand_owned and p.stances]
    stances = Counter(s for p in customer for s in p.stances.values())
    total = sum(stances.values())
    for stance in (gen.ADVOCACY, gen.BADVOCACY, gen.NONE):
        assert stances[stance] / total >= 0.15, stances
    two = [p for p in customer if len(p.stances) >= 2]
    assert len(two) >= 100
    assert sum(len(p.stances) == 3 for p in customer) >= 10
    mixed = [p for p in two if {gen.ADVOCACY, gen.BADVOCACY} <= set(p.stances.values())]
    assert len(mixed) >= 50, "posts praising one brand while trashing another"
    unbranded = [p for p in built if not p.stances]
    assert len(unbranded) >= 200, "replies that only make sense in their thread"


def test_brand_accounts_post_promos_and_support(built: list[gen.DemoPost]) -> None:
    for brand in gen.BRANDS:
        handle = brand.owned_handles[0]
        promos = [p for p in built if p.author == handle and p.kind == "promo"]
        support = [p for p in built if p.author == handle and p.kind == "support"]
        assert len(promos) >= 8, handle
        assert len(support) >= 5, handle
        assert all(p.stances == {brand.name: gen.NONE} for p in promos)


# --- watchlist and matching -----------------------------------------------------------------------


def test_watchlist_file_lists_the_four_competing_brands() -> None:
    data = yaml.safe_load(BRANDS.read_text(encoding="utf-8"))
    brands = {b["name"]: b for b in data["brands"]}
    assert list(brands) == ["Voltera", "Pedalo Bikes", "Zephyr Cycles", "Kinetik"]
    for name, entry in brands.items():
        assert set(entry) <= {"name", "aliases", "query", "owned_handles", "competitors"}
        assert sorted(entry["competitors"]) == sorted(set(brands) - {name})
        assert entry["owned_handles"], name
        assert entry["aliases"], name
    assert "voltera street" in brands["Voltera"]["query"]
    assert "zephyr AND" in brands["Zephyr Cycles"]["query"]
    assert brands["Kinetik"]["owned_handles"] == ["kinetik_ebikes"]


@pytest.mark.parametrize("strict", [False, True])
def test_matcher_finds_exactly_the_intended_brands(built: list[gen.DemoPost], strict: bool) -> None:
    matcher = gen.BrandMatcher(rules_from_yaml(), strict=strict)
    wrong = [p for p in built if sorted(matcher.brands(p.text)) != sorted(p.stances)]
    assert not wrong, [(p.stances, p.text[:100]) for p in wrong[:5]]
    for p in built:
        assert all(matcher.locates(name, p.text) for name in p.stances), p.text


def test_production_watchlist_agrees_with_the_labels(built: list[gen.DemoPost]) -> None:
    from grapevine.core.watchlist import Watchlist

    watchlist = Watchlist.from_yaml(BRANDS)
    for post in built:
        found = watchlist.match(post.text, post.author)
        assert sorted(m.brand for m in found) == sorted(post.stances), post.text[:120]
        assert all(m.start is not None for m in found), post.text[:120]
        assert all(m.brand_owned == post.brand_owned for m in found), post.author


def test_queries_keep_out_the_street_and_the_breeze(valid: list[dict[str, Any]]) -> None:
    with_queries = gen.BrandMatcher(rules_from_yaml())
    aliases_only = gen.BrandMatcher([gen.BrandRule(r.name, r.aliases) for r in rules_from_yaml()])
    kept_out: Counter[str] = Counter()
    for obj in valid:
        extra = set(aliases_only.brands(obj["text"])) - set(with_queries.brands(obj["text"]))
        kept_out.update(extra)
        if "Voltera" in extra:
            assert "voltera street" in obj["text"].lower()
        if "Zephyr Cycles" in extra:
            assert not re.search(r"\b(bike|ebike|e-bike|battery|motor)\b", obj["text"], re.I)
    assert kept_out["Voltera"] >= 5
    assert kept_out["Zephyr Cycles"] >= 5


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Road works on Voltera Street again", []),
        ("My Voltera battery died again", ["Voltera"]),
        ("@voltera any news on the charger?", ["Voltera"]),
        ("A gentle zephyr through the trees", []),
        ("My Zephyr e-bike motor is quiet", ["Zephyr Cycles"]),
        ("Love my #zephyrcycles ride", ["Zephyr Cycles"]),
        ("Switched from Pedalo to Kinetik", ["Pedalo Bikes", "Kinetik"]),
        ("Thanks @kinetik_ebikes!", ["Kinetik"]),
        ("kinetikal energy, pedalos on the lake", []),
    ],
)
def test_reference_matcher_cases(text: str, expected: list[str]) -> None:
    assert gen.BrandMatcher(rules_from_yaml()).brands(text) == expected


def test_query_readings_differ_only_where_expected() -> None:
    loose = gen.compile_query("ebike")
    strict = gen.compile_query("ebike", strict=True)
    assert loose("#ebike") and not strict("#ebike")
    assert loose("an ebike") and strict("an ebike")
    assert not gen.compile_query('a AND NOT "a b"')("x a b y")
    assert gen.compile_query("(x OR y) z")("y then z")
    with pytest.raises(ValueError):
        gen.compile_query("(a OR b")


# --- volume per brand and the episode -------------------------------------------------------------


def test_every_brand_is_talked_about_every_day(mentions: dict[str, Counter[date]]) -> None:
    for brand in gen.BRANDS:
        daily = mentions[brand.name]
        before = [daily[d] for d in days() if d < gen.EPISODE.start]
        assert min(daily[d] for d in days()) >= 3, brand.name
        assert 5 <= statistics.mean(before) <= 16, (brand.name, statistics.mean(before))


def test_episode_constant_describes_a_window_inside_the_data() -> None:
    ep = gen.EPISODE
    assert ep.brand in {b.name for b in gen.BRANDS}
    assert (ep.start, ep.end) == (date(2026, 10, 12), date(2026, 10, 16))
    assert len(ep.volume_factors) == (ep.end - ep.start).days + 1
    begin, end = ep.window
    assert gen.START <= begin < end <= gen.END + timedelta(seconds=1)
    assert ep.factor(ep.start - timedelta(days=1)) == 1.0 and ep.factor(ep.start) > 1.0


def test_episode_triples_the_brands_volume_only(mentions: dict[str, Counter[date]]) -> None:
    for brand in gen.BRANDS:
        daily = mentions[brand.name]
        before = statistics.mean(daily[d] for d in baseline_days())
        during = statistics.mean(daily[d] for d in episode_days())
        ratio = during / before
        if brand.name == gen.EPISODE.brand:
            assert 2.4 <= ratio <= 4.0, ratio
        else:
            assert 0.6 <= ratio <= 1.4, (brand.name, ratio)


def test_episode_flips_the_brands_badvocacy_share(built: list[gen.DemoPost]) -> None:
    counts: dict[tuple[str, bool], Counter[str]] = defaultdict(Counter)
    baseline, window = set(baseline_days()), set(episode_days())
    for post in built:
        if post.brand_owned:
            continue
        day = post.created_at.date()
        for name, stance in post.stances.items():
            if day in baseline or day in window:
                counts[(name, day in window)][stance] += 1

    def share(name: str, during: bool) -> float:
        c = counts[(name, during)]
        return c[gen.BADVOCACY] / sum(c.values())

    ep = gen.EPISODE.brand
    assert share(ep, during=False) <= 0.22
    assert 0.5 <= share(ep, during=True) <= 0.75
    for brand in gen.BRANDS:
        if brand.name != ep:
            assert share(brand.name, during=True) <= 0.32, brand.name


def test_episode_is_visible_in_the_raw_text(valid: list[dict[str, Any]]) -> None:
    """Without any labels, warnings about batteries and chargers pile up in the window."""
    matcher = gen.BrandMatcher(rules_from_yaml())
    cue = re.compile(r"avoid|swell|swoll|bulg|dead|died|fail|burn|smoke|melt|fried|recall", re.I)
    posts: Counter[date] = Counter()
    warnings: Counter[date] = Counter()
    for obj in valid:
        if obj["author"] in gen.OWNED_HANDLES:
            continue
        if gen.EPISODE.brand not in matcher.brands(obj["text"]):
            continue
        posts[when(obj).date()] += 1
        warnings[when(obj).date()] += bool(cue.search(obj["text"]))

    def share(span: list[date]) -> float:
        return sum(warnings[d] for d in span) / sum(posts[d] for d in span)

    assert share(episode_days()) >= 4 * share(baseline_days())
    assert share(episode_days()) >= 0.3
    peak = max(days(), key=lambda d: warnings[d])
    assert gen.EPISODE.contains(peak)


def test_episode_has_threads_of_people_confirming(built: list[gen.DemoPost]) -> None:
    window = set(episode_days())
    threads: Counter[str] = Counter()
    for post in built:
        if (
            post.created_at.date() in window
            and post.parent_id is not None
            and post.stances.get(gen.EPISODE.brand) == gen.BADVOCACY
        ):
            threads[post.thread_id] += 1
    assert sum(n >= 3 for n in threads.values()) >= 5


# --- the loader accepts the file ------------------------------------------------------------------


def test_file_collector_loads_the_posts_and_quarantines_the_rest(raw_lines: list[str]) -> None:
    from collectors.file import FileCollector
    from grapevine.core.privacy import Pseudonymiser

    collector = FileCollector(
        POSTS, Pseudonymiser(b"demo-test-key-0123456789"), now=datetime(2026, 11, 1, tzinfo=UTC)
    )
    posts, quarantined = [], []
    for page in collector.collect([], None, None, {}):
        posts.extend(page.posts)
        quarantined.extend(page.quarantined)
    expected_bad = [
        i + 1 for i, line in enumerate(raw_lines) if problem(line) not in (None, "empty_line")
    ]
    assert sorted(q.line_no or 0 for q in quarantined) == expected_bad
    assert len(posts) == sum(problem(line) is None for line in raw_lines)
