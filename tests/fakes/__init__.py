"""Fake social APIs for tests and benchmarks: real SDKs talk to these over 127.0.0.1."""

from tests.fakes.bluesky import FakeBluesky
from tests.fakes.corpus import Corpus, Doc
from tests.fakes.hackernews import FakeHackerNews
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.reddit import FakeReddit
from tests.fakes.server import FakeServer, Fault
from tests.fakes.x import FakeX

__all__ = [
    "Corpus",
    "Doc",
    "FakeBluesky",
    "FakeHackerNews",
    "FakeMastodon",
    "FakeReddit",
    "FakeServer",
    "FakeX",
    "Fault",
]
