"""The watchlist's boolean query language: parse once, evaluate against many posts.

Grammar (operators are upper-case, as in Lucene and most listening tools, so that the words
"and"/"or"/"not" inside a phrase or as a bare term stay searchable)::

    query   := or
    or      := and ("OR" and)*
    and     := unary (["AND"] unary)*          # adjacent terms are ANDed
    unary   := "NOT" unary | "-" unary | atom
    atom    := "(" query ")" | '"phrase"' | term
    term    := word, #hashtag, @handle, or prefix* (e.g. volt*)

Matching is case-insensitive, accent-insensitive and width-insensitive (both sides are folded
the same way, see :func:`fold`), on word boundaries: ``apple`` never matches inside
``pineapple``. A bare ``acme`` also matches ``#acme`` and ``@acme``; ``#acme`` matches only the
hashtag. Scripts written without spaces (CJK, Thai, ...) match as substrings, since they have no
word boundaries to respect.

Pure code: no I/O, imports nothing of ours but ``grapevine.core.errors``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from grapevine.core.errors import QuerySyntaxError

# Characters that turn into nothing when folding: combining marks (accents once decomposed) and
# format characters (zero-width spaces, soft hyphens, joiners) that people use to dodge filters.
_DROP_CATEGORIES = frozenset({"Mn", "Me", "Cf"})
_UNSPACED_SCRIPTS = ("CJK", "HIRAGANA", "KATAKANA", "THAI", "LAO", "KHMER", "MYANMAR", "HANGUL")


def _fold_char(ch: str) -> str:
    decomposed = unicodedata.normalize("NFKD", ch)
    kept = "".join(c for c in decomposed if unicodedata.category(c) not in _DROP_CATEGORIES)
    return kept.casefold()


class _FoldTable(dict[int, str]):
    """``str.translate`` table that folds each code point once, then serves it from the dict.

    ``str.translate`` looks cached code points up in C, so folding a post costs little more than
    copying it, whatever its script.
    """

    def __missing__(self, code: int) -> str:
        folded = _fold_char(chr(code))
        self[code] = folded
        return folded


_FOLD = _FoldTable()


def fold(text: str) -> str:
    """Fold text for matching: NFKD, accents and format characters dropped, case-folded."""
    if text.isascii():
        return text.lower()
    return text.translate(_FOLD)


def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """Fold ``text`` and return, for every folded character, its index in the original.

    Needed to report where an alias occurs in the *original* text although matching runs on
    the folded text (folding can change lengths: "ß" becomes "ss", "é" loses its accent).
    """
    if text.isascii():
        return text.lower(), list(range(len(text)))
    index: list[int] = []
    for i, ch in enumerate(text):
        index.extend([i] * len(_FOLD[ord(ch)]))
    return text.translate(_FOLD), index


def _is_unspaced(ch: str) -> bool:
    try:
        name = unicodedata.name(ch)
    except ValueError:
        return False
    return name.startswith(_UNSPACED_SCRIPTS)


def term_pattern(term: str) -> str:
    """Regex (over folded text) for one term or phrase, with word boundaries where they exist."""
    prefix = term.endswith("*") and len(term) > 1
    body = term[:-1] if prefix else term
    words = fold(body).split()
    if not words:
        raise ValueError("empty term")
    core = r"\s+".join(re.escape(w) for w in words)
    left = "" if _is_unspaced(words[0][0]) else r"(?<![\w])"
    if prefix:
        right = r"\w*"
    elif _is_unspaced(words[-1][-1]):
        right = ""
    else:
        right = r"(?![\w])"
    return left + core + right


# --- AST -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Term:
    pattern: re.Pattern[str]
    text: str

    def evaluate(self, folded: str) -> bool:
        return self.pattern.search(folded) is not None


@dataclass(frozen=True, slots=True)
class Not:
    operand: Node

    def evaluate(self, folded: str) -> bool:
        return not self.operand.evaluate(folded)


@dataclass(frozen=True, slots=True)
class And:
    operands: tuple[Node, ...]

    def evaluate(self, folded: str) -> bool:
        return all(op.evaluate(folded) for op in self.operands)


@dataclass(frozen=True, slots=True)
class Or:
    operands: tuple[Node, ...]

    def evaluate(self, folded: str) -> bool:
        return any(op.evaluate(folded) for op in self.operands)


Node = Term | Not | And | Or


# --- lexer -----------------------------------------------------------------------------------

_OPERATORS = {"AND", "OR", "NOT"}


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "(", ")", "AND", "OR", "NOT", "-", "TERM", "PHRASE", "END"
    value: str
    pos: int


def _is_content(ch: str) -> bool:
    """Letters, digits and symbols (emoji are symbols) can be searched; punctuation alone not."""
    return unicodedata.category(ch)[0] in "LNS" and ch not in "#@*"


def searchable(term: str) -> bool:
    """Whether ``term`` can be searched: it has a letter, digit or symbol that survives folding.

    Punctuation alone ("!!!", "@", "...") would match every post that has it; a term that
    folds to nothing (zero-width characters) would match everything.
    """
    return any(_is_content(c) for c in term) and bool(fold(term.rstrip("*")).split())


def _tokenise(query: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        if ch.isspace():
            i += 1
        elif ch in "()":
            tokens.append(_Token(ch, ch, i))
            i += 1
        elif ch in '"“”':
            end = i + 1
            while end < n and query[end] not in '"“”':
                end += 1
            if end >= n:
                raise QuerySyntaxError("unclosed quote", query=query, position=i)
            phrase = query[i + 1 : end]
            if not fold(phrase).split():
                raise QuerySyntaxError("empty phrase", query=query, position=i)
            tokens.append(_Token("PHRASE", phrase, i))
            i = end + 1
        elif (
            ch == "-"
            and (i + 1 < n and not query[i + 1].isspace())
            and (
                not tokens
                or tokens[-1].kind in {"(", "AND", "OR", "NOT", "-"}
                or query[i - 1].isspace()
            )
        ):
            tokens.append(_Token("-", ch, i))
            i += 1
        else:
            end = i
            while end < n and not query[end].isspace() and query[end] not in '()"“”':
                end += 1
            word = query[i:end]
            kind = word if word in _OPERATORS else "TERM"
            if kind == "TERM" and not searchable(word):
                raise QuerySyntaxError(
                    f"term {word!r} has no letters, digits or symbols", query=query, position=i
                )
            tokens.append(_Token(kind, word, i))
            i = end
    tokens.append(_Token("END", "", n))
    return tokens


# --- parser (recursive descent) ---------------------------------------------------------------


MAX_NESTING = 50
"""Parentheses and NOTs nest at most this deep: the parser and the matcher recurse once per
level, and a query nested hundreds deep would exhaust Python's stack instead of failing."""


class _Parser:
    def __init__(self, query: str) -> None:
        self.query = query
        self.tokens = _tokenise(query)
        self.i = 0
        self.depth = 0

    def nest(self, tok: _Token) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise self.fail(f"parentheses and NOTs nest more than {MAX_NESTING} levels deep", tok)

    def peek(self) -> _Token:
        return self.tokens[self.i]

    def take(self) -> _Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def fail(self, message: str, tok: _Token) -> QuerySyntaxError:
        return QuerySyntaxError(message, query=self.query, position=tok.pos)

    def parse(self) -> Node:
        if self.peek().kind == "END":
            raise self.fail("empty query", self.peek())
        node = self.parse_or()
        tok = self.peek()
        if tok.kind != "END":
            raise self.fail(f"unexpected {tok.value!r}", tok)
        return node

    def parse_or(self) -> Node:
        operands = [self.parse_and()]
        while self.peek().kind == "OR":
            self.take()
            operands.append(self.parse_and())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def parse_and(self) -> Node:
        operands = [self.parse_unary()]
        while True:
            kind = self.peek().kind
            if kind == "AND":
                self.take()
                operands.append(self.parse_unary())
            elif kind in {"TERM", "PHRASE", "(", "NOT", "-"}:
                operands.append(self.parse_unary())
            else:
                break
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def parse_unary(self) -> Node:
        if self.peek().kind in {"NOT", "-"}:
            self.nest(self.take())
            node = Not(self.parse_unary())
            self.depth -= 1
            return node
        return self.parse_atom()

    def parse_atom(self) -> Node:
        tok = self.take()
        if tok.kind == "(":
            if self.peek().kind == ")":
                raise self.fail("empty parentheses", tok)
            self.nest(tok)
            node = self.parse_or()
            close = self.take()
            if close.kind != ")":
                raise self.fail("missing ')'", close if close.kind != "END" else tok)
            self.depth -= 1
            return node
        if tok.kind in {"TERM", "PHRASE"}:
            return _term(tok.value)
        if tok.kind == "END":
            raise self.fail("query ends where a term was expected", tok)
        raise self.fail(f"expected a term, found {tok.value!r}", tok)


@lru_cache(maxsize=2048)
def _term(text: str) -> Term:
    return Term(re.compile(term_pattern(text)), text)


@dataclass(frozen=True, slots=True)
class Query:
    """A compiled boolean query. ``Query.parse(q).matches(text)``."""

    source: str
    root: Node

    @classmethod
    def parse(cls, query: str) -> Query:
        return cls(query, _Parser(query).parse())

    def matches(self, text: str) -> bool:
        return self.root.evaluate(fold(text))

    def matches_folded(self, folded: str) -> bool:
        """Evaluate against text already passed through :func:`fold` (saves work per brand)."""
        return self.root.evaluate(folded)


def any_of(terms: list[str]) -> Callable[[str], re.Match[str] | None]:
    """One regex that finds the earliest of several terms in folded text."""
    patterns = sorted({term_pattern(t) for t in terms}, key=len, reverse=True)
    return re.compile("|".join(f"(?:{p})" for p in patterns)).search
