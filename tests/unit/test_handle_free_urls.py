"""Post URLs must not undo pseudonymisation by naming the author (#12)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from collectors.file import parse_record
from grapevine.core.privacy import REDACTED, Pseudonymiser, handle_free_url

KEY = b"0123456789abcdef0123"
NOW = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("source", "url", "expected"),
    [
        ("x", "https://x.com/bob/status/123", "https://x.com/i/web/status/123"),
        ("x", "https://x.example/bob/status/123?s=20", "https://x.example/i/web/status/123"),
        ("file", "https://twitter.com/bob/status/9", "https://twitter.com/i/web/status/9"),
        ("x", "https://x.com/i/web/status/123", "https://x.com/i/web/status/123"),
        ("x", "https://x.com/bob", None),
        ("bluesky", "https://bsky.app/profile/bob.bsky.social/post/3k", None),
        ("file", "https://bsky.app/profile/did:plc:abc/post/3k", None),
        ("bluesky", "at://did:plc:abc/app.bsky.feed.post/3k", None),
        ("mastodon", "https://mastodon.social/@bob/1109", None),
        ("mastodon", "https://mastodon.social/users/bob/statuses/1109", None),
        ("mastodon", "https://mastodon.social/tags/acme", "https://mastodon.social/tags/acme"),
        (
            "reddit",
            "https://www.reddit.com/r/ebikes/comments/abc/title/",
            "https://www.reddit.com/r/ebikes/comments/abc/title/",
        ),
        ("reddit", "https://www.reddit.com/user/bob/", None),
        ("reddit", "https://www.reddit.com/u/bob", None),
        (
            "reddit",
            "https://www.reddit.com/user/bob/comments/abc/title/",
            "https://www.reddit.com/comments/abc/",
        ),
        (
            "reddit",
            "https://www.reddit.com/r/u_bob/comments/abc/comment/def/",
            "https://www.reddit.com/comments/abc/_/def/",
        ),
        (
            "hackernews",
            "https://news.ycombinator.com/item?id=1",
            "https://news.ycombinator.com/item?id=1",
        ),
        ("hackernews", "https://news.ycombinator.com/user?id=bob", None),
        ("forum", "https://forum.example/t/7/1", "https://forum.example/t/7/1"),
        ("forum", "https://forum.example/u/bob/posts/7", None),
        ("forum", "https://forum.example/post?author=Bob&id=7", None),
        ("forum", "https://forum.example/~bobby/7", "https://forum.example/~bobby/7"),
        ("forum", None, None),
    ],
)
def test_urls_lose_the_author(source: str, url: str | None, expected: str | None) -> None:
    assert handle_free_url(source, url, {"bob", "@bob"}) == expected


def record(**extra: object) -> dict[str, object]:
    return {"id": "1", "text": "Acme", "created_at": "2026-10-01", **extra}


def test_file_import_rewrites_the_url_and_the_raw_payload() -> None:
    post = parse_record(
        record(source="x", author="quiet_pia", url="https://x.example/quiet_pia/status/77"),
        Pseudonymiser(KEY),
        now=NOW,
    )
    assert post.url == "https://x.example/i/web/status/77"
    assert post.raw["url"] == "https://x.example/i/web/status/77"
    assert "quiet_pia" not in repr(post.raw)


def test_a_url_without_a_handle_free_form_is_dropped_everywhere() -> None:
    url = "https://mastodon.example/@mila/1171"
    post = parse_record(
        record(source="mastodon", author="mila", url=url), Pseudonymiser(KEY), now=NOW
    )
    assert post.url is None
    assert post.raw["url"] == REDACTED and "mila" not in repr(post.raw)


def test_raw_payloads_lose_urls_naming_the_author_even_without_a_known_handle() -> None:
    payload = {"links": ["at://did:plc:xyz/app.bsky.feed.post/1", "https://acme.example/a"]}
    scrubbed = Pseudonymiser(KEY).scrub(payload, set(), "bluesky")
    assert scrubbed == {"links": [REDACTED, "https://acme.example/a"]}


def test_urls_are_kept_as_given_when_handles_may_be_stored() -> None:
    url = "https://x.example/quiet_pia/status/77"
    post = parse_record(
        record(source="x", author="quiet_pia", url=url),
        Pseudonymiser(KEY, keep_handles=True),
        now=NOW,
    )
    assert post.url == url and post.raw["url"] == url
