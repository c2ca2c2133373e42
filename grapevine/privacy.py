"""Author pseudonymisation: analysts see a stable key per author, never who the author is.

The key is an HMAC (keyed hash), not a plain hash: author ids are guessable, so a plain SHA-256
could be reversed by hashing candidate ids. Without the key nobody can do that.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from pathlib import Path
from typing import Any

from grapevine.errors import ConfigError, InputError
from grapevine.settings import Settings
from grapevine.text import MAX_JSON_DEPTH, json_depth

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

    def scrub(self, payload: Any, identities: set[str]) -> Any:
        """Replace every string in ``payload`` equal to an identity (id, handle, @handle).

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
        if not wanted:
            return payload
        return _scrub(payload, wanted)


def _scrub(value: Any, wanted: set[str]) -> Any:
    if isinstance(value, str):
        return REDACTED if value in wanted else value
    if isinstance(value, dict):
        return {k: _scrub(v, wanted) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, wanted) for v in value]
    return value


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
