"""Pseudonymisation and text cleaning: what must never reach the warehouse."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grapevine.core.errors import ConfigError
from grapevine.core.privacy import REDACTED, Pseudonymiser, load_or_create_key
from grapevine.core.settings import Settings
from grapevine.core.text import clean_json, clean_text

KEY = b"0123456789abcdef0123"


def test_author_key_is_stable_keyed_and_per_source() -> None:
    p = Pseudonymiser(KEY)
    assert p.author_key("x", "42") == p.author_key("x", "42")
    assert p.author_key("x", "42") != p.author_key("reddit", "42")
    assert p.author_key("x", "42") != Pseudonymiser(b"another-key-of-16+").author_key("x", "42")
    assert p.author_key("x", None) is None
    assert len(p.author_key("x", "42") or "") == 32
    assert "42" not in (p.author_key("x", "42") or "")


def test_short_keys_are_refused() -> None:
    with pytest.raises(ValueError):
        Pseudonymiser(b"short")


def test_scrub_removes_identities_unless_handles_are_kept() -> None:
    payload = {"author": "bob", "nested": [{"user": "@bob"}, "bob's bike"], "id": "1"}
    scrubbed = Pseudonymiser(KEY).scrub(payload, {"bob"})
    assert scrubbed == {"author": REDACTED, "nested": [{"user": REDACTED}, "bob's bike"], "id": "1"}
    assert Pseudonymiser(KEY, keep_handles=True).scrub(payload, {"bob"}) == payload
    assert "bob" not in repr(Pseudonymiser(KEY))


def test_generated_key_is_persisted_privately(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, author_hash_key=None)
    first = load_or_create_key(settings)
    assert load_or_create_key(settings) == first
    assert (settings.author_key_file.stat().st_mode & 0o777) == 0o600


def test_configured_key_must_be_long(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_or_create_key(Settings(data_dir=tmp_path, author_hash_key="short"))  # type: ignore[arg-type]
    assert "GRAPEVINE_AUTHOR_HASH_KEY" in str(info.value)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("a\x00b", "ab"),
        ("lone \ud800 surrogate", "lone \ufffd surrogate"),
        ("emoji 👍🏽 and ZWJ 👩‍👩‍👧 stay", "emoji 👍🏽 and ZWJ 👩‍👩‍👧 stay"),
        ("plain", "plain"),
    ],
)
def test_clean_text(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean
    clean_text(raw).encode("utf-8")  # always encodable


def test_clean_json_is_jsonb_safe() -> None:
    value = json.loads('{"a\\u0000": ["x\\u0000y", "\\ud83d"], "n": NaN, "ok": 1}')
    cleaned = clean_json(value)
    assert cleaned == {"a": ["xy", "\ufffd"], "n": None, "ok": 1}
    json.dumps(cleaned, allow_nan=False).encode("utf-8")


def test_secrets_are_not_in_settings_repr() -> None:
    s = Settings(database_url="postgresql://u:hunter2@h/db", x_bearer_token="tok-123")  # type: ignore[arg-type]
    assert "hunter2" not in repr(s) and "tok-123" not in repr(s)


def test_list_settings_accept_comma_separated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRAPEVINE_REDDIT_SUBREDDITS", "ebikes, bikecommuting")
    assert Settings().reddit_subreddits == ["ebikes", "bikecommuting"]
