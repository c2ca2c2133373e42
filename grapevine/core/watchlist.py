"""The watchlist: which brands we listen for, read from ``brands.yaml``, and how posts match them.

Matching rules: when a brand has a ``query``, the query alone decides
whether a post mentions it; its aliases then only *locate* the mention (the advocacy model's
target, the report's highlight). Without a query, any alias (or the brand's name) matches.
A post written by one of a brand's ``owned_handles`` is marked ``brand_owned``: it is the
brand talking, not a customer, and metrics leave it out.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from grapevine.core.domain import Brand, BrandMention
from grapevine.core.errors import QuerySyntaxError, WatchlistError
from grapevine.core.query import Query, any_of, fold, fold_with_offsets, searchable

log = logging.getLogger(__name__)


class _BrandConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    aliases: list[str] = Field(default_factory=list)
    query: str | None = None
    owned_handles: list[str] = Field(default_factory=list)
    competitors: list[str] = Field(default_factory=list)

    @field_validator("name")
    @classmethod
    def _strip(cls, v: str) -> str:
        v = v.strip()
        if not v:
            raise ValueError("brand name is empty")
        return v


class _WatchlistConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    brands: list[_BrandConfig] = Field(min_length=1)


def normalise_handle(handle: str) -> str:
    """``@AcmeAir`` -> ``acmeair``: handles compare without the '@' and case-insensitively."""
    return fold(handle.strip().lstrip("@"))


def check_term(brand: Brand, term: str) -> None:
    """Reject a name or alias made of punctuation alone: it would match every post that has it
    ("!!!", "@", "..."), or (zero-width characters) fold to nothing and match everything."""
    if not searchable(term):
        what = "name" if term == brand.name else "alias"
        raise WatchlistError(
            f"brand {brand.name!r}: {what} {term!r} has no letters, digits or symbols",
            hint="punctuation alone would match every post that has it:"
            " remove the alias or spell the brand out",
        )


def check_slugs(brands: Iterable[Brand]) -> None:
    """Reject two brands whose names differ only in punctuation, spacing or case.

    A brand's slug (``Brand.slug``) keys its warehouse row and its collectors' cursors, so two
    brands with one slug would be one brand in the warehouse: the second insert fails with a
    unique violation in the middle of a ``collect``. Saying so at load names the culprits.
    """
    first: dict[str, str] = {}
    for brand in brands:
        other = first.setdefault(brand.slug, brand.name)
        if other == brand.name:
            continue
        same = f"the identifier {brand.slug!r}" if brand.slug else "no letters or digits"
        raise WatchlistError(
            f"brands {other!r} and {brand.name!r} differ only in punctuation, spaces or case "
            f"(both have {same}), so the warehouse cannot tell them apart",
            hint="rename one of them (or merge the two entries)",
        )


@lru_cache(maxsize=1)
def common_english_words() -> frozenset[str]:
    """About 7,000 everyday English words, lower case
    (``grapevine/core/data/common_english_words.txt``: wordfreq's words used once per 100,000
    or more, less brand-only words; its header and ``tools/common_words.py`` say how it is made)."""
    resource = files("grapevine.core").joinpath("data", "common_english_words.txt")
    lines = resource.read_text(encoding="utf-8").splitlines()
    return frozenset(w for w in (line.strip() for line in lines) if w and not w.startswith("#"))


def common_word_terms(brand: Brand, words: Collection[str] | None = None) -> list[str]:
    """The brand's name and aliases that are, alone, one common English word ("United",
    "Delta"), when the brand has no ``query``; empty otherwise.

    Why: without a query any alias matches, so such a brand counts every post that uses the
    word ("united we stand", "the Mississippi delta") and a live search floods with them. A
    query decides matching on its own, so it silences this. Phrases ("acme air"), handles and
    hashtags are specific enough and are not checked.
    """
    if brand.query:
        return []
    common = common_english_words() if words is None else words
    found: list[str] = []
    for term in (brand.name, *brand.aliases):
        word = fold(term).strip()
        if word.isalpha() and word in common and word not in (fold(t) for t in found):
            found.append(term)
    return found


def warn_common_words(brands: Iterable[Brand], origin: str = "brands.yaml") -> list[str]:
    """Log a warning for each brand matched by a bare common word (see
    :func:`common_word_terms`) and return the warnings."""
    warnings = []
    for brand in brands:
        terms = common_word_terms(brand)
        if not terms:
            continue
        shown = ", ".join(repr(t) for t in terms)
        word = fold(terms[0])
        warnings.append(
            f"{origin}: brand {brand.name!r} is matched by {shown}, a common English word, and "
            "has no query: every post that uses the word will count as a mention. Add a query "
            f'that asks for more than the word, e.g. query: \'"{word} airlines" OR '
            f"({word} AND (flight OR airline))' for an airline (see the README's watchlist)"
        )
    for warning in warnings:
        log.warning("%s", warning)
    return warnings


@dataclass(frozen=True, slots=True)
class _CompiledBrand:
    brand: Brand
    query: Query | None
    find_alias: Callable[[str], re.Match[str] | None]
    owned: frozenset[str]


class Watchlist:
    """Brands with compiled matchers; build with :meth:`from_yaml` or :meth:`from_brands`."""

    def __init__(self, brands: Iterable[Brand]) -> None:
        compiled: list[_CompiledBrand] = []
        seen: set[str] = set()
        for brand in brands:
            key = brand.name.casefold()
            if key in seen:
                raise WatchlistError(
                    f"brand {brand.name!r} is listed twice", hint="merge the two entries"
                )
            seen.add(key)
            query = Query.parse(brand.query) if brand.query else None
            terms = [brand.name, *brand.aliases]
            for alias in brand.aliases:
                check_term(brand, alias)
            if not fold(brand.name).split():  # would not even compile; "!!!" waits for slugs
                check_term(brand, brand.name)
            compiled.append(
                _CompiledBrand(
                    brand=brand,
                    query=query,
                    find_alias=any_of(terms),
                    owned=frozenset(normalise_handle(h) for h in brand.owned_handles),
                )
            )
        check_slugs(b.brand for b in compiled)  # first: it names both brands that collide
        for b in compiled:
            check_term(b.brand, b.brand.name)
        names = {b.brand.name for b in compiled}
        for b in compiled:
            unknown = [c for c in b.brand.competitors if c not in names]
            if unknown:
                raise WatchlistError(
                    f"brand {b.brand.name!r} lists unknown competitors {unknown}",
                    hint="competitors must be names of other brands in the same file",
                )
        self._brands = compiled
        self._owned_any = (
            frozenset().union(*(b.owned for b in compiled)) if compiled else frozenset()
        )

    # --- construction ----------------------------------------------------------------------

    @classmethod
    def from_brands(cls, brands: Iterable[Brand]) -> Watchlist:
        return cls(brands)

    @classmethod
    def from_yaml_text(cls, text: str, *, origin: str = "brands.yaml") -> Watchlist:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise WatchlistError(f"{origin} is not valid YAML: {exc}") from exc
        try:
            config = _WatchlistConfig.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
            )
            raise WatchlistError(
                f"{origin} is invalid: {problems}",
                hint="see the brands.yaml format in the README",
            ) from exc
        brands = [
            Brand(
                name=b.name,
                aliases=tuple(a.strip() for a in b.aliases if a.strip()),
                query=b.query.strip() if b.query and b.query.strip() else None,
                owned_handles=tuple(b.owned_handles),
                competitors=tuple(b.competitors),
            )
            for b in config.brands
        ]
        try:
            watchlist = cls(brands)
        except QuerySyntaxError as exc:
            raise WatchlistError(f"{origin}: bad query: {exc.message}", hint=exc.hint) from exc
        warn_common_words(watchlist.brands, origin)
        return watchlist

    @classmethod
    def from_yaml(cls, path: Path) -> Watchlist:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise WatchlistError(
                f"watchlist file {path} does not exist",
                hint="create it (see README) or set GRAPEVINE_BRANDS_FILE",
            ) from exc
        except IsADirectoryError as exc:
            raise WatchlistError(
                f"watchlist {path} is a folder, not a file",
                hint="point GRAPEVINE_BRANDS_FILE at the brands.yaml file itself",
            ) from exc
        except UnicodeDecodeError as exc:
            raise WatchlistError(
                f"watchlist file {path} is not UTF-8 text (byte {exc.start}: {exc.reason})",
                hint="save it as UTF-8 (most editors offer this under 'Save as' / 'Encoding')",
            ) from exc
        except OSError as exc:
            raise WatchlistError(
                f"cannot read the watchlist file {path}: {exc.strerror or exc}",
                hint="check that the file exists and that you may read it",
            ) from exc
        return cls.from_yaml_text(text, origin=str(path))

    # --- queries ---------------------------------------------------------------------------

    @property
    def brands(self) -> list[Brand]:
        return [b.brand for b in self._brands]

    def is_owned_handle(self, handle: str | None) -> bool:
        """True when ``handle`` is one of any watched brand's own accounts (post is not C2C)."""
        return bool(handle) and normalise_handle(handle or "") in self._owned_any

    def match(self, text: str, author_handle: str | None = None) -> list[BrandMention]:
        """Brands that ``text`` mentions, with where (in the original text) each mention is."""
        folded = fold(text)
        offsets: list[int] | None = None  # computed only when a mention must be located
        author = normalise_handle(author_handle) if author_handle else None
        mentions: list[BrandMention] = []
        for b in self._brands:
            found = b.find_alias(folded)
            if b.query is not None:
                if not b.query.matches_folded(folded):
                    continue
            elif found is None:
                continue
            start = end = None
            alias = None
            if found is not None:
                if offsets is None:
                    offsets = fold_with_offsets(text)[1]
                start = offsets[found.start()]
                end = offsets[found.end() - 1] + 1
                alias = text[start:end]
            mentions.append(
                BrandMention(
                    brand=b.brand.name,
                    start=start,
                    end=end,
                    alias=alias,
                    brand_owned=author is not None and author in b.owned,
                )
            )
        return mentions
