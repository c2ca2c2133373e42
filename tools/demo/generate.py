"""Deterministic generator of Grapevine's bundled demo data set (``posts.jsonl``, ``brands.yaml``).

Why it exists: ``grapevine demo``, the README walkthrough and many tests need a realistic stream
of customer-to-customer talk about competing brands that works offline, is safe to publish and
never changes under their feet. Real posts cannot be shipped (copyright, privacy), so every post
here is fictional: composed from the templates and slot fillers in ``templates/*.yaml`` (next to
this module), about four invented e-bike brands, by invented handles, with URLs on reserved
``.example`` domains.

What the data is meant to exercise:

* advocacy, badvocacy and neutral talk per brand, sarcasm, comparisons that praise one brand and
  trash another, posts naming two or three brands, brand-owned promotions and support replies;
* threads in which customers advise each other (``parent_id``/``thread_id``);
* boolean queries that matter: "Voltera Street" is a street, "zephyr" is also a breeze;
* the mess of real feeds: emoji (with zero-width joiners), HTML entities, elongated words,
  hashtags, @mentions, URLs, six languages, very long posts, and a handful of malformed lines;
* one injected badvocacy episode (:data:`EPISODE`) that the alerting stage must find.

Run ``python -m tools.demo.generate`` (from the repository root) to rewrite both files in
``grapevine/demo/``. It is a build tool, so it lives outside the runtime package. The output is
byte-identical on every run and platform: one seeded :class:`random.Random`, no iteration over
sets, no clock, no hash-dependent order. A diff in review therefore means the generator changed.
The generator checks every post against a reference implementation of the query language under
two plausible readings of "word boundary", so the intended brand labels stay true whichever way
the production matcher is written.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import itertools
import json
import random
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

SEED = 20260901
"""Seed of the single random generator; change it and every byte of the output changes."""

START = datetime(2026, 9, 1, tzinfo=UTC)
DAYS = 60
END = START + timedelta(days=DAYS) - timedelta(seconds=1)
"""Last instant of the window: 2026-10-30T23:59:59Z."""

DEMO_DIR = Path(__file__).resolve().parents[2] / "grapevine" / "demo"
POSTS_FILE = "posts.jsonl"
BRANDS_FILE = "brands.yaml"

FIELD_ORDER = (
    "id",
    "text",
    "created_at",
    "source",
    "url",
    "author",
    "author_followers",
    "parent_id",
    "thread_id",
    "lang",
    "likes",
    "replies",
    "reposts",
)
"""Keys of every JSONL object, in this order (a fixed order keeps the file diffable)."""

ADVOCACY, BADVOCACY, NONE = "advocacy", "badvocacy", "none"
SOURCES = ("reddit", "x", "bluesky", "mastodon", "hackernews", "forum")


@dataclass(frozen=True)
class Episode:
    """The injected badvocacy episode: what the alerting demo is expected to detect.

    ``start`` and ``end`` are calendar days (UTC), both inclusive. ``volume_factors`` multiply the
    brand's usual daily volume, one factor per day; ``badvocacy_share`` is the share of the
    brand's customer posts that warn people away during the episode (about 15% otherwise).
    """

    brand: str
    start: date
    end: date
    volume_factors: tuple[float, ...]
    badvocacy_share: float
    description: str

    @property
    def window(self) -> tuple[datetime, datetime]:
        """The episode as a half-open UTC interval ``[start, end + 1 day)``."""
        begin = datetime(self.start.year, self.start.month, self.start.day, tzinfo=UTC)
        return begin, begin + timedelta(days=(self.end - self.start).days + 1)

    def factor(self, day: date) -> float:
        """Volume multiplier for ``day`` (1.0 outside the episode)."""
        if self.start <= day <= self.end:
            return self.volume_factors[(day - self.start).days]
        return 1.0

    def contains(self, day: date) -> bool:
        """Whether ``day`` falls inside the episode."""
        return self.start <= day <= self.end


EPISODE = Episode(
    brand="Voltera",
    start=date(2026, 10, 12),
    end=date(2026, 10, 16),
    volume_factors=(3.2, 4.4, 4.4, 3.8, 3.2),
    badvocacy_share=0.62,
    description="Voltera batteries swelling and chargers failing; owners warn each other away",
)


@dataclass(frozen=True)
class BrandSpec:
    """One fictional brand: its watchlist entry plus how customers write about it."""

    name: str
    aliases: tuple[str, ...]
    query: str | None
    owned_handles: tuple[str, ...]
    owned_followers: int
    per_day: float
    mix: tuple[float, float, float]
    """Shares of advocacy, badvocacy and neutral posts on an ordinary day."""
    surfaces: tuple[tuple[str, int], ...]
    """How customers spell the brand, with relative weights."""
    models: tuple[str, ...]
    tag: str
    site: str


BRANDS: tuple[BrandSpec, ...] = (
    BrandSpec(
        name="Voltera",
        aliases=("voltera", "@voltera", "#voltera"),
        query='(voltera OR @voltera OR #voltera) AND NOT "voltera street"',
        owned_handles=("voltera",),
        owned_followers=84_200,
        per_day=11.0,
        mix=(0.43, 0.12, 0.45),
        surfaces=(
            ("Voltera", 10),
            ("voltera", 4),
            ("VOLTERA", 1),
            ("#voltera", 2),
            ("@voltera", 2),
        ),
        models=("Voltera Aero", "Voltera City 2", "Voltera Trail X", "Voltera Aero S"),
        tag="voltera",
        site="voltera.example",
    ),
    BrandSpec(
        name="Pedalo Bikes",
        aliases=("pedalo bikes", "pedalo", "#pedalobikes", "@pedalobikes"),
        query=None,
        owned_handles=("pedalobikes",),
        owned_followers=41_700,
        per_day=9.0,
        mix=(0.46, 0.13, 0.41),
        surfaces=(
            ("Pedalo", 8),
            ("Pedalo Bikes", 5),
            ("pedalo", 3),
            ("#pedalobikes", 1),
            ("@pedalobikes", 2),
        ),
        models=("Pedalo Cargo", "Pedalo Fold", "Pedalo Commuter 3", "Pedalo Longtail"),
        tag="pedalobikes",
        site="pedalobikes.example",
    ),
    BrandSpec(
        name="Zephyr Cycles",
        # "zephyr" alone only *locates* a mention: the query decides whether one exists.
        aliases=("zephyr cycles", "zephyr bike", "#zephyrcycles", "@zephyrcycles", "zephyr"),
        query=(
            '"zephyr cycles" OR "zephyr bike" OR #zephyrcycles OR @zephyrcycles'
            " OR (zephyr AND (bike OR ebike OR e-bike OR battery OR motor))"
        ),
        owned_handles=("zephyrcycles",),
        owned_followers=23_400,
        per_day=7.0,
        mix=(0.41, 0.17, 0.42),
        surfaces=(
            ("Zephyr", 6),
            ("Zephyr Cycles", 5),
            ("zephyr cycles", 1),
            ("Zephyr bike", 1),
            ("#zephyrcycles", 1),
            ("@zephyrcycles", 2),
        ),
        models=("Zephyr Glide", "Zephyr Ridge", "Zephyr Mini", "Zephyr Glide ST"),
        tag="zephyrcycles",
        site="zephyrcycles.example",
    ),
    BrandSpec(
        name="Kinetik",
        aliases=("kinetik", "@kinetik_ebikes", "#kinetik"),
        query=None,
        owned_handles=("kinetik_ebikes",),
        owned_followers=61_300,
        per_day=9.5,
        mix=(0.44, 0.15, 0.41),
        surfaces=(
            ("Kinetik", 10),
            ("kinetik", 3),
            ("KINETIK", 1),
            ("#kinetik", 2),
            ("@kinetik_ebikes", 2),
        ),
        models=("Kinetik K1", "Kinetik K3 Pro", "Kinetik Urban", "Kinetik Moto-S"),
        tag="kinetik",
        site="kinetik.example",
    ),
)
BRAND_BY_NAME = {b.name: b for b in BRANDS}
OWNED_HANDLES = {h: b.name for b in BRANDS for h in b.owned_handles}


def competitors(brand: BrandSpec) -> tuple[BrandSpec, ...]:
    """Every brand in the demo competes with the other three."""
    return tuple(b for b in BRANDS if b.name != brand.name)


# --- reference matcher ----------------------------------------------------------------------------
# The production matcher lives in grapevine.core.query; this small one keeps the generator
# stdlib-only and independent of it. It is run twice per post: "loose" (a bare word also matches
# inside #word and @word, as grapevine.core.query does) and "strict" (it does not, as a
# tokenising matcher would). A post is kept only when both readings give exactly the intended
# brands.

Predicate = Callable[[str], bool]
_QUERY_TOKEN = re.compile(r'\s*(?:(\()|(\))|"([^"]*)"|([^\s()"]+))')


def term_regex(term: str, *, strict: bool = False) -> re.Pattern[str]:
    """Case-insensitive regex for a word, phrase, #hashtag or @handle on word boundaries."""
    body = r"\s+".join(re.escape(w) for w in term.split())
    left = r"(?<![\w#@])" if strict else r"(?<!\w)"
    return re.compile(left + body + r"(?!\w)", re.IGNORECASE)


def _all(parts: Sequence[Predicate]) -> Predicate:
    return lambda text: all(p(text) for p in parts)


def _any(parts: Sequence[Predicate]) -> Predicate:
    return lambda text: any(p(text) for p in parts)


def _negate(inner: Predicate) -> Predicate:
    return lambda text: not inner(text)


def _search(pattern: re.Pattern[str]) -> Predicate:
    return lambda text: pattern.search(text) is not None


class _QueryParser:
    """Recursive descent over ``or := and (OR and)*``, ``and := not ([AND] not)*``."""

    def __init__(self, query: str, strict: bool) -> None:
        self.strict = strict
        self.tokens: list[tuple[str, str]] = []
        text = query.strip()
        pos = 0
        while pos < len(text):
            m = _QUERY_TOKEN.match(text, pos)
            if m is None or m.end() == pos:
                raise ValueError(f"cannot tokenise query at {pos}: {query!r}")
            if m.group(1):
                self.tokens.append(("(", "("))
            elif m.group(2):
                self.tokens.append((")", ")"))
            elif m.group(3) is not None:
                self.tokens.append(("term", m.group(3)))
            else:
                word = m.group(4)
                kind = word if word in ("AND", "OR", "NOT") else "term"
                self.tokens.append((kind, word))
            pos = m.end()
        self.pos = 0

    def _peek(self) -> str | None:
        return self.tokens[self.pos][0] if self.pos < len(self.tokens) else None

    def _take(self) -> tuple[str, str]:
        if self.pos >= len(self.tokens):
            raise ValueError("query ends too early")
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def parse(self) -> Predicate:
        node = self._or()
        if self.pos != len(self.tokens):
            raise ValueError(f"unexpected token {self.tokens[self.pos][1]!r}")
        return node

    def _or(self) -> Predicate:
        parts = [self._and()]
        while self._peek() == "OR":
            self._take()
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else _any(parts)

    def _and(self) -> Predicate:
        parts = [self._not()]
        while self._peek() in ("AND", "term", "(", "NOT"):
            if self._peek() == "AND":
                self._take()
            parts.append(self._not())
        return parts[0] if len(parts) == 1 else _all(parts)

    def _not(self) -> Predicate:
        if self._peek() == "NOT":
            self._take()
            return _negate(self._not())
        return self._atom()

    def _atom(self) -> Predicate:
        kind, value = self._take()
        if kind == "(":
            node = self._or()
            if self._take()[0] != ")":
                raise ValueError("missing ')'")
            return node
        if kind == "term":
            return _search(term_regex(value, strict=self.strict))
        raise ValueError(f"expected a term, found {value!r}")


def compile_query(query: str, *, strict: bool = False) -> Predicate:
    """Compile a watchlist query (AND, OR, NOT, parentheses, phrases, #tags, @handles)."""
    return _QueryParser(query, strict).parse()


@dataclass(frozen=True)
class BrandRule:
    """What the matcher needs of a watchlist entry."""

    name: str
    aliases: tuple[str, ...]
    query: str | None = None


class BrandMatcher:
    """Which brands a text mentions, by the watchlist's matching rules (core/watchlist.py)."""

    def __init__(self, rules: Iterable[BrandRule], *, strict: bool = False) -> None:
        self._deciders: list[tuple[str, Predicate]] = []
        self._locators: dict[str, Predicate] = {}
        for rule in rules:
            alias_hits = _any([_search(term_regex(a, strict=strict)) for a in rule.aliases])
            decider = compile_query(rule.query, strict=strict) if rule.query else alias_hits
            self._deciders.append((rule.name, decider))
            self._locators[rule.name] = alias_hits

    def brands(self, text: str) -> list[str]:
        """Names of the brands the text mentions, in watchlist order."""
        return [name for name, decides in self._deciders if decides(text)]

    def locates(self, name: str, text: str) -> bool:
        """Whether one of the brand's aliases occurs in the text (the advocacy target)."""
        return self._locators[name](text)


def brand_rules() -> list[BrandRule]:
    """The demo watchlist as matcher rules."""
    return [BrandRule(b.name, b.aliases, b.query) for b in BRANDS]


# --- templates ------------------------------------------------------------------------------------
# The text the posts are made of lives in data files (templates/*.yaml next to this module), so
# that this module holds the rules and a reviewer of new wording reads YAML, not Python. Each file
# is read strictly: a YAML slip (an unquoted ``no`` read as False, a misspelt table name) would
# otherwise change the output silently or leave a table unused.

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATES_READ: list[Path] = []
"""Every template file opened so far; a test checks that no file in the folder is left unread."""


class TemplateError(ValueError):
    """A template file does not have the shape the generator expects."""


def _text(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise TemplateError(f"{where}: expected a quoted string, got {value!r}")
    return value


def _number(value: object, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TemplateError(f"{where}: expected an integer, got {value!r}")
    return value


def _items(value: object, where: str) -> list[object]:
    if not isinstance(value, list) or not value:
        raise TemplateError(f"{where}: expected a non-empty list, got {value!r}")
    return list(value)


def _fields(value: object, where: str) -> dict[str, object]:
    if not isinstance(value, dict) or not value:
        raise TemplateError(f"{where}: expected a non-empty mapping, got {value!r}")
    return {_text(key, f"{where} (a key)"): item for key, item in value.items()}


def _strings(value: object, where: str) -> tuple[str, ...]:
    return tuple(_text(item, f"{where}[{i}]") for i, item in enumerate(_items(value, where)))


def _row(value: object, where: str, width: int) -> list[object]:
    row = _items(value, where)
    if len(row) != width:
        raise TemplateError(f"{where}: expected {width} entries, got {len(row)}")
    return row


def _record(value: object, where: str, names: tuple[str, ...]) -> dict[str, object]:
    record = _fields(value, where)
    if tuple(record) != names:
        raise TemplateError(f"{where}: expected the fields {', '.join(names)}, got {value!r}")
    return record


class TemplateFile:
    """One templates/*.yaml file: a mapping of named tables, each taken once and type-checked.

    Used as a context manager; leaving the block fails if a table in the file was never taken, so
    a misspelt or forgotten table cannot sit there unused.
    """

    def __init__(self, name: str, folder: Path = TEMPLATES_DIR) -> None:
        self.name = name
        TEMPLATES_READ.append(folder / name)
        text = (folder / name).read_text(encoding="utf-8")
        self._tables = _fields(yaml.safe_load(text), name)
        self._unread = list(self._tables)

    def __enter__(self) -> TemplateFile:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is None and self._unread:
            raise TemplateError(f"{self.name}: tables nobody reads: {', '.join(self._unread)}")

    def _take(self, key: str) -> tuple[object, str]:
        if key not in self._tables:
            raise TemplateError(f"{self.name}: no table {key!r}")
        self._unread.remove(key)
        return self._tables[key], f"{self.name}: {key}"

    def strings(self, key: str) -> tuple[str, ...]:
        """A list of strings."""
        return _strings(*self._take(key))

    def pairs(self, key: str) -> tuple[tuple[str, str], ...]:
        """A list of ``[string, string]`` rows."""
        value, where = self._take(key)
        rows = (_row(item, f"{where}[{i}]", 2) for i, item in enumerate(_items(value, where)))
        return tuple((_text(a, where), _text(b, where)) for a, b in rows)

    def counted(self, key: str) -> tuple[tuple[str, int], ...]:
        """A list of ``[string, integer]`` rows."""
        value, where = self._take(key)
        rows = (_row(item, f"{where}[{i}]", 2) for i, item in enumerate(_items(value, where)))
        return tuple((_text(a, where), _number(n, where)) for a, n in rows)

    def keyed(self, key: str) -> dict[str, tuple[str, ...]]:
        """A mapping from names to lists of strings."""
        value, where = self._take(key)
        return {k: _strings(v, f"{where}.{k}") for k, v in _fields(value, where).items()}

    def nested(self, key: str) -> dict[str, dict[str, dict[str, tuple[str, ...]]]]:
        """Three levels of names over lists of strings (language, stance, role)."""
        value, where = self._take(key)
        return {
            a: {
                b: {
                    c: _strings(v, f"{where}.{a}.{b}.{c}")
                    for c, v in _fields(roles, f"{where}.{a}.{b}").items()
                }
                for b, roles in _fields(stances, f"{where}.{a}").items()
            }
            for a, stances in _fields(value, where).items()
        }

    def words(self, key: str) -> dict[str, str]:
        """A mapping from strings to strings."""
        value, where = self._take(key)
        return {k: _text(v, f"{where}.{k}") for k, v in _fields(value, where).items()}

    def records(self, key: str, *names: str) -> list[dict[str, object]]:
        """A list of mappings with exactly these fields, in this order."""
        value, where = self._take(key)
        return [
            _record(item, f"{where}[{i}]", names) for i, item in enumerate(_items(value, where))
        ]


def _day(value: object, where: str) -> date:
    text = _text(value, where)
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise TemplateError(f"{where}: expected an ISO date, got {value!r}") from exc


# Slot fillers: the words, places and emoji that go into the templates' {slots}.
with TemplateFile("fillers.yaml") as _t:
    CITIES = _t.strings("cities")
    PLACES = _t.strings("places")
    COMPONENTS = _t.strings("components")
    PRAISE = _t.strings("praise")
    PROBLEMS = _t.strings("problems")
    EMOJI_POS = _t.strings("emoji_pos")
    EMOJI_NEG = _t.strings("emoji_neg")
    EMOJI_SARCASM = _t.strings("emoji_sarcasm")
    EMOJI_NEUTRAL = _t.strings("emoji_neutral")
    HASHTAGS = _t.strings("hashtags")
    SO = _t.strings("so")
    MONTH_NAMES = _t.strings("month_names")
    URL_SITES = _t.strings("url_sites")
    PHOTO_SITES = _t.strings("photo_sites")
    ELONGATE = _t.words("elongate")

# English posts and replies; the slots are listed in english.yaml.
with TemplateFile("english.yaml") as _t:
    ADV_ROOT = _t.strings("adv_root")
    BAD_ROOT = _t.strings("bad_root")
    SARCASM = _t.strings("sarcasm")
    NEU_ROOT = _t.strings("neu_root")
    COMP_WIN = _t.strings("comp_win")
    COMP_NEUTRAL = _t.strings("comp_neutral")
    MULTI3 = _t.pairs("multi3")
    ADV_REPLY = _t.strings("adv_reply")
    BAD_REPLY = _t.strings("bad_reply")
    NEU_REPLY = _t.strings("neu_reply")
    FILLER = _t.strings("filler")
    FILLER_OPENERS = _t.strings("filler_openers")
    _closers = _t.keyed("filler_closers")
    FILLER_CLOSERS = (_closers["english"], _closers["other"])
    """Sentence endings for unbranded replies: [0] English, [1] any other language."""
    OP_FOLLOWUP = _t.strings("op_followup")
    HN_ROOT = _t.pairs("hn_root")
    HN_REPLY = _t.pairs("hn_reply")
    PROMO = _t.strings("promo")
    SUPPORT = _t.strings("support")
    SUPPORT_AGENTS = _t.strings("support_agents")
    DECOY_STREET = _t.strings("decoy_street")
    DECOY_STREET_BRANDED = _t.pairs("decoy_street_branded")
    DECOY_ZEPHYR = _t.strings("decoy_zephyr")
    DECOY_ZEPHYR_BRANDED = _t.pairs("decoy_zephyr_branded")

# The episode: Voltera batteries swell and chargers fail.
with TemplateFile("episode.yaml") as _t:
    EP_BAD_ROOT = _t.strings("bad_root")
    EP_BAD_REPLY = _t.strings("bad_reply")
    EP_NONE = _t.strings("none")
    EP_DEFEND = _t.strings("defend")
    EP_FILLER = _t.strings("filler")
    _where = "episode.yaml: statements"
    EP_STATEMENTS = tuple(
        (_day(r["day"], _where), _number(r["hour"], _where), _text(r["text"], _where))
        for r in _t.records("statements", "day", "hour", "text")
    )

# Other languages: keyed by language, then stance, then role.
with TemplateFile("foreign.yaml") as _t:
    FOREIGN = _t.nested("posts")
    FOREIGN_FILLER = _t.keyed("filler")
    FOREIGN_PROBLEMS = _t.keyed("problems")
LANG_WEIGHTS = (("en", 862), ("es", 45), ("de", 33), ("fr", 24), ("pt", 16), ("ja", 10), ("it", 10))

# Long posts: sentences, headings, and (day, hour, source, brand, stance, title) of each.
with TemplateFile("long_posts.yaml") as _t:
    LONG_HEADINGS = _t.strings("headings")
    LONG_CONNECTORS = _t.strings("connectors")
    LONG_POSITIVE = _t.strings("positive")
    LONG_NEGATIVE = _t.strings("negative")
    _where = "long_posts.yaml: posts"
    LONG_POSTS = tuple(
        (
            _day(r["day"], _where),
            _number(r["hour"], _where),
            _text(r["source"], _where),
            _text(r["brand"], _where),
            _text(r["stance"], _where),
            _text(r["title"], _where),
        )
        for r in _t.records("posts", "day", "hour", "source", "brand", "stance", "title")
    )

# People: handle parts and the few big accounts.
with TemplateFile("people.yaml") as _t:
    HANDLE_FIRST = _t.strings("handle_first")
    HANDLE_SECOND = _t.strings("handle_second")
    BIG_ACCOUNTS = _t.counted("big_accounts")

HOUR_WEIGHTS = (
    1.0, 0.6, 0.4, 0.3, 0.3, 0.5, 1.2, 2.2, 2.6, 2.0, 1.8, 2.0,
    2.4, 2.2, 1.9, 1.9, 2.2, 2.8, 3.0, 3.1, 3.0, 2.6, 2.0, 1.4,
)  # fmt: skip
WEEKDAY_FACTORS = (0.88, 0.85, 0.9, 0.92, 1.05, 1.4, 1.3)
"""Monday..Sunday: people talk about bikes more at the weekend."""
SOURCE_WEIGHTS_EN = (
    ("reddit", 30), ("x", 25), ("bluesky", 12), ("mastodon", 10), ("hackernews", 5), ("forum", 18),
)  # fmt: skip
SOURCE_WEIGHTS_OTHER = (("reddit", 15), ("x", 35), ("bluesky", 12), ("mastodon", 18), ("forum", 20))
DECK_SIZE = 40
"""Cards per stance deck (see ``_Builder.draw_stance``)."""
SUBREDDITS = ("ebikes", "bikecommuting", "ebikes_eu", "cargobike")
SOCIAL = ("x", "bluesky", "mastodon")


# --- the posts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoPost:
    """One generated post: the JSONL fields plus the intended labels (never written to the file).

    ``stances`` maps each brand the post mentions to ``advocacy``/``badvocacy``/``none``;
    tests use it to check the matcher and the episode. ``kind`` says which part of the
    generator wrote the post (``customer``, ``filler``, ``promo``, ``support``, ``decoy``, ...).
    """

    id: str
    text: str
    created_at: datetime
    source: str
    url: str
    author: str
    author_followers: int | None
    parent_id: str | None
    thread_id: str
    lang: str
    likes: int
    replies: int
    reposts: int
    stances: dict[str, str]
    kind: str

    def to_json(self) -> dict[str, Any]:
        """The JSONL object, keys in :data:`FIELD_ORDER`."""
        return {
            "id": self.id,
            "text": self.text,
            "created_at": _iso(self.created_at),
            "source": self.source,
            "url": self.url,
            "author": self.author,
            "author_followers": self.author_followers,
            "parent_id": self.parent_id,
            "thread_id": self.thread_id,
            "lang": self.lang,
            "likes": self.likes,
            "replies": self.replies,
            "reposts": self.reposts,
        }

    @property
    def brand_owned(self) -> bool:
        """Written by one of the watched brands' own accounts (not customer-to-customer)."""
        return self.author in OWNED_HANDLES


@dataclass(eq=False)
class _Draft:
    order: int
    text: str
    created_at: datetime
    source: str
    author: str
    lang: str
    stances: dict[str, str]
    kind: str
    parent: _Draft | None = None
    root: _Draft | None = None
    sub: str = ""
    boost: float = 1.0
    children: int = 0
    id: str = ""
    number: int = 1
    replies_in_thread: int = 0


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if number == 0:
            return out


def _tid(number: int) -> str:
    """Bluesky-style sortable base32 record key."""
    alphabet = "234567abcdefghijklmnopqrstuvwxyz"
    out = ""
    for _ in range(13):
        number, rest = divmod(number, 32)
        out = alphabet[rest] + out
    return out


def _did(author: str) -> str:
    digest = hashlib.sha256(author.encode("utf-8")).digest()
    return base64.b32encode(digest).decode("ascii").lower()[:24]


class _Builder:
    """Holds the one random generator and everything generated so far."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.drafts: list[_Draft] = []
        self.seen: set[str] = set()
        self.decks: dict[tuple[str, bool], list[str]] = {}
        self.loose = BrandMatcher(brand_rules(), strict=False)
        self.strict = BrandMatcher(brand_rules(), strict=True)
        self.followers: dict[str, int] = {}
        self.handles = self._make_handles(1400)
        self.handle_weights = list(
            itertools.accumulate(1.0 / (i + 6) ** 0.85 for i in range(len(self.handles)))
        )
        for handle, count in BIG_ACCOUNTS:
            self.followers[handle] = count
        for brand in BRANDS:
            for handle in brand.owned_handles:
                self.followers[handle] = brand.owned_followers

    # --- people and time -------------------------------------------------------------------

    def _make_handles(self, count: int) -> list[str]:
        rng = self.rng
        handles: dict[str, None] = {}
        while len(handles) < count:
            a, b = rng.choice(HANDLE_FIRST), rng.choice(HANDLE_SECOND)
            style = rng.randrange(5)
            if style == 0:
                handle = f"{a}_{b}"
            elif style == 1:
                handle = f"{a}{b}"
            elif style == 2:
                handle = f"{a}_{b}{rng.randrange(10, 100)}"
            elif style == 3:
                handle = f"{b}{a}{rng.randrange(1, 1000)}"
            else:
                handle = f"{b}_{a}_{rng.randrange(70, 100)}"
            if handle not in handles and handle not in OWNED_HANDLES:
                handles[handle] = None
        out = list(handles)
        for handle in out:
            # Heavy tail: most people have a few dozen followers, a few have tens of thousands.
            self.followers[handle] = min(int(40 * rng.paretovariate(1.15)), 95_000)
        return out

    def person(self, avoid: str | None = None) -> str:
        for _ in range(20):
            handle = self.rng.choices(self.handles, cum_weights=self.handle_weights)[0]
            if handle != avoid:
                return handle
        return self.handles[-1]

    def root_time(self, day: date, latest_hour: int = 23) -> datetime:
        hour = self.rng.choices(range(latest_hour + 1), weights=HOUR_WEIGHTS[: latest_hour + 1])[0]
        return datetime(day.year, day.month, day.day, hour, tzinfo=UTC) + timedelta(
            seconds=self.rng.randrange(3600)
        )

    def reply_delay(self) -> timedelta:
        seconds = 45 + int(self.rng.lognormvariate(6.4, 1.0))
        return timedelta(seconds=min(seconds, 12 * 3600))

    def pick_lang(self) -> str:
        return self.rng.choices([k for k, _ in LANG_WEIGHTS], weights=[w for _, w in LANG_WEIGHTS])[
            0
        ]

    def pick_source(self, lang: str) -> str:
        table = SOURCE_WEIGHTS_EN if lang == "en" else SOURCE_WEIGHTS_OTHER
        return self.rng.choices([k for k, _ in table], weights=[w for _, w in table])[0]

    def draw_stance(self, brand: BrandSpec, episode: bool) -> str:
        """Next stance from a shuffled deck, so the mix holds over any few days of posts.

        Independent draws let a quiet brand's badvocacy share wander (0.17 one week, 0.40 the
        next), which would blur the one episode the demo is about. A deck of 40 cards dealt
        without replacement keeps the mix close to :attr:`BrandSpec.mix` at every scale.
        """
        key = (brand.name, episode)
        deck = self.decks.setdefault(key, [])
        if not deck:
            if episode:
                bad = EPISODE.badvocacy_share
                mix = ((1 - bad) * 0.4, bad, (1 - bad) * 0.6)
            else:
                mix = brand.mix
            counts = [round(share * DECK_SIZE) for share in mix]
            for stance, count in zip((ADVOCACY, BADVOCACY, NONE), counts, strict=True):
                deck.extend([stance] * count)
            self.rng.shuffle(deck)
        return deck.pop()

    # --- text ----------------------------------------------------------------------------------

    def surface(self, brand: BrandSpec) -> str:
        names = [s for s, _ in brand.surfaces]
        return self.rng.choices(names, weights=[w for _, w in brand.surfaces])[0]

    def slots(self, b: BrandSpec, c: BrandSpec | None, c2: BrandSpec | None) -> dict[str, str]:
        rng = self.rng
        m = rng.choice(b.models)
        cities = rng.sample(CITIES, 2)
        comps = rng.sample(COMPONENTS, 2)
        currency = rng.choice(("€", "$", "£"))
        s: dict[str, str] = {
            "b": self.surface(b),
            "B": b.name,
            "m": m,
            "m2": rng.choice([x for x in b.models if x != m]),
            "tagB": b.tag,
            "brand_url": f"https://{b.site}/{rng.choice(('sale', 'ride', 'models', 'care'))}",
            "c": "",
            "cm": "",
            "c2": "",
            "comp": comps[0],
            "comp2": comps[1],
            "place": rng.choice(PLACES),
            "city": cities[0],
            "city2": cities[1],
            "km": str(rng.randrange(4, 36)),
            "range": str(rng.randrange(8, 29) * 5),
            "odo": f"{rng.randrange(8, 150) * 100:,}",
            "months": str(rng.randrange(2, 31)),
            "weeks": str(rng.randrange(2, 10)),
            "days": str(rng.randrange(2, 41)),
            "price": f"{currency}{rng.randrange(1199, 4600, 50):,}",
            "price2": f"{currency}{rng.randrange(150, 1400, 10):,}",
            "pct": str(rng.choice((10, 15, 20, 25, 30))),
            "pct2": str(rng.randrange(88, 99)),
            "weight": str(rng.randrange(17, 35)),
            "weight2": str(rng.randrange(17, 35)),
            "digit": str(rng.randrange(10)),
            "digit2": str(rng.randrange(10)),
            "month_name": rng.choice(MONTH_NAMES),
            "user": "@" + self.person(),
            "url": f"https://{rng.choice(URL_SITES)}/{rng.choice(('a', 'p', 'v', 'story'))}/"
            f"{rng.randrange(16**6):06x}",
            "tag": rng.choice(HASHTAGS),
            "so": rng.choice(SO),
            "ep": rng.choice(EMOJI_POS),
            "ep2": rng.choice(EMOJI_POS),
            "en": rng.choice(EMOJI_NEG),
            "en2": rng.choice(EMOJI_NEG),
            "es": rng.choice(EMOJI_SARCASM),
            "eq": rng.choice(EMOJI_NEUTRAL),
        }
        if c is not None:
            s["c"], s["cm"] = self.surface(c), rng.choice(c.models)
        if c2 is not None:
            s["c2"] = self.surface(c2)
        praise = rng.sample(PRAISE, 2)
        probs = rng.sample(PROBLEMS, 2)
        s["praise"], s["praise2"] = (p.format_map(s) for p in praise)
        s["prob"], s["prob2"] = (p.format_map(s) for p in probs)
        s["Praise"], s["Prob"], s["Prob2"] = _cap(s["praise"]), _cap(s["prob"]), _cap(s["prob2"])
        for lang, problems in FOREIGN_PROBLEMS.items():
            s[f"prob_{lang}"] = rng.choice(problems)
        return s

    def decorate(self, text: str, stance: str, source: str, lang: str) -> str:
        """Add the noise real feeds have: emoji, tags, elongations, HTML entities, links."""
        rng = self.rng
        if lang == "en" and rng.random() < 0.10:
            words = [w for w in ELONGATE if re.search(rf"\b{w}\b", text)]
            if words:
                word = rng.choice(words)
                letter = ELONGATE[word]
                longer = word.replace(letter, letter * rng.randrange(3, 8), 1)
                text = re.sub(rf"\b{word}\b", longer, text, count=1)
        if rng.random() < 0.05 and " and " in text:
            text = text.replace(" and ", " &amp; ", 1)
        if rng.random() < 0.02 and "'" in text:
            text = text.replace("'", "&#39;")
        if rng.random() < 0.22:
            pool = {ADVOCACY: EMOJI_POS, BADVOCACY: EMOJI_NEG}.get(stance, EMOJI_NEUTRAL)
            text = f"{text} {rng.choice(pool)}"
        if rng.random() < 0.12:
            tags = rng.sample(HASHTAGS, rng.randrange(1, 3))
            text = f"{text} {' '.join(tags)}"
        if rng.random() < 0.04:
            text = f"{text} https://{rng.choice(PHOTO_SITES)}/{rng.randrange(16**8):08x}.jpg"
        if rng.random() < 0.03:
            text = f"{text} cc @{self.person()}"
        if source == "x" and rng.random() < 0.06:
            text = text.lower()
        return text

    def accept(self, text: str, stances: dict[str, str]) -> bool:
        """Keep a text only if it is new and every matcher reading finds exactly ``stances``."""
        if text in self.seen:
            return False
        want = sorted(stances)
        if sorted(self.loose.brands(text)) != want or sorted(self.strict.brands(text)) != want:
            return False
        return all(self.loose.locates(name, text) for name in stances)

    def compose_english(
        self, brand: BrandSpec, stance: str, role: str, episode: bool, source: str
    ) -> tuple[str, dict[str, str]]:
        rng = self.rng
        rivals = competitors(brand)
        pool: Sequence[str]
        if episode and rng.random() < 0.85:
            if stance == BADVOCACY:
                pool = EP_BAD_ROOT if role == "root" or rng.random() < 0.25 else EP_BAD_REPLY
            elif stance == ADVOCACY:
                pool = EP_DEFEND
            else:
                pool = EP_NONE
            return rng.choice(pool).format_map(self.slots(brand, None, None)), {brand.name: stance}
        if source == "hackernews" and rng.random() < 0.6:
            letter = {ADVOCACY: "a", BADVOCACY: "b", NONE: "n"}[stance]
            table = HN_ROOT if role == "root" and letter == "n" else HN_REPLY
            options = [template for template, s in table if s == letter]
            text = rng.choice(options).format_map(self.slots(brand, None, None))
            return text, {brand.name: stance}
        roll = rng.random()
        comparatives = 0.04 if episode else 1.0
        if role == "root" and roll < 0.05 * comparatives:
            letter = {ADVOCACY: "a", BADVOCACY: "b", NONE: "n"}[stance]
            options3 = [(t, s) for t, s in MULTI3 if s[0] == letter]
            template, letters = rng.choice(options3)
            c, c2 = rng.sample(rivals, 2)
            full = {"a": ADVOCACY, "b": BADVOCACY, "n": NONE}
            stances = {brand.name: stance, c.name: full[letters[1]], c2.name: full[letters[2]]}
            return template.format_map(self.slots(brand, c, c2)), stances
        if roll < (0.17 if role == "root" else 0.06) * comparatives:
            rival = rng.choice(rivals)
            if stance == ADVOCACY:
                text = rng.choice(COMP_WIN).format_map(self.slots(brand, rival, None))
                return text, {brand.name: ADVOCACY, rival.name: BADVOCACY}
            if stance == BADVOCACY:
                text = rng.choice(COMP_WIN).format_map(self.slots(rival, brand, None))
                return text, {brand.name: BADVOCACY, rival.name: ADVOCACY}
            text = rng.choice(COMP_NEUTRAL).format_map(self.slots(brand, rival, None))
            return text, {brand.name: NONE, rival.name: NONE}
        if stance == ADVOCACY:
            pool = ADV_REPLY if role == "reply" and rng.random() < 0.7 else ADV_ROOT
        elif stance == BADVOCACY:
            r = rng.random()
            if r < 0.2:
                pool = SARCASM
            elif role == "reply" and r < 0.8:
                pool = BAD_REPLY
            else:
                pool = BAD_ROOT
        else:
            pool = NEU_REPLY if role == "reply" and rng.random() < 0.75 else NEU_ROOT
        return rng.choice(pool).format_map(self.slots(brand, None, None)), {brand.name: stance}

    def brand_text(
        self,
        brand: BrandSpec,
        stance: str,
        *,
        role: str,
        episode: bool,
        lang: str,
        source: str,
        parent: _Draft | None = None,
    ) -> tuple[str, dict[str, str], str]:
        """A customer post about ``brand`` with the given stance, checked against the matcher.

        Returns the text, the intended labels and the language actually used: the small
        non-English pools can run out of new texts, and then the post is written in English.
        """
        rng = self.rng
        for attempt in range(600):
            if attempt == 300:
                lang = "en"
            if lang == "en":
                text, stances = self.compose_english(brand, stance, role, episode, source)
            else:
                by_role = FOREIGN[lang][stance]
                use_reply = role == "reply" and rng.random() < 0.6
                pool = by_role["reply"] if use_reply else by_role["root"]
                text = rng.choice(pool).format_map(self.foreign_slots(brand))
                stances = {brand.name: stance}
            text = self.decorate(text, stances[brand.name], source, lang)
            text = self.reply_prefix(text, stances, source, parent)
            if self.accept(text, stances):
                self.seen.add(text)
                return text, stances, lang
        raise RuntimeError(f"could not write a new {stance} {role} post for {brand.name}")

    def foreign_slots(self, brand: BrandSpec) -> dict[str, str]:
        """Slots for the short non-English templates, which cannot lean on context words.

        A name that needs context to count as the brand ("Zephyr" needs "bike" or "motor") is
        replaced by one that stands alone, else a Zephyr post in Italian could never be written.
        """
        slots = self.slots(brand, None, None)
        alone = [s for s, _ in brand.surfaces if self.names_alone(s, brand)]
        if not self.names_alone(slots["b"], brand):
            slots["b"] = self.rng.choice(alone)
        for key in ("m", "m2"):
            if not self.names_alone(slots[key], brand):
                slots[key] = f"{slots[key]} e-bike"
        return slots

    def names_alone(self, name: str, brand: BrandSpec) -> bool:
        """Whether ``name`` on its own is a mention of ``brand`` under both matcher readings."""
        want = [brand.name]
        return self.loose.brands(name) == want and self.strict.brands(name) == want

    def reply_prefix(
        self, text: str, stances: dict[str, str], source: str, parent: _Draft | None
    ) -> str:
        """On X, Bluesky and Mastodon a reply usually starts with the parent's @handle."""
        if parent is None or source not in SOCIAL or self.rng.random() > 0.7:
            return text
        owner = OWNED_HANDLES.get(parent.author)
        if owner is not None and owner not in stances:
            return text  # "@voltera ..." would be a brand mention the labels don't have
        return f"@{parent.author} {text}"

    def plain_text(self, pool: Sequence[str], *, lang: str, source: str, parent: _Draft) -> str:
        """A reply that mentions no brand: thanks, follow-ups, generic advice."""
        rng = self.rng
        openers = FILLER_OPENERS if lang == "en" else ("",)
        for _ in range(400):
            opener, body = rng.choice(openers), rng.choice(pool)
            if opener and opener.split()[0].strip("!.,") == body.split()[0].strip("!.,"):
                continue  # "Thanks! Thanks all..."
            if opener.endswith((", ", "Tbh ")):
                body = body[:1].lower() + body[1:]  # "Honestly, keep the receipt"
            text = opener + body + rng.choice(FILLER_CLOSERS[lang != "en"])
            if lang == "en":
                text = self.decorate(text, NONE, source, lang)
            text = self.reply_prefix(text, {}, source, parent)
            if self.accept(text, {}):
                self.seen.add(text)
                return text
        raise RuntimeError(f"could not write a new unbranded {lang} reply")

    # --- structure -----------------------------------------------------------------------------

    def add(
        self,
        text: str,
        created_at: datetime,
        source: str,
        author: str,
        lang: str,
        stances: dict[str, str],
        kind: str,
        parent: _Draft | None = None,
        boost: float = 1.0,
        sub: str = "",
    ) -> _Draft:
        root = None if parent is None else (parent.root or parent)
        draft = _Draft(
            order=len(self.drafts),
            text=text,
            created_at=created_at,
            source=source,
            author=author,
            lang=lang,
            stances=stances,
            kind=kind,
            parent=parent,
            root=root,
            sub=sub or (root.sub if root else self.rng.choice(SUBREDDITS)),
            boost=boost,
        )
        self.drafts.append(draft)
        return draft

    def thread_size(self, episode: bool, remaining: int) -> int:
        rng = self.rng
        if rng.random() < (0.3 if episode else 0.45):
            return 1
        sizes = list(range(2, 16))
        weights = [1.0 / (k ** (0.8 if episode else 1.15)) for k in sizes]
        size = rng.choices(sizes, weights=weights)[0]
        return max(1, min(size, int(remaining / 0.7) + 1))

    def thread_times(self, day: date, count: int) -> list[datetime]:
        """Root time on ``day`` and ``count`` reply times, the thread kept within its day.

        A long thread started at 23:00 would put most of its posts on the next day and leave
        its own day looking quiet; real threads do spill over, but the demo keeps daily counts
        readable.
        """
        offsets = [timedelta(0)]
        for _ in range(count):
            offsets.append(offsets[-1] + self.reply_delay())
        latest_hour = max(0, 23 - int(offsets[-1].total_seconds() // 3600) - 1)
        start = self.root_time(day, latest_hour)
        return self.reply_times(start, offsets)

    def reply_times(self, start: datetime, offsets: Sequence[timedelta]) -> list[datetime]:
        """``start`` plus each offset, moved earlier if the thread would end after :data:`END`."""
        times = [start + offset for offset in offsets]
        overflow = times[-1] - END
        if overflow > timedelta(0):
            times = [t - overflow - timedelta(seconds=self.rng.randrange(60, 900)) for t in times]
        return times

    def conversation(self, brand: BrandSpec, day: date, episode: bool, remaining: int) -> int:
        """One thread started by a customer about ``brand``; returns its customer mentions."""
        rng = self.rng
        lang = self.pick_lang()
        source = self.pick_source(lang)
        size = self.thread_size(episode, remaining)
        if lang != "en":
            size = min(size, rng.choice((1, 1, 2, 3)))
        times = self.thread_times(day, size - 1)
        stance = self.draw_stance(brand, episode)
        big = rng.random() < (0.10 if episode else 0.03)
        author = rng.choice(BIG_ACCOUNTS)[0] if big and lang == "en" else self.person()
        text, stances, lang = self.brand_text(
            brand, stance, role="root", episode=episode, lang=lang, source=source
        )
        boost = 2.5 if episode and stance == BADVOCACY else 1.0
        root = self.add(text, times[0], source, author, lang, stances, "customer", boost=boost)
        thread = [root]
        mentions = 1
        for moment in times[1:]:
            r = rng.random()
            if r < 0.5 or len(thread) == 1:
                parent = root
            elif r < 0.8:
                parent = thread[-1]
            else:
                parent = rng.choice(thread)
            roll = rng.random()
            if roll < 0.70:
                reply_stance = self.draw_stance(brand, episode)
                text, stances, reply_lang = self.brand_text(
                    brand,
                    reply_stance,
                    role="reply",
                    episode=episode,
                    lang=lang,
                    source=source,
                    parent=parent,
                )
                post = self.add(
                    text,
                    moment,
                    source,
                    self.person(parent.author),
                    reply_lang,
                    stances,
                    "customer",
                    parent,
                )
                mentions += 1
            elif (
                0.90 <= roll < 0.95
                and lang == "en"
                and parent is not root
                and parent.author != root.author
            ):
                text = self.plain_text(OP_FOLLOWUP, lang=lang, source=source, parent=parent)
                post = self.add(text, moment, source, root.author, lang, {}, "filler", parent)
            elif roll >= 0.95 and lang == "en" and parent.author not in OWNED_HANDLES:
                post = self.support_reply(brand, parent, moment)
            else:
                if lang != "en":
                    pool: Sequence[str] = FOREIGN_FILLER[lang]
                else:
                    pool = EP_FILLER if episode else FILLER
                text = self.plain_text(pool, lang=lang, source=source, parent=parent)
                post = self.add(
                    text, moment, source, self.person(parent.author), lang, {}, "filler", parent
                )
            thread.append(post)
        return mentions

    def support_reply(self, brand: BrandSpec, parent: _Draft, moment: datetime) -> _Draft:
        """The brand's own account answering a customer: not C2C, excluded from metrics."""
        rng = self.rng
        handle = brand.owned_handles[0]
        for _ in range(400):
            body = rng.choice(SUPPORT)
            if parent.source in SOCIAL:
                text = f"@{parent.author} {body}"
                stances: dict[str, str] = {}
            else:
                text = f"{body} – {rng.choice(SUPPORT_AGENTS)}, {brand.name} support"
                stances = {brand.name: NONE}
            if self.accept(text, stances):
                self.seen.add(text)
                return self.add(
                    text, moment, parent.source, handle, "en", stances, "support", parent
                )
        raise RuntimeError("could not write a new support reply")

    def promo(self, brand: BrandSpec, day: date) -> None:
        """A brand-owned advert, sometimes with customers replying under it."""
        rng = self.rng
        source = rng.choice(("x", "x", "bluesky", "mastodon", "reddit"))
        handle = brand.owned_handles[0]
        episode = brand.name == EPISODE.brand and EPISODE.contains(day)
        for _ in range(400):
            text = rng.choice(PROMO).format_map(self.slots(brand, None, None))
            if rng.random() < 0.3:
                text = f"{text} #ebike"
            if self.accept(text, {brand.name: NONE}):
                break
        else:
            raise RuntimeError("could not write a new promo")
        self.seen.add(text)
        count = rng.choice((0, 0, 1, 2, 3))
        times = self.thread_times(day, count)
        root = self.add(text, times[0], source, handle, "en", {brand.name: NONE}, "promo")
        for moment in times[1:]:
            stance = self.draw_stance(brand, episode)
            text, stances, _ = self.brand_text(
                brand, stance, role="reply", episode=episode, lang="en", source=source, parent=root
            )
            self.add(text, moment, source, self.person(), "en", stances, "customer", root)

    def decoy(self, day: date, zephyr: bool) -> None:
        """Posts that a bare alias would wrongly count: the street and the breeze."""
        rng = self.rng
        plain, branded = (
            (DECOY_ZEPHYR, DECOY_ZEPHYR_BRANDED) if zephyr else (DECOY_STREET, DECOY_STREET_BRANDED)
        )
        source = rng.choice(("x", "bluesky", "mastodon", "reddit", "forum"))
        for _ in range(400):
            if rng.random() < 0.2:
                template, name = rng.choice(branded)
                stances = {name: NONE}
            else:
                template, stances = rng.choice(plain), {}
            text = template.format_map(self.slots(BRANDS[0], None, None))
            if rng.random() < 0.5:
                text = self.decorate(text, NONE, source, "en")
            if self.accept(text, stances):
                self.seen.add(text)
                self.add(text, self.root_time(day), source, self.person(), "en", stances, "decoy")
                return
        raise RuntimeError("could not write a new decoy")

    def long_post(self, spec: tuple[date, int, str, str, str, str]) -> None:
        """A 3-5 KB owner's review, the kind that breaks naive truncation."""
        day, hour, source, name, stance, title = spec
        rng = self.rng
        brand = BRAND_BY_NAME[name]
        slots = self.slots(brand, None, None)
        slots["b"] = brand.name
        positive = stance == ADVOCACY
        sentences = [t.format_map(slots) for t in (LONG_POSITIVE if positive else LONG_NEGATIVE)]
        rng.shuffle(sentences)
        clauses = [t.format_map(slots) for t in (PRAISE if positive else PROBLEMS)]
        rng.shuffle(clauses)
        sentences += [f"{rng.choice(LONG_CONNECTORS)}{clause}." for clause in clauses]
        sentences.reverse()  # pop() takes the written sentences first, the clauses after
        parts = [title.format_map(slots), ""]
        headings = iter(LONG_HEADINGS)
        while len("\n".join(parts).encode("utf-8")) < 3600 and sentences:
            parts.append(f"**{next(headings, 'More')}**")
            paragraph = [sentences.pop() for _ in range(min(5, len(sentences)))]
            parts.append(" ".join(paragraph))
            parts.append("")
        text = "\n".join(parts).strip()
        stances = {brand.name: stance}
        if not self.accept(text, stances):
            raise RuntimeError(f"long post about {name} does not match as intended")
        self.seen.add(text)
        when = datetime(day.year, day.month, day.day, hour, 12, 5, tzinfo=UTC)
        root = self.add(text, when, source, self.person(), "en", stances, "customer", boost=4.0)
        offsets = [timedelta(0)]
        for _ in range(4):
            offsets.append(offsets[-1] + self.reply_delay())
        for moment in self.reply_times(when, offsets)[1:]:
            reply_stance = self.draw_stance(brand, False)
            text, stances, _ = self.brand_text(
                brand,
                reply_stance,
                role="reply",
                episode=False,
                lang="en",
                source=source,
                parent=root,
            )
            self.add(
                text, moment, source, self.person(root.author), "en", stances, "customer", root
            )

    def statements(self) -> None:
        """The episode brand's official statements (brand-owned: not C2C)."""
        brand = BRAND_BY_NAME[EPISODE.brand]
        for day, hour, text in EP_STATEMENTS:
            if not self.accept(text, {brand.name: NONE}):
                raise RuntimeError("statement does not match its brand")
            self.seen.add(text)
            when = datetime(day.year, day.month, day.day, hour, 2, 0, tzinfo=UTC)
            self.add(text, when, "x", brand.owned_handles[0], "en", {brand.name: NONE}, "promo")

    # --- the whole set ---------------------------------------------------------------------

    def build(self) -> list[DemoPost]:
        rng = self.rng
        for offset in range(DAYS):
            day = (START + timedelta(days=offset)).date()
            weekly = WEEKDAY_FACTORS[day.weekday()]
            for brand in BRANDS:
                episode = brand.name == EPISODE.brand and EPISODE.contains(day)
                factor = EPISODE.factor(day) if brand.name == EPISODE.brand else 1.0
                noise = rng.lognormvariate(0.0, 0.15)
                target = max(2, round(brand.per_day * weekly * noise * factor))
                made = 0
                while made < target:
                    made += self.conversation(brand, day, episode, target - made)
                if rng.random() < 0.3:
                    self.promo(brand, day)
            if rng.random() < 0.22:
                self.decoy(day, zephyr=False)
            if rng.random() < 0.22:
                self.decoy(day, zephyr=True)
        for spec in LONG_POSTS:
            self.long_post(spec)
        self.statements()
        self.plant_nul()
        return self.finish()

    def plant_nul(self) -> None:
        """One valid post carries a NUL character (JSON ``\\u0000``): the loader must clean it."""
        for draft in self.drafts:
            if (
                draft.kind == "customer"
                and draft.parent is None
                and draft.lang == "en"
                and draft.stances == {"Kinetik": ADVOCACY}
                and draft.created_at.date() >= date(2026, 9, 10)
                and " " in draft.text
            ):
                head, tail = draft.text.split(" ", 1)
                draft.text = f"{head} \x00{tail}"
                if not self.accept(draft.text, draft.stances):
                    raise RuntimeError("NUL post no longer matches")
                return
        raise RuntimeError("no post to carry the NUL character")

    def finish(self) -> list[DemoPost]:
        """Sort by time, give ids and URLs in that order, then count replies and engagement."""
        rng = self.rng
        drafts = sorted(self.drafts, key=lambda d: (d.created_at, d.order))
        for seq, draft in enumerate(drafts):
            if draft.parent is not None and draft.parent.created_at >= draft.created_at:
                raise RuntimeError("a reply is not later than its parent")
            draft.id = _make_id(draft, seq)
            if draft.parent is not None:
                draft.parent.children += 1
                root = draft.root or draft
                root.replies_in_thread += 1
                draft.number = root.replies_in_thread + 1
        posts: list[DemoPost] = []
        for draft in drafts:
            followers = None if draft.source == "hackernews" else self.followers[draft.author]
            reach = followers if followers is not None else 300
            likes = int(rng.lognormvariate(0.3, 1.0) * (1 + reach**0.6 / 6) * draft.boost)
            if draft.parent is not None:
                likes = int(likes * 0.4)
            replies = draft.children
            if rng.random() < 0.25:
                replies += int(rng.lognormvariate(0.0, 1.0))
            reposts = int(likes * rng.uniform(0.03, 0.3)) if draft.source in SOCIAL else 0
            root = draft.root or draft
            posts.append(
                DemoPost(
                    id=draft.id,
                    text=draft.text,
                    created_at=draft.created_at,
                    source=draft.source,
                    url=_make_url(draft),
                    author=draft.author,
                    author_followers=followers,
                    parent_id=draft.parent.id if draft.parent is not None else None,
                    thread_id=root.id,
                    lang=draft.lang,
                    likes=min(likes, 250_000),
                    replies=replies,
                    reposts=reposts,
                    stances=dict(draft.stances),
                    kind=draft.kind,
                )
            )
        return posts


def _make_id(draft: _Draft, seq: int) -> str:
    """Source-flavoured ids: snowflakes for X and Mastodon, TIDs for Bluesky, base36 for Reddit."""
    seconds = int(draft.created_at.timestamp())
    if draft.source == "x":
        return str(((seconds * 1000 - 1_288_834_974_657) << 22) | seq)
    if draft.source == "mastodon":
        return str((seconds * 1000 << 16) | seq)
    if draft.source == "bluesky":
        tid = _tid(((seconds * 1_000_000 + seq) << 10) | (seq & 1023))
        return f"at://did:plc:{_did(draft.author)}/app.bsky.feed.post/{tid}"
    if draft.source == "reddit":
        return ("t1_" if draft.parent is not None else "t3_") + _base36(2_100_000_000 + seq * 37)
    if draft.source == "hackernews":
        return str(45_100_000 + seq * 11)
    return f"p{700_000 + seq}"


def _make_url(draft: _Draft) -> str:
    root = draft.root or draft
    if draft.source == "x":
        return f"https://x.example/{draft.author}/status/{draft.id}"
    if draft.source == "mastodon":
        return f"https://mastodon.example/@{draft.author}/{draft.id}"
    if draft.source == "bluesky":
        return f"https://bsky.example/profile/{draft.author}/post/{draft.id.rsplit('/', 1)[-1]}"
    if draft.source == "reddit":
        if draft.parent is None:
            words = re.findall(r"[a-z0-9]+", draft.text.lower())[:6]
            return (
                f"https://reddit.example/r/{draft.sub}/comments/{draft.id[3:]}/{'_'.join(words)}/"
            )
        return (
            f"https://reddit.example/r/{draft.sub}/comments/{root.id[3:]}/comment/{draft.id[3:]}/"
        )
    if draft.source == "hackernews":
        return f"https://news.example/item?id={draft.id}"
    return f"https://forum.example/t/{root.id[1:]}/{draft.number}"


def build_posts(seed: int = SEED) -> list[DemoPost]:
    """Every valid post of the demo set, in file order, with the intended labels."""
    return _Builder(seed).build()


# --- malformed lines ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Malformed:
    """A deliberately broken line and where it goes (a fraction of the way through the file)."""

    kind: str
    at: float
    line: str


def malformed_lines(posts: Sequence[DemoPost]) -> list[Malformed]:
    """The broken lines planted in ``posts.jsonl`` so the file collector's quarantine is exercised.

    Each one is the kind of damage real exports have. Their neighbours' timestamps are reused so
    that the lines look like they belong where they are.
    """

    def near(at: float) -> DemoPost:
        return posts[min(int(at * len(posts)), len(posts) - 1)]

    def record(at: float, number: int, **changes: Any) -> dict[str, Any]:
        base = near(at)
        obj = base.to_json()
        obj.update(
            id=f"t3_{_base36(2_100_000_000 + (len(posts) + number) * 37)}",
            source="reddit",
            url=f"https://reddit.example/r/ebikes/comments/malformed{number}/",
            parent_id=None,
            thread_id=None,
            likes=3,
            replies=0,
            reposts=0,
        )
        obj.update(changes)
        return {key: obj[key] for key in FIELD_ORDER if key in obj}

    def dump(obj: Any) -> str:
        return json.dumps(obj, ensure_ascii=False)

    out: list[Malformed] = []
    # 1. Truncated JSON: the exporter was killed mid-write.
    text = "Loving my Kinetik K1 so far, the motor is smooth and the range is plenty for the canal"
    whole = dump(record(0.04, 1, text=text))
    out.append(Malformed("truncated_json", 0.04, whole[: len(whole) * 3 // 5]))
    # 2. Not JSON at all: a proxy's error page got appended to the export.
    page = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    out.append(Malformed("not_json", 0.13, page))
    # 3. Missing `text`: the post was deleted and the exporter kept only its metadata.
    missing_text = record(0.22, 3)
    del missing_text["text"]
    out.append(Malformed("missing_text", 0.22, dump(missing_text)))
    # 4. Missing `id`.
    text = "No id on this one, but the Pedalo Fold still folds in ten seconds"
    missing_id = record(0.35, 4, text=text)
    del missing_id["id"]
    out.append(Malformed("missing_id", 0.35, dump(missing_id)))
    # 5. Unparseable `created_at`: a human-readable date from a scraper.
    text = "Zephyr Cycles support fixed my e-bike display in a day, great service"
    bad_date = record(0.47, 5, text=text, created_at="last Tuesday, around 5pm")
    out.append(Malformed("bad_created_at", 0.47, dump(bad_date)))
    # 6. Wrong type: `text` is a number (a spreadsheet turned "404" into 404).
    out.append(Malformed("text_not_string", 0.58, dump(record(0.58, 6, text=404))))
    # 7. Wrong type: `likes` is a word.
    text = "Voltera City 2 owners, how are your brakes holding up?"
    out.append(Malformed("likes_not_int", 0.69, dump(record(0.69, 7, text=text, likes="lots"))))
    # 8. An empty line (harmless, must simply be skipped).
    out.append(Malformed("empty_line", 0.81, ""))
    # 9. Valid JSON but not an object: a header row from a CSV-to-JSON conversion.
    out.append(Malformed("not_an_object", 0.93, dump(["id", "text", "created_at", "source"])))
    return out


# --- output ---------------------------------------------------------------------------------------


def render_posts(posts: Sequence[DemoPost]) -> str:
    """``posts.jsonl``: one object a line, malformed lines planted, UTF-8 text, "\\n" endings."""
    lines = [json.dumps(p.to_json(), ensure_ascii=False) for p in posts]
    for shift, bad in enumerate(malformed_lines(posts)):
        lines.insert(int(bad.at * len(posts)) + shift, bad.line)
    return "\n".join(lines) + "\n"


def render_brands_yaml() -> str:
    """``brands.yaml`` in the watchlist format (README, "Configuration")."""

    def flow(items: Iterable[str]) -> str:
        return "[" + ", ".join(json.dumps(i, ensure_ascii=False) for i in items) + "]"

    lines = [
        "# Demo watchlist for the bundled, fictional e-bike data set (posts.jsonl, same folder).",
        "# Generated by `python -m tools.demo.generate`: edit the generator, not this file.",
        "# Voltera's query leaves out Voltera Street; Zephyr's keeps the gentle breeze out.",
        "brands:",
    ]
    for brand in BRANDS:
        lines.append(f"  - name: {json.dumps(brand.name)}")
        lines.append(f"    aliases: {flow(brand.aliases)}")
        if brand.query:
            quoted = brand.query.replace("'", "''")
            lines.append(f"    query: '{quoted}'")
        lines.append(f"    owned_handles: {flow(brand.owned_handles)}")
        lines.append(f"    competitors: {flow(c.name for c in competitors(brand))}")
    return "\n".join(lines) + "\n"


def generate(out_dir: Path) -> None:
    """Write ``posts.jsonl`` and ``brands.yaml`` into ``out_dir`` (created if missing)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    posts = build_posts()
    (out_dir / POSTS_FILE).write_bytes(render_posts(posts).encode("utf-8"))
    (out_dir / BRANDS_FILE).write_bytes(render_brands_yaml().encode("utf-8"))


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: ``python -m tools.demo.generate [--out-dir DIR]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out-dir", type=Path, default=DEMO_DIR, help="where to write the files")
    args = parser.parse_args(argv)
    generate(args.out_dir)
    for name in (POSTS_FILE, BRANDS_FILE):
        path = args.out_dir / name
        print(f"wrote {path} ({path.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
