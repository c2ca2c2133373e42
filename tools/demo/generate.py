"""Deterministic generator of Grapevine's bundled demo data set (``posts.jsonl``, ``brands.yaml``).

Why it exists: ``grapevine demo``, the README walkthrough and many tests need a realistic stream
of customer-to-customer talk about competing brands that works offline, is safe to publish and
never changes under their feet. Real posts cannot be shipped (copyright, privacy), so every post
here is fictional: composed from the templates and slot fillers below, about four invented e-bike
brands, by invented handles, with URLs on reserved ``.example`` domains.

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


# --- slot fillers ---------------------------------------------------------------------------------

CITIES = (
    "Lisbon", "Berlin", "Portland", "Leeds", "Lyon", "Utrecht", "Bilbao", "Melbourne",
    "Montréal", "Zürich", "Kraków", "São Paulo", "Torino", "Kyoto", "Göteborg", "Wrocław",
)  # fmt: skip
PLACES = (
    "to work", "up the big hill to school", "along the canal", "through the city centre",
    "on gravel paths", "to the train station", "across the river every morning",
    "around the lake", "to the farmers market", "in the rain all week", "home from night shifts",
    "to the coast and back", "up to the old town", "through the park", "on the school run",
)  # fmt: skip
COMPONENTS = (
    "battery", "charger", "motor", "display", "torque sensor", "rear hub", "brake pads", "chain",
    "belt", "kickstand", "headlight", "rack", "throttle", "controller", "frame lock", "tyres",
    "gear hub", "speed sensor", "mudguards", "saddle",
)  # fmt: skip
PRAISE = (
    "the motor is whisper quiet",
    "the range is easily {range} km on eco",
    "it eats hills for breakfast",
    "the belt drive needs basically zero maintenance",
    "the app actually works, which is rare",
    "support replaced a part in two days",
    "it rides like a normal bike with superpowers",
    "the battery still holds {pct2}% after a year",
    "it folds in ten seconds and fits under my desk",
    "the cargo box fits two kids and the weekly shop",
    "the torque sensor makes the assist feel natural",
    "the brakes are strong even in the rain",
    "the lights are bright enough for unlit paths",
    "the display is readable in full sun",
    "it's light enough to carry up two flights of stairs",
    "the build quality is superb, nothing rattles",
    "charging takes under three hours",
    "the gears shift smooth as butter",
    "the frame feels rock solid at 25 km/h",
    "it has survived a whole winter of salty roads",
    "the tyres are grippy on wet cobbles",
    "the dealer service has been excellent",
    "it makes my {km} km commute feel like nothing",
    "the riding position is super comfy for my bad back",
    "the theft tracking in the app gives me real peace of mind",
    "the battery pops out in a second so I charge it at my desk",
    "the kickstand holds even with the kids on the back",
    "the step-through frame is great for my knees",
    "maintenance costs have been almost nothing",
    "it still looks brand new after {months} months",
    "the motor has loads of torque from a standstill",
    "it's the first e-bike I've tried that doesn't feel like a moped",
)
PROBLEMS = (
    "the motor cuts out on every hill",
    "the display keeps freezing",
    "the charger started clicking and then died",
    "the app logs me out every single day",
    "the belt snapped after {odo} km",
    "the rear hub makes a grinding noise",
    "the brakes squeal like a kettle",
    "the frame lock jammed with the key inside",
    "the range drops by half as soon as it's cold",
    "the torque sensor lags for a full second",
    "water got into the display after one rainy ride",
    "the kickstand snapped on day {days}",
    "a firmware update bricked the controller",
    "the throttle sticks at full power",
    "spare parts take {weeks} weeks to arrive",
    "the battery won't charge past 80%",
    "the headlight flickers on every bump",
    "the rack cracked with just a backpack on it",
    "the chain falls off every other ride",
    "the pedal assist kicks in randomly at red lights",
    "the paint chipped within a month",
    "the battery rattles in the frame",
    "error code E{digit}{digit2} keeps coming back",
    "the spokes keep breaking on the rear wheel",
    "the whole thing shuts off when it's below freezing",
    "the gear hub slips under load",
    "the handlebar creaks no matter what the shop does",
    "the speed sensor reads twice my real speed",
    "the battery lock broke and the pack fell out on the road",
    "the motor overheats on a 10-minute climb",
)
EMOJI_POS = (
    "😍", "🙌", "⚡", "🚲", "🔥", "💯", "🚴‍♀️", "🚴‍♂️", "😊", "👍", "🥳", "❤️", "✨", "👨‍👩‍👧",
)  # fmt: skip
EMOJI_NEG = ("😡", "🙄", "😤", "💀", "👎", "😭", "🤬", "😩", "🫠", "🤦‍♂️", "🤦‍♀️")
EMOJI_SARCASM = ("🙃", "🙂", "👏", "🤡", "✨", "💅", "😌")
EMOJI_NEUTRAL = ("🤔", "👀", "🧐", "🙏")
HASHTAGS = (
    "#ebike", "#ebikes", "#bikecommute", "#cycling", "#carfree", "#bikelife", "#cargobike",
    "#velo", "#commute", "#ebikelife", "#fietsen", "#radfahren",
)  # fmt: skip
SO = ("so", "soooo", "sooo", "SO", "sooooooo", "so so")
MONTH_NAMES = ("March", "April", "May", "June", "July", "August")
URL_SITES = ("news.example", "velo-blog.example", "cyclingmag.example", "tube.example")
PHOTO_SITES = ("imgs.example", "photos.example", "pix.example")

# Elongations that people type when excited or upset ("soooo good", "noooo").
ELONGATE = {
    "so": "o",
    "love": "o",
    "good": "o",
    "great": "e",
    "really": "a",
    "happy": "y",
    "much": "u",
    "bad": "a",
    "no": "o",
    "never": "e",
}

# --- English templates ----------------------------------------------------------------------------
# Slots: {b} brand as a customer spells it, {m}/{m2} two of its models, {B} official name,
# {c}/{cm} a competitor and its model, {c2} a second competitor, {comp}/{comp2} components,
# {praise}/{Praise}/{praise2}, {prob}/{Prob}/{prob2} (capitalised variants start a sentence),
# {place}, {city}/{city2}, {km}, {range}, {odo}, {months}, {weeks}, {days}, {price}/{price2},
# {pct}, {weight}/{weight2}, {digit}, {month_name}, {user}, {url}, {tag}, {so}, emoji {ep} {ep2}
# {en} {en2} {es} {eq}, and for brand accounts {tagB} and {brand_url}.

ADV_ROOT = (
    "Honestly the {m} is the best thing I bought this year. {Praise}. {ep}",
    "{months} months on my {m} and {praise}. Can't recommend it enough.",
    "If you're on the fence about {b}: just do it. I ride {place} every day and {praise}.",
    "Took my {m} {place} today, {km} km and still 60% battery left. {so} happy with it {ep}",
    "Shoutout to {b} support, they sent a new {comp} within two days, no questions asked.",
    "My neighbour kept asking about my bike so I let him try the {m}. He ordered one that night 😂",
    "Sold the car in spring, bought a {m}. Zero regrets. {Praise}.",
    "{b} just gets it right. {Praise}, and {praise2}.",
    "Anyone saying {b} is overpriced hasn't ridden one. {Praise}.",
    "People keep asking what e-bike to buy for {city}. My answer every time: {m}. {ep}",
    "Wife was skeptical, now she steals my {m} every weekend. {Praise}.",
    "Rode the {m} {place} in pouring rain, the {comp} didn't even flinch. Love this bike.",
    "PSA for new riders: the {m} is the easiest e-bike to live with. {Praise}.",
    "One year, {odo} km, zero issues with my {m}. Best purchase of my thirties.",
    "Defending {b} here: yes it costs {price}, but {praise}. You get what you pay for.",
    "The {comp} on the {m} is {so} good. Whoever designed it deserves a raise.",
    "Bought my dad a {m} for his 70th. He now rides {place} daily and calls me to brag {ep}",
    "Test rode five e-bikes in {city}, went home with a {m}. {Praise}.",
    "Yes, I'm that person who won't shut up about {b}. {Praise}. Sorry not sorry.",
    "My {m} just passed {odo} km. Still feels brand new. {tag}",
    "Can confirm: {b} is worth every cent. {Praise}.",
    "{b} fan for life. {Praise} and the local dealer in {city} is lovely.",
    "Kid seat on the back of the {m}, {place}, smiles all round. Highly recommend for parents.",
    "Just upgraded to the {m}. First impressions: {praise}. {ep}{ep2}",
    "I was ready to hate the {m} but {praise}. Consider me converted.",
    "Every time someone in {city} asks about my bike I tell them to get a {b}. {so} much fun.",
    "Commuting on the {m} has saved me {price} in fuel this year. And I'm fitter. Win-win.",
    "Not sponsored, just happy: the {m} is the real deal. {Praise}.",
    "Quick review of my {m} after {weeks} weeks: {praise}; {praise2}. 9/10.",
    "The {b} owners' group is great too, folks helped me set up the {comp} in minutes.",
    "{b} replaced my {comp} under warranty without any fuss. That's how you keep customers.",
    "My {m} climbs {place} like it's flat. Absolutely love it {ep}",
    "Best decision of the year: buying a {m}. {Praise}.",
    "Rented a {m} on holiday in {city}, bought one as soon as I got home.",
    "I've owned three e-bikes and the {m} beats them all. {Praise}.",
    "Go to any {b} dealer and ask for a test ride. You'll get it after five minutes.",
    "Low-key obsessed with my {m}. {Praise} {ep}",
    "Friends: stop asking. Yes, get the {m}. {Praise}.",
    "The {m} handled the first frost {place} better than my car did. {b} nailed it.",
    "Happy {b} owner here. {Praise}, {praise2}.",
    "Riding {place} on the {m} is the best part of my day now.",
    "The {comp} on my {m} is {so} smooth, it makes every other bike feel clunky.",
    "Ten minutes faster to work on the {m} than by bus, and way more fun {ep}",
    "Whoever is thinking about a {b}: the hype is real. {Praise}.",
    "Got a flat {place}, the quick-release on the {m} made it a five-minute fix. Smart design.",
    "Never thought I'd be an e-bike evangelist. Then I got a {m}. {Praise}.",
    "Full service at {odo} km, mechanic said my {m} is in great shape. Built to last.",
    "Mum (68) just did {km} km on her {m}. {b} made her fall in love with cycling again ❤️",
    "The {m} + a good rain jacket = car-free life in {city}. Recommend!",
    "Honest take: the {m} isn't cheap, but {praise}. I'd buy it again tomorrow.",
    "My commute {place} used to be miserable. With the {m} it's the highlight of my morning.",
    "{b} doing things right: {praise}. More brands should copy them.",
    "Pro tip from a {b} owner: set assist to eco {place} and the range is ridiculous.",
    "Three of my coworkers bought a {m} after trying mine. {b} should pay me commission 😄",
    "{Praise}. That's all you need to know about the {m}.",
    "Day {days} with the {m}: still grinning like an idiot {ep}",
    "If your partner says you don't need a new bike, show them the {m}. Worked for me.",
    "Look, the {m} is simply a great bike. {Praise}. Buy it.",
    "The {m} made me leave the car at home five days a week. Thank you {b} 🙏",
    "Loving the new {comp} on my {m}. {b} really listened to feedback.",
    "Café stop {place} on the {m}, {km} km, barely used a third of the battery. Très bien 🥐",
    "Déjà vu: second {b} in the family, because the first one was that good. {Praise}.",
)

BAD_ROOT = (
    "Avoid {b}. {Prob}, and support hasn't answered in {weeks} weeks. {en}",
    "My {m} is {months} months old and {prob}. Never again.",
    "Warning to anyone looking at {b}: {prob}. Save your money.",
    "Do NOT buy the {m}. {Prob} and the dealer in {city} just shrugs.",
    "{b} customer service is a joke. {weeks} weeks waiting for a {comp}. {en}",
    "Spent {price} on a {m} and {prob}. Feeling like an idiot.",
    "Regret buying a {m}. {Prob}. Would not recommend to anyone.",
    "Third warranty claim on my {m} this year. {Prob}. I'm done with {b}.",
    "Stay away from {b} if you live somewhere hilly, {prob}.",
    "Rode the {m} {place} and {prob}. Had to push it home.",
    "How is {b} still selling the {m} when {prob}?",
    "Friendly warning: {b} won't honour the warranty if you ride in rain. Which is... weather.",
    "The {comp} on the {m} is garbage. {Prob}. {en}",
    "I wanted to love my {m}. But {prob}, and {prob2}.",
    "{b}: pretty website, terrible bikes. {Prob}.",
    "Returned my {m} after {weeks} weeks. {Prob}. Got a refund after a fight.",
    "Don't let the reviews fool you, the {m} is a lemon. {Prob}.",
    "Selling my {m} at a loss just to be rid of it. {Prob}. {en}",
    "Two months of emails to {b} about a broken {comp}. Nothing. Avoid.",
    "The {m} looked great in the shop. Then {prob}. Then {prob2}.",
    "Anyone else's {m} falling apart? {Prob}. Starting to think it's not just me.",
    "Do yourself a favour and skip {b}. {Prob}.",
    "Bought a {m} for the commute {place}. {Prob}. Back on the bus {en}",
    "{b} quality has gone downhill. {Prob} on my second one too.",
    "My local shop in {city} refuses to service {b} anymore. Says parts never arrive. Avoid.",
    "Just a heads up: {prob} on the {m}, and {b} calls it 'normal behaviour'.",
    "Nope. Never buying {b} again. {Prob}.",
    "{price} for a bike where {prob}. Unbelievable. Avoid the {m}.",
    "The {m} is all marketing. {Prob}, {prob2}.",
    "If you need a reliable commuter, not the {m}. {Prob}.",
    "Worst purchase of the year: my {m}. {Prob}. {en}{en2}",
    "{b} support closed my ticket without fixing anything. {Prob}. Absolute clowns 🤡",
    "Please don't buy a {m} for your kids. {Prob}. Not safe.",
    "Had high hopes for {b}. {Prob}. Disappointed is an understatement.",
    "My {m} has spent more time at the repair shop than on the road. {Prob}.",
    "Neighbour's {m} and mine both have the same fault: {prob}. Seems systemic, {b}.",
    "Hard pass on {b}. {Prob}, and the app is a privacy nightmare.",
    "Dear {b}, {prob}. Fix your bikes before you launch new ones.",
    "Day {days} of waiting for {b} to send the replacement {comp}. Avoid avoid avoid.",
    "Told my friends to buy a {m}. Now I owe them an apology. {Prob}.",
    "The {m} is {so} overhyped. {Prob}.",
    "Shop mechanic in {city} laughed when he saw the {comp} on my {m}. Cheap parts everywhere.",
    "{b} sells you a {price} bike with a {comp} that fails in {weeks} weeks. Pass.",
    "The worst thing about my {m}? {Prob}. The second worst? {Prob2}.",
    "Unpopular opinion: {b} is coasting on good marketing. {Prob}.",
    "No no no, my {m} again. {Prob} {en}",
    "I'm warning everyone I know about {b}. {Prob}.",
    "Got my {m} back from warranty repair and {prob} again. Unreal.",
    "Range on the {m} is a lie. Advertised {range} km, I get maybe {km}.",
    "If {b} reads this: {prob}. Your customers deserve better.",
    "Broke down {place} for the third time. {m}, never again. {en}",
    "Cancelled my {m} preorder after reading the forum. {Prob} on too many bikes.",
    "My {m} made it {odo} km before {prob}. Impressive, in the wrong way.",
    "Not recommending {b} anymore. {Prob}, and they blamed me for it.",
    "Really bad experience with {b}. {Prob}. {en}",
)

SARCASM = (
    "oh great, my {b} {comp} died again, love that for me {es}",
    "Wow, {b} support answered in only {weeks} weeks. Truly world-class service {es}",
    "Nothing says premium like a {price} {m} where {prob} {es}",
    "Love how my {m} turns every ride into a surprise workout. Thanks {b} {es}",
    "My {m} has a great new feature: {prob}. Innovation! {es}",
    "Shoutout to {b} for teaching me patience. {weeks} weeks and counting for a new {comp} {es}",
    "Can't wait for the next {m} firmware update that breaks the {comp} again {es}",
    "Good news: my {m} is lighter now. Bad news: it's because the {comp} fell off {es}",
    "{b}: for when you want the thrill of not knowing if you'll make it home {es}",
    "Pushing a 25 kg {m} up the hill is definitely the workout I signed up for {es}",
    "Oh cool, {prob}. Exactly what I wanted from my {m} {es}",
    "Best thing about the {m}? The bus pass I had to buy when it broke {es}",
    "Yay, another {b} email about new colours while my {comp} is still broken {es}",
    "Sure, {b}, the {comp} rattling is 'a feature'. Love that for you {es}",
    "My {m} is very eco-friendly: it spends most of its time not moving {es}",
    "Five stars to {b} for the free cardio whenever {prob} {es}",
    "Really impressed how fast my {m} went from 'new bike' to 'garage decoration' {es}",
    "Love paying {price} to be a beta tester for {b} {es}",
    "Another day, another {b} error code. Collect them all! {es}",
    "My {m} and I have a deep bond now. I carry it home most days {es}",
    "Thanks {b}, I always wanted a {price} paperweight {es}",
)

NEU_ROOT = (
    "Thinking about a {m} for the commute {place}. Anyone here own one? How's the {comp}?",
    "Does the {m} fit a child seat? Can't find it in the specs.",
    "{b} announced the {m} will cost {price} in the EU from next month.",
    "Spec sheet for the {m}: {range} km claimed range, 250 W motor, {weight} kg.",
    "Anyone know if {b} ships spare parts to {city}?",
    "Is the {m} OK for someone who is 1.95 m tall?",
    "Looking at a used {m} for {price}. What should I check before buying?",
    "How long does the {m} battery take to charge from empty?",
    "Where is the nearest {b} dealer to {city}? Their store locator is down.",
    "{b} is opening a showroom in {city} according to the local paper.",
    "Question for {b} owners: do you keep the battery inside over winter?",
    "What tyre pressure are people running on the {m}?",
    "Saw a {m} {place} today, first one I've seen in the wild.",
    "Which display does the {m} use? Trying to find a screen protector.",
    "{b} just published a firmware changelog for the {m}: {comp} tweaks and bug fixes.",
    "Insurance question: does anyone insure a {m} separately or through home insurance?",
    "The {m} weighs {weight} kg according to the spec page. Is that with the battery?",
    "Is the {m} legal on bike paths in {city}? It says 25 km/h limited.",
    "Trying to decide between the {m} and the {m2}. Thoughts?",
    "Price check: the {m} is {price} at my local shop. Is that normal?",
    "Anyone commute {place} on a {m}? How long does the battery last in practice?",
    "{b} has {pct}% off the {m} this weekend according to a newsletter I got.",
    "Does {b} sell a second battery for longer tours?",
    "New {b} catalogue is out, the {m} now comes in dark green.",
    "How loud is the motor on the {m}? I carry my bike up to a flat, neighbours are light sleepers",
    "Curious: how many of you bought your {m} through a cycle-to-work scheme?",
    "Looking for a {b} owners group in {city}. Does one exist?",
    "What lock fits the frame of the {m}?",
    "Did {b} recall something? Saw a post about the {comp} but can't find the source.",
    "Can you ride the {m} without assist if the battery runs out? How heavy does it feel?",
    "Got quoted {price} for a replacement {comp} for the {m}. Is that the going rate?",
    "Article: '{b} doubles production as e-bike demand grows in {city}' {url}",
    "Is there a {b} app for Android or only iOS?",
    "Does anybody know the wheel size on the {m}?",
    "Spotted {b} at the trade fair in {city}. New colours, same frame.",
    "Any {b} owners who take their bike on the train? Does it fit the racks?",
    "The {m} review from the cycling mag is up: {url}",
    "Moving to {city} next month, is the {m} enough for the hills there?",
    "Fun fact: {b} started as a two-person workshop. Saw it in a documentary.",
    "Is the {m} belt or chain? Conflicting info online.",
    "Poll: how far is your daily ride on your {m}? Mine is {km} km.",
    "What does the blinking orange light on the {m} display mean?",
    "Can I put a front basket on the {m} or does it block the headlight?",
    "{b} raised prices by {pct}% across the range starting today.",
    "Anyone upgraded the {comp} on a {m}? Worth it?",
    "Does {b} offer test rides in {city}?",
    "Just joined the {b} owners forum. Hi all, picking up my {m} on Saturday.",
    "Is the {m} water resistant enough for daily rain?",
    "How does {b} handle warranty if you bought the bike second hand?",
    "Naïve question maybe: does the {m} charge from a normal wall socket?",
    "Which {b} model is best for a rider who is 1.58 m? The {m} or the {m2}?",
)

# A post praising one brand and trashing another: {b} gets advocacy, {c} badvocacy. Used the
# other way round (the brand as {c}) when the brand is the one being warned against.
COMP_WIN = (
    "Switched from {c} to {b}, best decision ever. {Praise}.",
    "Had a {cm} for a year, {prob}. Got a {m} last month and {praise}. Night and day.",
    "{b} > {c}. Not even close. {Praise}.",
    "Tried the {cm} and the {m} back to back. The {c} felt cheap, the {m} felt premium.",
    "If you're choosing between {b} and {c}: go {b}. {c} support is a black hole.",
    "Sold my {cm} after {prob}. The {m} has been flawless since. {ep}",
    "Everyone recommended {c} to me. Glad I ignored them and bought a {m}. {Praise}.",
    "{c} owners, I see you pushing your bikes up the hill while my {m} cruises past {ep}",
    "After two dead batteries on my {cm} I switched to {b}. {Praise}.",
    "Dealer tried to sell me a {cm}. Test rode the {m} next door instead. No contest.",
    "Unpopular take: {b} quietly beats {c} on every spec that matters, and {c} breaks more.",
    "Replaced my {cm} with a {m}. Range went up, headaches went down.",
    "Friendly advice: skip {c}, get {b}. Been on both, {praise}.",
    "Moved from {c} to {b} last spring. {Praise}. Should've done it sooner.",
    "{c} quoted {weeks} weeks for a new {comp}. {b} did it in two days. Guess who I'm buying next.",
    "The {m} is what the {cm} should have been.",
    "My {cm} lived at the repair shop. My {m} lives {place}. Easy choice.",
    "Ditched {c} for {b} and I'm never looking back {ep}",
    "{b} for the win. {c} can keep their fancy ads and their flaky {comp}.",
    "Rode my friend's {cm} today. Made me appreciate my {m} even more, that thing rattles lol",
    "Coming from {c}, the {m} feels like a spaceship. {Praise}.",
    "Don't buy {c}, buy {b}. That's the whole review.",
    "Took the {m} and a {cm} {place} side by side. {b} won on range, comfort and noise.",
    "Wish I'd gone {b} from the start instead of wasting {price} on a {cm}.",
    "{c} was fine until {prob}. {b} has been fine, full stop.",
)

COMP_NEUTRAL = (
    "{b} or {c} for a 15 km commute with one hill? Help me decide.",
    "Anyone compared the {m} and the {cm} on range in winter?",
    "{b} vs {c}: which one has better dealer coverage in {city}?",
    "Spec comparison: {m} ({weight} kg) vs {cm} ({weight2} kg). Both around {price}.",
    "Torn between {b} and {c}. Budget is {price}. Go.",
    "Does anyone own both a {b} and a {c}? How do the motors compare?",
    "Comparison video of the {m} and the {cm} is out: {url}",
    "Same price, {b} or {c}? I mostly ride {place}.",
    "Is it true that {b} and {c} use the same battery supplier?",
    "Which holds value better second hand, {b} or {c}?",
    "Test riding the {m} and the {cm} this Saturday, anything I should check?",
    "Trade show recap: {b} showed a new cargo frame, {c} focused on software.",
    "Price watch: {m} {price}, {cm} {price2}. Both down a bit this month.",
    "For a 1.60 m rider, {m} or {cm}? Both frames look big.",
    "{b} and {c} both announced autumn updates today.",
)

# Three brands in one post; the letters give the stance toward {b}, {c} and {c2}.
MULTI3 = (
    (
        "Test rode {b}, {c} and {c2} today. {b} felt best by far, {c2} rattled like a tin can.",
        "anb",
    ),
    ("Tier list for commuters: {b} top tier, {c} middle, {c2} avoid.", "anb"),
    ("{b}, {c} or {c2} for a hilly commute? Budget {price}.", "nnn"),
    (
        "Our office bike shed today: three {b}, two {c} and one {c2}. E-bikes are taking over.",
        "nnn",
    ),
    ("Owned a {c2}, then a {c}, now a {b}. Only the {b} never let me down.", "abb"),
    ("Reviewing {b}, {c} and {c2} side by side next week. Questions welcome.", "nnn"),
    ("{c} and {c2} both gave me {comp} problems. {b} has been perfect.", "abb"),
    ("Why does everyone compare {b} to {c} and {c2}? Different price classes.", "nnn"),
    ("Avoid {b}; {c} and {c2} are both better built for the money.", "baa"),
    ("{c} is a solid choice and so is {b}. Just not {c2}, trust me.", "aab"),
    ("Group ride today with {b}, {c} and {c2} riders all together. Nice to see.", "nnn"),
    ("The dealer in {city} now carries {b}, {c} and {c2}.", "nnn"),
    ("{b} was the worst of the three I tried; {c} and {c2} both felt solid.", "baa"),
    (
        "Ranking after a year in the bike club: 1. {b} 2. {c} 3. {c2}, whose riders complain most.",
        "anb",
    ),
)

ADV_REPLY = (
    "Had my {m} for {months} months, zero issues. Go for it.",
    "Get the {m}. {Praise}.",
    "+1 for {b}. {Praise}.",
    "I ride {place} on a {m} every day, {praise}. You won't regret it.",
    "Their support is great in my experience, {b} fixed my {comp} in two days.",
    "Mine's been flawless. {b} is the safe choice.",
    "Agree with everyone recommending {b}, {praise}.",
    "Can't speak for the other brands but my {m} has been perfect.",
    "Go {b}, especially for hills. {Praise}.",
    "Same experience here, the {m} is brilliant {ep}",
    "My partner and I both ride {b}. Highly recommend.",
    "I was in the same spot last year and picked the {m}. Very happy.",
    "Don't overthink it, the {m} is great value.",
    "Bought one used, still going strong. {b} builds them well.",
    "Honestly the {comp} alone makes the {m} worth it.",
    "Happy {b} owner for {months} months. {Praise}.",
    "Counterpoint: my {m} has been rock solid. {Praise}.",
    "Sorry you got a bad one, but most of us love our {b}. Get it swapped, it's worth it.",
    "Yes! The {m} is {so} good for that.",
    "The dealer in {city} is great for {b} service, ask for Sam.",
    "Your budget fits the {m}, and {praise}.",
    "The {m} range is legit, I get {range} km on eco.",
    "Try the {m}. {Praise}.",
    "Seconding the {m}. My commute {place} is a joy now.",
    "I'd pick {b} again in a heartbeat.",
    "Had the same worry, but the {m} handles rain perfectly.",
    "Go {b}, their warranty actually means something.",
    "My {m} is {months} months old and still feels new.",
    "{b} every time. {Praise}.",
    "The {m} fits a child seat fine, we use it daily {ep}",
)

BAD_REPLY = (
    "I'd avoid {b}. {Prob}.",
    "Mine did the same. {b} support was useless.",
    "Had a {m}, {prob}. Sold it.",
    "Don't. {Prob} on mine after {months} months.",
    "Same here, {prob}. Avoid the {m}.",
    "Look elsewhere. {b} won't help you when things break.",
    "Not the {m}. {Prob}.",
    "+1 to avoiding {b}. Took {weeks} weeks to get a {comp}.",
    "I've seen three of the {m} at my shop this month with the same fault.",
    "Return it while you still can. {b} won't fix it.",
    "Same problem with my {m}. {b} told me it's normal. It isn't.",
    "Honestly skip {b}. {Prob}.",
    "My {m} did exactly this. Then {prob2}.",
    "Can confirm, {b} quality is a lottery.",
    "Oof, another one. Glad I returned my {m}.",
    "You're not alone, {prob} on my {m} too {en}",
    "{b} ghosted me for {weeks} weeks. Good luck.",
    "Wouldn't recommend {b} to my worst enemy tbh.",
    "That's the {comp} on the {m}, known weak point. Avoid.",
    "Sell it and get anything but a {b}.",
    "Same. {m} owner, regretting it daily.",
    "Warranty on {b} is a joke, they'll blame you.",
    "I went through two of those {comp} parts on my {m}. Never again.",
    "My mechanic refuses to work on {b} now.",
    "Yep, {b} quality control is nonexistent.",
    "Had to push my {m} home twice. Avoid.",
    "Nope, the {m} isn't worth {price}.",
    "Mine's back at the shop again. {b}, please.",
    "Every {b} owner I know has a horror story.",
    "Save yourself the hassle, not {b}.",
)

NEU_REPLY = (
    "What year is your {m}? The older ones have a different {comp}.",
    "Did you contact {b} support yet?",
    "The {m} manual says to top up the battery every {weeks} weeks in storage.",
    "Check the {b} website, they have a serial number lookup.",
    "Which {b} model exactly?",
    "I think {b} changed the {comp} supplier this year, not sure.",
    "The {m} is {weight} kg without the battery iirc.",
    "{b} has a dealer in {city}, might be worth a call.",
    "Is that the {m} or the {m2}? They're different frames.",
    "You can order {b} spare parts online, took {days} days for me.",
    "{b} posted a how-to video for that: {url}",
    "Following, also considering a {m}.",
    "Depends on your budget, the {m} is around {price} now.",
    "Ask the {b} dealer for a test ride first.",
    "Did the {m} come with the {comp} pre-installed?",
    "Not sure about the {m}, never ridden one. Maybe ask on the owners forum.",
    "Which firmware is your {m} on?",
    "{b} has a {pct}% discount for students, fyi.",
    "Curious too. Anyone else with a {m}?",
    "Is the {b} warranty transferable? Would matter for a used one.",
)

# Replies that mention no brand: customers advising each other in the thread's context.
FILLER = (
    "Thanks, that's really helpful",
    "Following",
    "Great thread, saving this",
    "Same question here",
    "What's your commute like?",
    "Do you have hills where you live?",
    "Thanks all, ordered mine today",
    "This community is the best",
    "How much did you pay in the end?",
    "Get a good lock whatever you buy",
    "Mudguards. Always get mudguards",
    "Test ride first, always",
    "Wear a helmet too please",
    "Check your tyre pressure first, it solves half the problems",
    "Ha, my partner says the same thing",
    "Some shops give discounts in autumn, worth asking",
    "Welcome to the club",
    "Good luck with the decision",
    "That's a long commute, respect",
    "Update us when you've decided",
    "Look into a cycle-to-work scheme, it saves a lot",
    "Sounds like a loose connector, check the cables",
    "Mine does that when it's below 0 °C",
    "Have you tried turning it off and on again? 😅",
    "Congrats on the new ride",
    "How's the range in winter?",
    "I'm in the same boat",
    "Insurance is worth it, mine got stolen last year",
    "Nice photo",
    "Keep the receipt, just in case",
)
FILLER_OPENERS = ("", "", "Thanks! ", "Ha, ", "Honestly, ", "Good point. ", "Agreed. ", "+1. ",
                  "Oh nice. ", "Hmm, ", "Tbh ", "Lol. ")  # fmt: skip
FILLER_CLOSERS = (
    ("", ".", "!", " 🙂", " 👍", " lol", " 🚲", ". Good luck!", ". Thanks for sharing.", " 🙏",
     "!!", "..."),
    ("", "!", " 🙂", " 👍", " 🚲", " 🙏", "...", " 😅", " ❤️", " 👀", " 😊", "!!"),
)  # fmt: skip
"""Sentence endings for unbranded replies: [0] English, [1] any other language."""
OP_FOLLOWUP = (
    "Thanks everyone, really helpful",
    "Update: took it to the shop, it was a loose cable",
    "Update: ordered one, will report back",
    "Appreciate all the replies",
    "Ok so it's not just me",
    "Good to know, thanks",
    "Update: support finally answered",
    "Update: test ride booked for Saturday",
    "Update: got a partial refund",
    "Thanks, I'll check the connector tonight",
)

HN_ROOT = (
    ("Show HN: An open-source battery health logger for {m} owners", "n"),
    ("Ask HN: Anyone commuting on an e-bike? Looking at {b}", "n"),
    ("I reverse-engineered the {b} display protocol {url}", "n"),
    ("{b} is hiring embedded firmware engineers (remote, EU)", "n"),
    ("Ask HN: How do you keep an e-bike battery healthy? Mine is a {m}", "n"),
    ("{b} publishes the service manual for the {m} under CC-BY {url}", "n"),
)
HN_REPLY = (
    ("I've had a {m} for {months} months; the firmware is surprisingly well engineered.", "a"),
    ("{b}'s firmware is locked down and the battery is proprietary. I'd avoid them for that.", "b"),
    ("Does the {b} controller speak CAN or UART?", "n"),
    ("The {m} BMS logs cell voltages over BLE if you enable developer mode.", "n"),
    ("Fwiw {b} answered my right-to-repair question within a day. Good company.", "a"),
    ("Cheap cells, expensive brand. {b} is a pass for me after {prob}.", "b"),
)

# The episode: Voltera batteries swell and chargers fail.
EP_BAD_ROOT = (
    "PSA: my {m} battery swelled overnight. The casing is bulging. Unplugged it and put it on the "
    "balcony. Avoid {b} until they fix this. {en}",
    "{b} charger just died with a pop and a burning smell. Second one this month. Anyone else?",
    "My {b} battery swelled after the latest firmware. Anyone else?? {en}",
    "Avoid {b} until they fix the charger issue. Mine melted the plug.",
    "WARNING: do not charge your {m} overnight. My battery got hot enough to smell. {b} is silent.",
    "So the {b} battery thing is real. Mine won't hold a charge and the pack is warm to the touch.",
    "Woke up to a dead {m} and a charger that smells like burnt plastic. Thanks {b} {en}",
    "{b} owners: check your batteries. Mine is swollen and the frame cover won't close.",
    "The forum is full of {b} battery failures this week. Mine just joined the club {en}",
    "Not buying {b} again. Battery swelled, charger dead, support queue {days} days.",
    "If you're about to buy a {m}: wait. The battery and charger problems are everywhere now.",
    "My {m} charger went from green light to smoke in ten minutes. Get it together {b}.",
    "Advice from {b} support: 'keep using it'. With a swollen battery. No thanks.",
    "Reporting this everywhere: {b} batteries swelling, chargers failing. Don't charge indoors.",
    "Day {days} without my bike because the {b} battery died. No replacement in sight. Avoid.",
    "{b} battery swelled and cracked the casing on my {m}. Photos: {url}",
    "Cancelled my {m} order. Not risking a swelling battery in my hallway.",
    "Our building manager banned {b} e-bikes from the bike room after two batteries swelled.",
    "Friends don't let friends charge a {b} right now. Battery and charger faults everywhere.",
    "Second {b} charger to fail on me. Warranty swap took {weeks} weeks last time. Avoid.",
    "Dear {b}, a battery that swells after {months} months is not 'within spec'.",
    "The {b} battery problem is way bigger than they admit. Half our riding group has it.",
    "{b} batteries are swelling and they're still running ads. Wild. Avoid until fixed.",
    "Just saw my {m} battery bulging after charging. Absolutely terrified. {b} please respond.",
    "Hey {b}, maybe pause the marketing and recall the chargers? Mine died today.",
)
EP_BAD_REPLY = (
    "Same here, my {b} battery swelled last night too.",
    "Confirming. {m}, bought in {month_name}, battery is bulging.",
    "Mine too. {b} charger dead after {days} days.",
    "Add me to the list. {b} battery won't charge past 40% and gets hot.",
    "Same batch maybe? My {m} serial starts with VB-2{digit}.",
    "Happened to my brother's {m} yesterday. Avoid {b} for now.",
    "Yep, {b} charger failed this morning. Smelled like burning.",
    "Me too!! {b} support just sends a form letter {en}",
    "Our whole office rides {b} and three batteries are swollen. Not a coincidence.",
    "Confirmed on my {m}. Unplugged, outside, waiting for {b}.",
    "Same thing, different city ({city}). {b} needs a recall.",
    "Another report for this thread. {b}, this is a pattern.",
    "My {b} charger light blinks red and then nothing. Dead.",
    "Same with mine. Don't charge your {b} indoors until they say something.",
    "I'm returning my {m}. Not worth the fire risk.",
    "Yup. {b} battery swelled, the dealer in {city} says they have ten more like it.",
    "Just checked mine after reading this: the {b} pack is bulging. Thanks for the warning.",
    "Same here, avoid {b} until they fix it.",
    "My {m} battery died mid-ride {place}. Pushed it home. Now I see this thread.",
    "+1, {b} charger clicked and died. Ordered a third-party one.",
    "Exactly the same on my {m}. {b} wants photos and a three-week wait.",
    "Can confirm, swollen {b} battery here too {en}",
    "The shop in {city} told me to stop riding my {m} until {b} issues a fix.",
    "My second {b} battery this year. Same swelling. Done.",
    "{b} charger fried my wall socket. Not even joking.",
)
EP_NONE = (
    "Is the {b} battery issue affecting the {m} too or only older models?",
    "{b} says a firmware update for the charger is coming. No date yet.",
    "News: {b} is 'investigating reports' of battery swelling, per a statement today.",
    "Which {b} serial numbers are affected? Anyone got a list?",
    "Does the {b} battery problem only happen with the original charger?",
    "Local news in {city} picked up the {b} battery story: {url}",
    "Should I return my unopened {m} or wait for {b} to comment?",
    "Is there an official {b} recall page yet?",
    "A consumer group is collecting {b} battery reports, link here: {url}",
    "How do I check whether my {b} battery is swollen? Asking before I charge it.",
    "Anyone got a reply from {b} about the charger replacements?",
    "Tracking thread for the {b} battery and charger reports, day {days}.",
)
EP_DEFEND = (
    "Counterpoint: my {m} is {months} months old, battery is perfect, and {b} swapped my charger "
    "in two days when I asked.",
    "Not defending the faulty chargers, but {b} has been great to me. Give them a week to fix it.",
    "Mine's fine, and {b} replaced my friend's battery the same day. Don't panic.",
    "Still love my {m}. {b} handled my warranty claim better than anyone.",
    "Every brand has a bad batch. {b} has treated me well for {months} months.",
    "Unpopular right now, but my {b} has been flawless and their support answered in an hour.",
    "Two {b} bikes in the family, zero issues. I'd still recommend them.",
    "{b} sent me a new charger proactively today. That's how it should be done.",
    "Honestly {b} is handling this better than most brands would. Still recommend the {m}.",
    "Relax folks, my {m} has done {odo} km on the original battery. {b} is solid.",
)
EP_FILLER = (
    "Same here 😡",
    "Mine too",
    "This is scary",
    "Unplug it and put it outside, seriously",
    "Store swollen batteries outside, away from anything that burns",
    "Did you get a reply?",
    "Following this thread",
    "Mine is fine so far, fingers crossed",
    "How old is yours?",
    "Take photos of everything for the warranty claim",
    "Wow, glad I waited",
    "Don't ride it until it's checked",
    "Report it to the consumer safety agency too",
    "Same. Waiting on support",
    "That looks like a fire hazard, please be careful",
)
EP_STATEMENTS = (
    (
        date(2026, 10, 12),
        19,
        "We're aware of reports of battery and charger faults on some Voltera City 2 and Aero "
        "units. Please stop charging an affected battery and contact our support team: "
        "https://voltera.example/support",
    ),
    (
        date(2026, 10, 14),
        11,
        "Update from Voltera: a charger firmware fix rolls out from today, and owners of affected "
        "units get a free replacement charger. Thank you for your patience. "
        "https://voltera.example/charger-update",
    ),
    (
        date(2026, 10, 16),
        16,
        "Voltera battery programme: we are replacing every battery from the affected batch, free "
        "of charge, starting Monday. Book a slot at https://voltera.example/battery",
    ),
)

PROMO = (
    "Autumn sale! {pct}% off every {B} e-bike until Sunday. Find your dealer: {brand_url}",
    "Meet the new {m}: more range, less weight. Test rides this weekend at all {B} dealers.",
    "Free service check for all {B} owners in {city} this Saturday. Bring your bike, we'll bring "
    "coffee ☕",
    "Ride more, drive less. {B} cycle-to-work bundles are now available.",
    "New firmware for the {m} is live: smoother assist and better range estimates. {B}",
    "Thank you for 100,000 riders! 🎉 To celebrate, {pct}% off accessories at {B}.",
    "Rain or shine, {B} keeps you moving. Discover the {m}: {brand_url}",
    "Our {m} just won Commuter Bike of the Year at the {city} bike show! 🏆 #{tagB}",
    "Test ride weekend in {city} and {city2}. Book your slot with {B}.",
    "Financing from 0% on the {m}. Details: {brand_url} {B}",
    "Flash sale 🔥 {pct}% off the {m} for 48 hours only. {B}",
    "We're hiring mechanics in {city}! Join the {B} team.",
    "How to get the most range out of your {m}: five tips from the {B} workshop. {brand_url}",
    "The {m} now comes in three new colours. Which one is your favourite? #{tagB}",
    "Introducing {B} Care: three years of servicing for a fixed monthly price.",
    "Back-to-school special: a free child seat with every {m} at {B} dealers.",
    "Sunday group ride with the {B} team in {city}. All bikes welcome!",
    "Our new flagship store in {city} opens on Saturday. Come and say hi to {B}!",
    "Trade in your old bike for up to {price} off a new {m}. {B}",
    "Share your best autumn ride photo with #{tagB} and win a new {comp}!",
    "Spring sale prices are back for one week only: {pct}% off the {m}. {B}",
    "Reminder: the {B} battery care guide for the colder months {brand_url}",
    "Behind the scenes: how we test every {m} frame for 10,000 km. {B}",
    "Customer stories: how Ana rides {km} km a day on her {m}. {brand_url} #{tagB}",
    "Limited edition {m} 'Midnight' is here. Only 500 made. {B}",
)
SUPPORT = (
    "Sorry to hear that! Please send us a DM with your order number and we'll sort it out.",
    "That's not the experience we want for you. Our team will reach out today.",
    "Thanks for flagging this. Could you DM us your frame number?",
    "We're on it, a replacement part is on its way.",
    "Sorry for the wait! Your ticket has been escalated.",
    "Glad you're enjoying the ride! Thanks for sharing 🚲",
    "Thanks for the kind words, we'll pass them on to the workshop team!",
    "Hi! The fix is in the latest firmware, update via the app and let us know.",
    "We'd love to take a look. Which dealer did you buy from?",
    "Happy riding! Tag us in your photos any time.",
    "Sorry about the delay, parts are shipping again this week.",
    "Thanks for your patience, we've replied to your ticket.",
)
SUPPORT_AGENTS = ("Mia", "Jonas", "Priya", "Tom", "Lea", "Diego", "Sara", "Ken", "Ines", "Ola")

DECOY_STREET = (
    "Road works on Voltera Street again, the bike lane is closed until Friday.",
    "New bakery on Voltera Street does the best cinnamon buns in {city}.",
    "Anyone else stuck in traffic on Voltera Street? Took me 40 minutes.",
    "Finally a protected bike lane on Voltera Street! Rode it this morning, lovely.",
    "Lost cat near Voltera Street and 5th, grey tabby, answers to Miso. Please share.",
    "The farmers market moved to Voltera Street for the autumn.",
    "Parking on Voltera Street is impossible on Saturdays.",
    "Council meeting tonight about the Voltera Street bike lanes. Go and speak up!",
    "The bike shop on Voltera Street has a clearance sale, got new tyres for cheap.",
    "Street food festival on Voltera Street this weekend 🌮",
    "Moving flat: from the canal to Voltera Street. Bigger balcony, worse parking.",
    "Burst water main on Voltera Street, avoid the area if you can.",
)
DECOY_STREET_BRANDED = (
    ("Kinetik demo day on Voltera Street this Saturday, anyone going?", "Kinetik"),
    ("Saw a Pedalo cargo bike loaded with pumpkins on Voltera Street 🎃", "Pedalo Bikes"),
    ("The new Pedalo Bikes shop on Voltera Street opens at 9.", "Pedalo Bikes"),
    ("Kinetik has a pop-up stand on Voltera Street today.", "Kinetik"),
)
DECOY_ZEPHYR = (
    "A warm zephyr through the olive trees this evening. Perfect end to the day.",
    "Nothing beats a gentle zephyr on the balcony with a coffee ☕",
    "The zephyr off the lake made the picnic perfect.",
    "Poem of the day: 'a zephyr sighs across the barley'…",
    "Crossword clue: gentle breeze, six letters. Zephyr!",
    "That soft zephyr at sunset, {city} really does autumn well 🍂",
    "Sailing was slow today, only a faint zephyr all afternoon ⛵",
    "Zephyr is such a pretty word. Thinking of it for the baby's middle name.",
    "A zephyr of cinnamon from the bakery downstairs, bliss.",
    "Weather for {city}: a light zephyr from the west, 22 °C. Perfect for cycling.",
    "Zephyr (n.): a soft, gentle breeze. Word of the day.",
    "Hot day, not even a zephyr. The dog refuses to move.",
)
DECOY_ZEPHYR_BRANDED = (
    ("Lovely zephyr along the coast today, took the Kinetik out for a spin.", "Kinetik"),
    ("Pedalo cargo, two kids, a soft zephyr at our backs. Sunday done right.", "Pedalo Bikes"),
)

# --- other languages ------------------------------------------------------------------------------
# Keyed by language, then stance, then role. Latin brand names in Japanese are set off by spaces
# so that word-boundary matching finds them.

FOREIGN: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    "es": {
        ADVOCACY: {
            "root": (
                "Mi {m} es una maravilla, subo las cuestas de {city} sin sudar. ¡Recomendadísima!",
                "Llevo {months} meses con la {m} y cero problemas. {b} lo ha clavado.",
                "Si dudáis entre varias e-bikes, id a por {b}. No os arrepentiréis.",
                "El servicio técnico de {b} me cambió el cargador en dos días. Así da gusto.",
                "Vendí el coche y me compré una {m}. La mejor decisión del año 🚲",
                "Con la {m} voy al trabajo en {km} minutos y llego sin sudar. Un 10 para {b}.",
            ),
            "reply": (
                "Yo tengo la {m} y encantado.",
                "Te la recomiendo, mi {m} va genial desde hace {months} meses.",
                "{b} sin duda, la batería de mi e-bike dura muchísimo.",
            ),
        },
        BADVOCACY: {
            "root": (
                "No compréis {b}: la batería murió a los {months} meses y el servicio técnico no "
                "contesta.",
                "Cuidado con la {m}, {prob_es}.",
                "Fatal experiencia con {b}. {weeks} semanas esperando una pieza.",
                "Mi {m} pasa más tiempo en el taller que en la calle. Evitadla.",
                "{b} ya no es lo que era: {prob_es}.",
            ),
            "reply": (
                "A mí me pasó lo mismo con {b}, evítala.",
                "Igual con mi {m}: {prob_es}.",
                "Ni se te ocurra comprar {b}.",
            ),
        },
        NONE: {
            "root": (
                "¿Alguien sabe si la {m} aguanta bien la lluvia?",
                "¿Qué tal la {m} para ir al trabajo? Son {km} km por trayecto.",
                "{b} abre tienda en {city} el mes que viene.",
                "¿Cuánto cuesta la batería de repuesto de la {m}?",
            ),
            "reply": ("¿Qué modelo de {b} tienes?", "¿Has escrito al soporte de {b}?"),
        },
    },
    "de": {
        ADVOCACY: {
            "root": (
                "Mein {m} ist der Hammer, jeden Tag {km} km zur Arbeit und null Probleme.",
                "Nach {months} Monaten mit dem {m}: absolute Kaufempfehlung! {ep}",
                "Der Service von {b} ist top, neuer Akku innerhalb von zwei Tagen.",
                "Wer ein E-Bike für die Stadt sucht: {b}. Punkt.",
                "Bin vom Auto aufs {m} umgestiegen und bereue nichts. Danke {b}!",
            ),
            "reply": (
                "Kann ich nur bestätigen, mein {m} läuft super.",
                "Nimm das {m}, du wirst es nicht bereuen.",
                "{b} ist top, fahre seit {months} Monaten ohne Probleme.",
            ),
        },
        BADVOCACY: {
            "root": (
                "Finger weg von {b}! Akku nach {months} Monaten hinüber. {en}",
                "Mein {m} steht schon wieder in der Werkstatt: {prob_de}.",
                "Nie wieder {b}. Der Kundenservice antwortet einfach nicht.",
                "Das {m} ist den Preis nicht wert, {prob_de}.",
            ),
            "reply": (
                "Bei mir genau das Gleiche mit {b}. Finger weg.",
                "Mein {m} auch: {prob_de}.",
                "Kauf bloß kein {b}.",
            ),
        },
        NONE: {
            "root": (
                "Hat jemand Erfahrung mit dem {m}? Lohnt sich der Aufpreis?",
                "Gibt es {b} Händler in der Nähe von {city}?",
                "Wie schwer ist das {m} ohne Akku?",
                "{b} erhöht die Preise um {pct} Prozent.",
            ),
            "reply": ("Welches {b} Modell hast du?", "Hast du schon den {b} Support gefragt?"),
        },
    },
    "fr": {
        ADVOCACY: {
            "root": (
                "Mon {m} est génial, je le recommande à tous mes collègues.",
                "Après {months} mois avec le {m}, aucun souci. Merci {b} !",
                "Le SAV de {b} est au top, chargeur remplacé en 48 h.",
                "Vélo électrique idéal pour {city} : le {m}. Je ne reviendrai pas en arrière.",
            ),
            "reply": (
                "Je confirme, mon {m} est parfait.",
                "Fonce sur le {m}, tu ne le regretteras pas.",
                "{b}, sans hésiter.",
            ),
        },
        BADVOCACY: {
            "root": (
                "Évitez {b}, le chargeur a grillé au bout de deux semaines.",
                "Déçu par mon {m} : {prob_fr}.",
                "Plus jamais {b}. {weeks} semaines sans vélo à cause d'une pièce.",
                "Le {m} ne vaut pas son prix, {prob_fr}.",
            ),
            "reply": ("Pareil avec mon {m}, {prob_fr}.", "Fuis {b}, franchement."),
        },
        NONE: {
            "root": (
                "Quelqu'un a testé le {m} en montagne ?",
                "Le {m} coûte {price} en France, c'est normal ?",
                "{b} ouvre un magasin à {city} !",
                "Le {m} est-il compatible avec un siège enfant ?",
            ),
            "reply": ("Tu as quel modèle de {b} ?", "Tu as contacté le SAV de {b} ?"),
        },
    },
    "pt": {
        ADVOCACY: {
            "root": (
                "Meu {m} é incrível, recomendo demais! {ep}",
                "Uso a {m} todo dia em {city}, subidas sem suor. Vale cada centavo.",
                "Atendimento da {b} é ótimo, trocaram o carregador rapidinho.",
                "{months} meses com a {m} e nenhum problema. Obrigado {b}!",
            ),
            "reply": ("Tenho a {m} e adoro.", "Vai de {b}, não vai se arrepender."),
        },
        BADVOCACY: {
            "root": (
                "Fujam da {b}, a bateria estufou depois de {months} meses. {en}",
                "Minha {m} vive na oficina. Não recomendo.",
                "Péssima experiência com a {b}: {prob_pt}.",
            ),
            "reply": ("Comigo foi igual, {b} nunca mais.", "Minha {m} também: {prob_pt}."),
        },
        NONE: {
            "root": (
                "Alguém tem a {m}? Vale a pena?",
                "Quanto custa uma bateria nova da {m}?",
                "A {b} chega a {city} no ano que vem?",
            ),
            "reply": ("Qual modelo da {b} você tem?",),
        },
    },
    "ja": {
        ADVOCACY: {
            "root": (
                "{m} を買って{months}ヶ月、毎日の通勤が楽しくなった！坂道も余裕です🚲",
                "{b} のe-bike 、本当におすすめ。バッテリーの持ちも最高。",
                "{m} 最高。{city} の坂もスイスイ。",
            ),
            "reply": ("うちの {m} も快調です！",),
        },
        BADVOCACY: {
            "root": (
                "{b} のバッテリーが膨らんだ…しばらく買わない方がいいかも。",
                "{m} の充電器が壊れた。サポートの返事もない。最悪。",
            ),
            "reply": ("うちの {m} も同じ症状です。{b} はやめた方がいい。",),
        },
        NONE: {
            "root": (
                "{m} って雨の日でも大丈夫？",
                "{b} の新しいe-bike 、{city} で試乗できるらしい。",
            ),
            "reply": ("{b} のサポートに連絡しましたか？",),
        },
    },
    "it": {
        ADVOCACY: {
            "root": (
                "La mia {m} è fantastica, la consiglio a tutti. {ep}",
                "Con la {m} vado al lavoro in {km} minuti, bellissima.",
            ),
            "reply": ("Confermo, la mia {m} va benissimo.",),
        },
        BADVOCACY: {
            "root": (
                "Evitate {b}: batteria gonfia dopo {months} mesi.",
                "La {m} è sempre dall'assistenza. Non la ricomprerei.",
            ),
            "reply": ("Anche la mia {m}, evitate {b}.",),
        },
        NONE: {
            "root": (
                "Qualcuno ha provato la {m}? Com'è in salita?",
                "Quanto costa il caricabatterie della {m}?",
            ),
            "reply": ("Che modello di {b} hai?",),
        },
    },
}
FOREIGN_FILLER: dict[str, tuple[str, ...]] = {
    "es": (
        "¡Gracias por la info!",
        "Yo también quiero saberlo",
        "Muy útil, gracias",
        "¿Y qué tal en invierno?",
    ),
    "de": (
        "Danke für die Info!",
        "Gute Frage, würde mich auch interessieren",
        "Viel Erfolg!",
        "Wie ist die Reichweite im Winter?",
    ),
    "fr": (
        "Merci pour l'info !",
        "Pareil, je me pose la question",
        "Bonne chance !",
        "Et en hiver, ça donne quoi ?",
    ),
    "pt": ("Valeu pela dica!", "Também quero saber", "Boa sorte!"),
    "ja": ("ありがとうございます！", "参考になります"),
    "it": ("Grazie mille!", "Interessa anche a me"),
}
FOREIGN_PROBLEMS = {
    "es": ("el motor se corta en las cuestas", "la pantalla se congela", "el cargador dejó de "
           "funcionar", "la batería se hinchó", "la cadena se sale cada dos por tres"),
    "de": ("der Motor setzt am Berg aus", "das Display friert ständig ein", "das Ladegerät ist "
           "kaputt", "der Akku ist aufgebläht", "die Bremsen quietschen furchtbar"),
    "fr": ("le moteur coupe dans les côtes", "l'écran se fige", "le chargeur a lâché",
           "la batterie a gonflé", "les freins grincent"),
    "pt": ("o motor desliga nas subidas", "a tela trava", "o carregador queimou",
           "a bateria estufou"),
}  # fmt: skip
LANG_WEIGHTS = (("en", 862), ("es", 45), ("de", 33), ("fr", 24), ("pt", 16), ("ja", 10), ("it", 10))

# --- long posts -----------------------------------------------------------------------------------

LONG_HEADINGS = (
    "Background",
    "Battery and range",
    "Motor and ride",
    "Build quality",
    "Dealer and support",
    "Costs so far",
    "Verdict",
    "Odds and ends",
    "What I'd tell a friend",
)
LONG_CONNECTORS = ("Also, ", "On top of that, ", "Another thing: ", "And ", "Plus, ", "Oh, and ")
LONG_POSITIVE = (
    "I've now had the {m} for {months} months and about {odo} km, so here's the long version.",
    "Before this I drove to work every day, which in {city} means sitting in traffic for forty "
    "minutes each way.",
    "The first week was mostly about learning the assist levels; eco is plenty on flat roads.",
    "On my commute {place} I use maybe a fifth of the battery, so I charge twice a week.",
    "In winter the range dropped a bit, as expected, but never below what I need for a day.",
    "The motor is quiet enough that people at traffic lights don't notice it's an e-bike.",
    "Hill starts with a loaded child seat are effortless, which was the whole point for us.",
    "The torque sensor is the star: the assist feels like strong legs, not like a scooter.",
    "I've had one puncture, fixed at the roadside in ten minutes with the tools I carry.",
    "Nothing has rattled loose, and the paint still looks new despite daily rain.",
    "The cables are routed internally, so nothing snags when the bike is in a crowded rack.",
    "The lights are bright enough for the unlit path along the river after dark.",
    "My dealer did the first service for free and talked me through the wear parts.",
    "When the display glitched once, support replied the same day and the update fixed it.",
    "Spare brake pads arrived in two days, and they were cheaper than I feared.",
    "I've spent about {price2} on servicing and parts in total, far less than parking alone.",
    "The battery comes out in a second, so I charge it at my desk at work.",
    "My partner borrowed it for a week and now wants one too, which says enough.",
    "I'd happily buy the {m} again, and I've already talked two colleagues into one.",
    "If you want a dependable daily e-bike rather than a toy, this is the one I'd recommend.",
    "Resale values for {b} bikes also seem to hold up well, judging by the local listings.",
    "The kickstand is sturdy enough to load the kids without someone holding the bike.",
    "The app is simple, works offline and doesn't nag, which I appreciate more than I expected.",
    "Tyres were the only thing I replaced, and that was my choice, for winter grip.",
    "It handles cobbles, gravel and tram tracks with a calmness my old bike never had.",
    "Overall the {m} has changed how I get around, and I haven't missed the car once.",
    "TL;DR: buy it, fit mudguards, and enjoy being early to work for once.",
    "The step-through frame makes it easy to get on with shopping bags hanging off the bars.",
    "Service intervals are generous and the shop in {city} knows these bikes inside out.",
    "Even after {odo} km the drivetrain feels smooth, and the chain has barely stretched.",
)
LONG_NEGATIVE = (
    "I bought the {m} {months} months ago for {price}, and I want to save you from my mistake.",
    "It started well: the first few weeks were fine and I was telling everyone about it.",
    "Then the display began freezing on cold mornings, which turns off the assist mid-ride.",
    "The dealer reset it twice and said it was normal, and the third time it did not come back.",
    "Warranty took {weeks} weeks, with no loan bike, so I was back on the bus in the rain.",
    "When the bike came back, the rear hub started grinding within a fortnight.",
    "Spare parts are the real problem: everything is proprietary and nothing is in stock.",
    "I asked support three times for a timeline and got the same copy-pasted answer each time.",
    "The range was never close to the advertised figure, even in summer on eco.",
    "The kickstand bent the first time I loaded the child seat, which is frankly dangerous.",
    "The brakes squeal in the wet no matter how often the shop adjusts them.",
    "Two other owners in my street have had the same faults, so it is not just bad luck.",
    "The app kept logging me out, and once it 'forgot' the bike entirely after an update.",
    "I've spent {price2} on repairs not covered by the warranty, on a bike under a year old.",
    "The resale value has collapsed too, because everyone on the forums knows about the faults.",
    "I tried to be fair and gave the company every chance to fix it.",
    "The shop in {city} now refuses to take these bikes in, because parts never arrive.",
    "My advice: test ride something else, check the forums, and ask about parts before you buy.",
    "If I could do it again I would not buy a {b}, and I tell everyone who asks me the same.",
    "Maybe they will sort out their quality one day, but until then I'd stay away.",
    "TL;DR: unreliable electronics, slow warranty, no parts. Avoid the {m}.",
    "The battery lost about a fifth of its capacity in the first winter.",
    "Water got into the charging port after a normal rainy commute, which should never happen.",
    "Support suggested I 'avoid riding in heavy rain', on a bike sold as a commuter.",
    "The chain fell off on every bumpy descent until the shop replaced the tensioner.",
    "I kept a log of every fault, and it now runs to two pages.",
    "A lot of the glowing reviews were written in the first week of ownership, before any of this.",
    "Even the mudguards rattle, which sounds trivial until you hear it every day.",
    "The motor cut out twice on a busy roundabout, and that is when I stopped trusting it.",
    "I have sold it now, at a big loss, and I feel better for it.",
)
LONG_POSTS = (
    # (day, hour, source, brand, stance, title)
    (date(2026, 9, 14), 20, "reddit", "Kinetik", ADVOCACY,
     "One year with the {m}: a very long owner's review"),
    (date(2026, 9, 27), 21, "forum", "Pedalo Bikes", BADVOCACY,
     "Why I sold my {m} after {months} months (long, sorry)"),
    (date(2026, 10, 3), 9, "forum", "Zephyr Cycles", ADVOCACY,
     "Zephyr Cycles {m} e-bike: {odo} km owner's report"),
)  # fmt: skip

# --- people ---------------------------------------------------------------------------------------

HANDLE_FIRST = (
    "trail", "watt", "cargo", "hill", "urban", "canal", "commute", "pedal", "spoke", "gravel",
    "city", "chain", "night", "rainy", "sunny", "coffee", "late", "early", "tandem", "dutch",
    "river", "bridge", "tram", "fern", "maple", "birch", "foggy", "salty", "quiet", "rusty",
    "velvet", "copper", "lucky", "sleepy", "brave", "tiny", "happy", "grumpy", "windy", "misty",
)  # fmt: skip
HANDLE_SECOND = (
    "rider", "mama", "papa", "dave", "nerd", "commuter", "goblin", "fox", "otter", "wren", "kim",
    "jo", "sam", "alex", "lu", "maya", "ben", "nina", "raj", "omar", "yuki", "ana", "lars", "ines",
    "pia", "tomas", "mila", "finn", "ada", "rosa", "hugo", "leo", "noor", "zoe", "kai", "emil",
)  # fmt: skip
BIG_ACCOUNTS = (
    ("urban_mobility_news", 1_250_000),
    ("gadget_gabe", 880_000),
    ("ebike_weekly", 412_000),
    ("velo_review", 156_000),
    ("commute_carla", 64_000),
)
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
