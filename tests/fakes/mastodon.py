"""A fake Mastodon instance: hashtag timelines and ``/api/v2/search`` for statuses.

Shapes follow docs.joinmastodon.org (Status and Account entities). Status ids are snowflakes
(``ms << 16``), as on real instances, so a ``max_id`` that Mastodon.py derives from a datetime
means the same thing here. Answers carry ``X-RateLimit-Limit/Remaining/Reset`` (ISO 8601).

Statuses are local to the instance (``uri``/``url`` on its own host, which is the host it is
served on unless given) or, with ``origin``, federated copies of another fake's: the origin's
``uri``, ``url`` and account, under local ids of this instance (as on real instances, where
``in_reply_to_id`` is the parent's local id on the instance queried).
"""

from __future__ import annotations

import bisect
import html
from typing import Any
from urllib.parse import urlsplit

from werkzeug.wrappers import Request, Response

from tests.fakes.corpus import Corpus, Doc, iso
from tests.fakes.server import FakeServer, json_response

TOKEN = "fake-mastodon-token"
HOST = "mastodon.test"


def status_id(d: Doc) -> int:
    return (int(d.epoch * 1000) << 16) + (d.id % 65536)


#: Added to a federated copy's status ids, so that its local ids differ from its origin's.
FEDERATED_OFFSET = 1 << 15


class FakeMastodon(FakeServer):
    def __init__(
        self, corpus: Corpus, host: str | None = None, origin: FakeMastodon | None = None
    ) -> None:
        super().__init__()
        self.corpus = corpus
        self._host = host
        self.origin = origin
        #: X-RateLimit-Remaining/-Reset of the next answers (tests set 0 to force a wait).
        self.rate_remaining = 299
        self.rate_reset = "2030-01-01T00:00:00.000Z"
        self._cache: dict[Any, Any] = {}

    @property
    def host(self) -> str:
        """The host in this instance's uris: as given, else the one it is served on."""
        if self._host is not None:
            return self._host
        return urlsplit(self.url).netloc if self._server is not None else HOST

    def local_id(self, d: Doc) -> int:
        return status_id(d) + (FEDERATED_OFFSET if self.origin is not None else 0)

    def status(self, d: Doc) -> Any:
        sid = str(self.local_id(d))
        home = self.origin.host if self.origin is not None else self.host
        origin_sid = str(status_id(d))
        account = {
            "id": d.author_id,
            "username": d.author,
            "acct": d.author if self.origin is None else f"{d.author}@{home}",
            "display_name": d.author.title(),
            "url": f"https://{home}/@{d.author}",
            "followers_count": d.followers,
            "following_count": 3,
            "statuses_count": 40,
            "created_at": "2020-01-01T00:00:00.000Z",
            "locked": False,
            "bot": False,
            "note": "",
            "avatar": "",
            "header": "",
            "emojis": [],
            "fields": [],
        }
        parent = self.corpus.by_id[d.parent] if d.parent else None
        item = {
            "id": sid,
            "created_at": iso(d.created),
            "in_reply_to_id": str(self.local_id(parent)) if parent else None,
            "in_reply_to_account_id": parent.author_id if parent else None,
            "sensitive": False,
            "spoiler_text": "",
            "visibility": "public",
            "language": "en",
            "uri": f"https://{home}/users/{d.author}/statuses/{origin_sid}",
            "url": f"https://{home}/@{d.author}/{origin_sid}",
            "replies_count": d.replies,
            "reblogs_count": d.reposts,
            "favourites_count": d.likes,
            "content": "" if d.deleted else f"<p>{html.escape(d.text)}</p>",
            "reblog": None,
            "account": account,
            "media_attachments": [],
            "mentions": [],
            "tags": [],
            "emojis": [],
            "card": None,
            "poll": None,
        }
        return self.corpus.render(d, item)

    def route(self, request: Request) -> Response:
        headers = {
            "X-RateLimit-Limit": "300",
            "X-RateLimit-Remaining": str(self.rate_remaining),
            "X-RateLimit-Reset": self.rate_reset,
        }
        path = request.path.rstrip("/")
        if path in {"/api/v1/instance", "/api/v2/instance"}:
            # Mastodon.py reads the version and which timelines are public, once, and caches it.
            return json_response(
                {
                    "domain": self.host,
                    "uri": self.host,
                    "title": "Fake",
                    "version": "4.5.0",
                    "api_versions": {"mastodon": 6},
                    "configuration": {
                        "timelines_access": {
                            "live_feeds": {"local": "public", "remote": "public"},
                            "hashtag_feeds": {"local": "public", "remote": "public"},
                            "trending_link_feeds": {"local": "public", "remote": "public"},
                        }
                    },
                }
            )
        if path.startswith("/api/v1/timelines/tag/"):
            tag = path.rsplit("/", 1)[1].lower()
            key = (tag, len(self.corpus.docs))
            if key not in self._cache:  # newest first, with ascending ids for bisect
                docs = [d for d in self.corpus.docs if f"#{tag}" in d.text.lower()]
                self._cache[key] = (docs, [-self.local_id(d) for d in docs])
            docs, keys = self._cache[key]
            start = 0
            if "max_id" in request.args:
                start = bisect.bisect_right(keys, -int(request.args["max_id"]))
            limit = int(request.args.get("limit", 20))
            chunk = docs[start : start + limit]
            return json_response([self.status(d) for d in chunk], headers=headers)
        if path == "/api/v2/search":
            if request.headers.get("Authorization") != f"Bearer {TOKEN}":
                return json_response({"error": "The access token is invalid"}, 401)
            q = request.args.get("q", "").lower()
            docs = [d for d in self.corpus.docs if q in d.text.lower()]
            offset, limit = int(request.args.get("offset", 0)), int(request.args.get("limit", 20))
            return json_response(
                {
                    "accounts": [],
                    "hashtags": [],
                    "statuses": [self.status(d) for d in docs[offset : offset + limit]],
                },
                headers=headers,
            )
        return json_response({"error": "Record not found"}, 404)
