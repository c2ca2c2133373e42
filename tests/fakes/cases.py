"""The five sources described once, so that the shared behaviours are tested for each."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.fakes import FakeBluesky, FakeHackerNews, FakeMastodon, FakeReddit, FakeX
from tests.fakes import bluesky as fake_bluesky
from tests.fakes import mastodon as fake_mastodon
from tests.fakes import reddit as fake_reddit
from tests.fakes import x as fake_x
from tests.fakes.corpus import Corpus
from tests.fakes.server import FakeServer


@dataclass(frozen=True)
class Case:
    source: str
    fake: Callable[[Corpus], FakeServer]
    settings: Callable[[str], dict[str, Any]]
    #: The paged endpoint, for fault injection and request counting.
    path: str
    #: The cursor scope of the brand "Acme Air" (Mastodon's includes the instance and tag).
    scope: Callable[[FakeServer], str]
    #: A field whose absence makes an item malformed (dotted for nested fields).
    required: str

    def __str__(self) -> str:
        return self.source


def _port_scope(server: FakeServer) -> str:
    return f"acme-air@{server.url.split('://', 1)[1]}#AcmeAir"


CASES = [
    Case(
        "reddit",
        FakeReddit,
        lambda url: {
            "reddit_client_id": fake_reddit.CLIENT_ID,
            "reddit_client_secret": fake_reddit.CLIENT_SECRET,
            "reddit_base_url": url,
            "reddit_auth_url": url,
        },
        "/search",
        lambda s: "acme-air",
        "created_utc",
    ),
    Case(
        "x",
        FakeX,
        lambda url: {"x_bearer_token": fake_x.BEARER, "x_base_url": url},
        "/2/tweets/search/recent",
        lambda s: "acme-air",
        "created_at",
    ),
    Case(
        "bluesky",
        FakeBluesky,
        lambda url: {
            "bluesky_handle": fake_bluesky.HANDLE,
            "bluesky_app_password": fake_bluesky.PASSWORD,
            "bluesky_base_url": url,
        },
        "searchPosts",
        lambda s: "acme-air",
        "record.createdAt",
    ),
    Case(
        "mastodon",
        FakeMastodon,
        lambda url: {"mastodon_instances": [url], "mastodon_access_token": None},
        "/timelines/tag/",
        _port_scope,
        "account",
    ),
    Case(
        "hackernews",
        FakeHackerNews,
        lambda url: {"hackernews_base_url": url},
        "search_by_date",
        lambda s: "acme-air",
        "created_at_i",
    ),
]

MASTODON_TOKEN = fake_mastodon.TOKEN
