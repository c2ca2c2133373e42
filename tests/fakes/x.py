"""A fake X API v2 recent search (``GET /2/tweets/search/recent``) with a bearer-token check.

Shapes follow the X API v2 documentation: ``{"data": [tweets], "includes": {"users": [...]},
"meta": {"newest_id", "oldest_id", "result_count", "next_token"}}``; no ``data`` when empty.
Every answer carries ``x-rate-limit-limit/remaining/reset`` (reset is a Unix time).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from werkzeug.wrappers import Request, Response

from tests.fakes.corpus import Corpus, Doc, iso
from tests.fakes.server import FakeServer, json_response, query_words

BEARER = "fake-x-bearer"
ID_BASE = 1_800_000_000_000_000_000


def tweet_id(doc: Doc) -> str:
    return str(ID_BASE + doc.id)


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


class FakeX(FakeServer):
    def __init__(self, corpus: Corpus) -> None:
        super().__init__()
        self.corpus = corpus
        self.remaining = 450
        self.reset_at = 2_000_000_000
        self._cache: dict[Any, list[Doc]] = {}

    def tweet(self, d: Doc) -> Any:
        item: dict[str, Any] = {
            "id": tweet_id(d),
            "text": d.text,
            "author_id": d.author_id,
            "created_at": iso(d.created),
            "conversation_id": tweet_id(self.corpus.by_id[d.root]) if d.root else tweet_id(d),
            "lang": "en",
            "public_metrics": {
                "retweet_count": d.reposts,
                "reply_count": d.replies,
                "like_count": d.likes,
                "quote_count": 0,
                "impression_count": 10 * d.likes,
            },
            "edit_history_tweet_ids": [tweet_id(d)],
        }
        if d.parent:
            item["referenced_tweets"] = [
                {"type": "replied_to", "id": tweet_id(self.corpus.by_id[d.parent])}
            ]
            item["in_reply_to_user_id"] = self.corpus.by_id[d.parent].author_id
        if d.retweet_of:
            item["referenced_tweets"] = [
                {"type": "retweeted", "id": tweet_id(self.corpus.by_id[d.retweet_of])}
            ]
            item["text"] = "RT " + d.text
        return self.corpus.render(d, item)

    def route(self, request: Request) -> Response:
        if request.headers.get("Authorization") != f"Bearer {BEARER}":
            return json_response(
                {
                    "title": "Unauthorized",
                    "type": "about:blank",
                    "status": 401,
                    "detail": "Unauthorized",
                },
                401,
            )
        if request.path != "/2/tweets/search/recent":
            return json_response({"title": "Not Found Error", "status": 404}, 404)
        self.remaining = max(0, self.remaining - 1)
        headers = {
            "x-rate-limit-limit": "450",
            "x-rate-limit-remaining": str(self.remaining),
            "x-rate-limit-reset": str(self.reset_at),
        }
        return json_response(self._search(request), headers=headers)

    def _search(self, request: Request) -> Any:
        args = request.args
        words = query_words(args.get("query", ""))
        since_id = int(args["since_id"]) if "since_id" in args else None
        start, end = _time(args.get("start_time")), _time(args.get("end_time"))
        key = (frozenset(words), since_id, start, end, len(self.corpus.docs))
        docs = self._cache.get(key)
        if docs is None:  # one filter per sweep, not per page: the benchmark pages 50,000 items
            docs = self._cache[key] = [
                d
                for d in self.corpus.docs
                if any(w in d.text.lower() for w in words)
                and (since_id is None or ID_BASE + d.id > since_id)
                and (start is None or d.created >= start)
                and (end is None or d.created < end)
            ]
        limit = int(args.get("max_results", 10))
        offset = (
            int(args["next_token"].removeprefix("b26v89c19zqg8o3f")) if "next_token" in args else 0
        )
        chunk = docs[offset : offset + limit]
        meta: dict[str, Any] = {"result_count": len(chunk)}
        if not chunk:
            return {"meta": meta}
        meta.update(newest_id=tweet_id(chunk[0]), oldest_id=tweet_id(chunk[-1]))
        if offset + limit < len(docs):
            meta["next_token"] = f"b26v89c19zqg8o3f{offset + limit}"
        users = {
            d.author_id: {
                "id": d.author_id,
                "username": d.author,
                "name": d.author.title(),
                "public_metrics": {
                    "followers_count": d.followers,
                    "following_count": 5,
                    "tweet_count": 100,
                    "listed_count": 0,
                },
            }
            for d in chunk
        }
        return {
            "data": [self.tweet(d) for d in chunk],
            "includes": {"users": list(users.values())},
            "meta": meta,
        }
