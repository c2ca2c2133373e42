"""Author pseudonymisation: analysts see a stable key per author, never who the author is.

The key is an HMAC (keyed hash), not a plain hash: author ids are guessable, so a plain SHA-256
could be reversed by hashing candidate ids. Without the key nobody can do that.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import secrets
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, urlsplit

from grapevine.core.errors import ConfigError, InputError
from grapevine.core.settings import Settings
from grapevine.core.text import MAX_JSON_DEPTH, json_depth

log = logging.getLogger(__name__)

REDACTED = "[redacted]"


class Pseudonymiser:
    """Turns source author ids into keys, and scrubs identities out of raw payloads."""

    def __init__(self, key: bytes, *, keep_handles: bool = False) -> None:
        if len(key) < 16:
            raise ValueError("author hash key must be at least 16 bytes")
        self._key = key
        self.keep_handles = keep_handles

    def __repr__(self) -> str:  # never show the key
        return f"Pseudonymiser(keep_handles={self.keep_handles})"

    def author_key(self, source: str, author_id: str | None) -> str | None:
        """Stable 32-hex-digit key for ``author_id`` on ``source`` (``None`` stays ``None``)."""
        if author_id is None or author_id == "":
            return None
        msg = f"{source}\x1f{author_id}".encode("utf-8", "surrogatepass")
        return hmac.new(self._key, msg, hashlib.sha256).hexdigest()[:32]

    def handle(self, handle: str | None) -> str | None:
        """The handle as it may be stored: itself if settings allow, else nothing."""
        return handle if self.keep_handles else None

    def url(self, source: str, url: str | None, identities: Iterable[str] = ()) -> str | None:
        """The post URL as it may be stored: as given if handles may be, else handle-free."""
        if self.keep_handles:
            return url
        return handle_free_url(source, url, identities)

    def scrub(self, payload: Any, identities: set[str], source: str | None = None) -> Any:
        """Replace every string in ``payload`` equal to an identity (id, handle, @handle), and
        make every URL in it handle-free (:func:`handle_free_url`; ``[redacted]`` where none).

        Raw payloads are kept for reprocessing, so they must not smuggle in what the
        ``author_key`` hides. When handles may be stored, the payload is kept as is.
        Raises :class:`InputError` for a payload nested deeper than ``MAX_JSON_DEPTH`` (no
        post needs that, and walking it would exhaust the stack).
        """
        if json_depth(payload) > MAX_JSON_DEPTH:
            raise InputError(f"payload is nested more than {MAX_JSON_DEPTH} levels deep")
        if self.keep_handles:
            return payload
        wanted = {i for i in identities if i}
        wanted |= {"@" + i for i in wanted if not i.startswith("@")}
        return _scrub(payload, wanted, source)


def _scrub(value: Any, wanted: set[str], source: str | None = None) -> Any:
    if isinstance(value, str):
        if value in wanted:
            return REDACTED
        if _looks_like_url(value):
            rewritten = handle_free_url(source, value, wanted)
            return REDACTED if rewritten is None else rewritten
        return value
    if isinstance(value, dict):
        return {k: _scrub(v, wanted, source) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, wanted, source) for v in value]
    return value


# --- URLs --------------------------------------------------------------------------------------

_URL = re.compile(r"^(?:https?|at)://\S+$", re.IGNORECASE)
_SEGMENTS = re.compile(r"[/?&=#@:;,+]+")
_PLATFORM_HOSTS = {
    "x": ("x.com", "twitter.com"),
    "bluesky": ("bsky.app",),
    "reddit": ("reddit.com",),
    "hackernews": ("news.ycombinator.com",),
}
_PLATFORM_ALIASES = {"twitter": "x", "bsky": "bluesky"}


def _looks_like_url(value: str) -> bool:
    return len(value) < 2_048 and _URL.match(value) is not None


def _platform(source: str | None, host: str) -> str | None:
    """Which platform's URL scheme applies: by the post's source, else by well-known hosts."""
    name = (source or "").strip().lower()
    name = _PLATFORM_ALIASES.get(name, name)
    if name in _PLATFORM_HOSTS or name == "mastodon":
        return name
    for platform, hosts in _PLATFORM_HOSTS.items():
        if any(host == h or host.endswith("." + h) for h in hosts):
            return platform
    return None


def handle_free_url(
    source: str | None, url: str | None, identities: Iterable[str] = ()
) -> str | None:
    """``url`` with no author handle or account id in it, or ``None`` where none exists.

    Post URLs name their author on most platforms (``x.com/<handle>/status/<id>``,
    ``bsky.app/profile/<did>/post/<rkey>``, ``mastodon.social/@<user>/<id>``), which undoes the
    pseudonymous ``author_key``. Where the platform has a permalink without the author it is
    used (X's ``/i/web/status/<id>``, Reddit's ``/comments/<id>/``); otherwise the URL is
    dropped. A URL of any other site is dropped when it contains one of ``identities``.
    """
    if url is None:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() == "at":  # at://<did>/...: the DID is the account
        return None
    rule = _RULES.get(_platform(source, (parts.hostname or "").lower()) or "")
    kept = rule(parts, [p for p in parts.path.split("/") if p]) if rule else url
    if kept is None or _names_anyone(urlsplit(kept), identities):
        return None
    return kept


def _x_url(parts: SplitResult, segments: list[str]) -> str | None:
    if len(segments) >= 3 and segments[1] == "status" and segments[2].isdigit():
        return f"{parts.scheme}://{parts.netloc}/i/web/status/{segments[2]}"
    return parts.geturl() if segments[:3] == ["i", "web", "status"] else None


def _bluesky_url(parts: SplitResult, segments: list[str]) -> str | None:
    """bsky.app has no permalink without the author's handle or DID."""
    return None if "profile" in segments or "did:" in parts.geturl() else parts.geturl()


def _mastodon_url(parts: SplitResult, segments: list[str]) -> str | None:
    """``/@user/<id>`` and ``/users/<user>/statuses/<id>`` both name the account."""
    named = any(p.startswith("@") for p in segments) or "users" in segments
    return None if named else parts.geturl()


def _reddit_url(parts: SplitResult, segments: list[str]) -> str | None:
    """``/r/<sub>/comments/<id>/...`` is fine; a user's profile (``/user/<name>/...``,
    ``/r/u_<name>/...``) is not: its posts keep their ``/comments/<id>/`` permalink."""
    low = [p.lower() for p in segments]
    by_user = low[:1] in (["user"], ["u"]) or (
        low[:1] == ["r"] and low[1:2] != [] and low[1].startswith("u_")
    )
    if not by_user:
        return parts.geturl()
    if "comments" not in low or low.index("comments") + 1 >= len(low):
        return None
    rest = segments[low.index("comments") + 1 :]
    comment = f"_/{rest[2]}/" if len(rest) > 2 and rest[1] == "comment" else ""
    return f"{parts.scheme}://{parts.netloc}/comments/{rest[0]}/{comment}"


def _hackernews_url(parts: SplitResult, segments: list[str]) -> str | None:
    return None if segments[:1] in (["user"], ["submitted"]) else parts.geturl()


_RULES: dict[str, Callable[[SplitResult, list[str]], str | None]] = {
    "x": _x_url,
    "bluesky": _bluesky_url,
    "mastodon": _mastodon_url,
    "reddit": _reddit_url,
    "hackernews": _hackernews_url,
}


def _names_anyone(parts: SplitResult, identities: Iterable[str]) -> bool:
    wanted = {i.lower().lstrip("@") for i in identities if i and len(i.lstrip("@")) >= 2}
    if not wanted:
        return False
    pieces = _SEGMENTS.split(f"{parts.path}?{parts.query}#{parts.fragment}".lower())
    return any(p in wanted for p in pieces if p) or any(
        w in parts.path.lower()
        for w in wanted
        if ":" in w  # DIDs, account URLs
    )


def existing_key(settings: Settings) -> bytes | None:
    """The configured key, or the one kept in the data folder; ``None`` where neither exists
    (for work that must reproduce earlier pseudonyms, never start new ones)."""
    if settings.author_hash_key is None and not settings.author_key_file.exists():
        return None
    return load_or_create_key(settings)


def load_or_create_key(settings: Settings) -> bytes:
    """The configured key, or one generated once and kept (mode 0600) in the data folder.

    Generating it keeps the demo and first runs credential-free while pseudonyms stay stable
    across runs; production deployments set GRAPEVINE_AUTHOR_HASH_KEY so that every worker
    shares it.
    """
    if settings.author_hash_key is not None:
        key = settings.author_hash_key.get_secret_value().encode()
        if len(key) < 16:
            raise ConfigError(
                "GRAPEVINE_AUTHOR_HASH_KEY is shorter than 16 characters",
                hint="use a long random value, e.g. "
                "`python -c 'import secrets; print(secrets.token_hex(32))'`",
            )
        return key
    path: Path = settings.author_key_file
    if path.exists():
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32).encode()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)
    log.info("generated an author hash key in %s", path)
    return key


def pseudonymiser_from_settings(settings: Settings) -> Pseudonymiser:
    return Pseudonymiser(load_or_create_key(settings), keep_handles=settings.store_author_handles)
