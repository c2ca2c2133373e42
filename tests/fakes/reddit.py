"""A fake Reddit: OAuth client-credentials exchange, search, comment trees, subreddit comments.

Shapes follow Reddit's API documentation (https://www.reddit.com/dev/api): every listing is
``{"kind": "Listing", "data": {"children": [{"kind": "t3"|"t1", "data": {...}}], "after": ...}}``
and ``/comments/{id}`` answers ``[submission listing, comment listing]``.
"""

from __future__ import annotations

import base64
from typing import Any

from werkzeug.wrappers import Request, Response

from tests.fakes.corpus import Corpus, Doc
from tests.fakes.server import FakeServer, json_response, query_words

CLIENT_ID = "fake-client-id"
CLIENT_SECRET = "fake-client-secret"
TOKEN = "fake-reddit-token"
SUBREDDIT = "travel"


def b36(n: int) -> str:
    chars = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = chars[r] + out
        if n == 0:
            return out


def listing(children: list[Any], after: str | None) -> dict[str, Any]:
    return {
        "kind": "Listing",
        "data": {"after": after, "before": None, "dist": len(children), "children": children},
    }


class FakeReddit(FakeServer):
    """``rate_headers(n)`` gives the x-ratelimit-* headers of the n-th API answer."""

    def __init__(self, corpus: Corpus) -> None:
        super().__init__()
        self.corpus = corpus
        self.served = 0
        self._cache: dict[Any, list[Doc]] = {}
        self._positions: dict[Any, dict[str, int]] = {}

    def rate_headers(self, n: int) -> dict[str, str]:
        return {
            "x-ratelimit-remaining": f"{max(0, 996 - n)}.0",
            "x-ratelimit-used": str(n),
            "x-ratelimit-reset": "300",
        }

    # --- rendering ----------------------------------------------------------------------------

    def submission(self, d: Doc) -> Any:
        sid = b36(d.id)
        item = {
            "id": sid,
            "name": f"t3_{sid}",
            "title": d.text,
            "selftext": "[removed]" if d.deleted else "details inside",
            "author": "[deleted]" if d.deleted else d.author,
            "author_fullname": None if d.deleted else f"t2_{d.author_id}",
            "created_utc": d.epoch,
            "permalink": f"/r/{SUBREDDIT}/comments/{sid}/post/",
            "url": f"https://www.reddit.com/r/{SUBREDDIT}/comments/{sid}/post/",
            "score": d.likes,
            "ups": d.likes,
            "num_comments": d.replies,
            "subreddit": SUBREDDIT,
            "subreddit_name_prefixed": f"r/{SUBREDDIT}",
            "over_18": False,
            "removed_by_category": "moderator" if d.deleted else None,
        }
        return {"kind": "t3", "data": self.corpus.render(d, item)}

    def comment(self, d: Doc, with_replies: bool) -> Any:
        cid = b36(d.id)
        parent = self.corpus.by_id[d.parent] if d.parent else None
        parent_name = (
            f"t3_{b36(parent.id)}"
            if parent is not None and parent.parent is None
            else f"t1_{b36(d.parent or 0)}"
        )
        replies: Any = ""
        if with_replies:
            kids = [c for c in self.corpus.docs if c.parent == d.id]
            if kids:
                replies = listing([self.comment(k, True) for k in kids], None)
        item = {
            "id": cid,
            "name": f"t1_{cid}",
            "body": "[deleted]" if d.deleted else d.text,
            "author": "[deleted]" if d.deleted else d.author,
            "author_fullname": None if d.deleted else f"t2_{d.author_id}",
            "created_utc": d.epoch,
            "parent_id": parent_name,
            "link_id": f"t3_{b36(d.root or 0)}",
            "permalink": f"/r/{SUBREDDIT}/comments/{b36(d.root or 0)}/post/{cid}/",
            "score": d.likes,
            "subreddit": SUBREDDIT,
            "replies": replies,
        }
        return {"kind": "t1", "data": self.corpus.render(d, item)}

    # --- routes -------------------------------------------------------------------------------

    def route(self, request: Request) -> Response:
        if request.path == "/api/v1/access_token":
            return self._token(request)
        if request.headers.get("Authorization") != f"bearer {TOKEN}":
            return json_response({"message": "Unauthorized", "error": 401}, 401)
        self.served += 1
        headers = self.rate_headers(self.served)
        path = request.path.rstrip("/")
        if path.endswith("/search"):
            return json_response(self._search(request), headers=headers)
        if path.startswith("/comments/"):
            return json_response(self._comment_tree(path.rsplit("/", 1)[1]), headers=headers)
        if path.endswith("/comments"):
            key = ("comments", len(self.corpus.docs))
            if key not in self._cache:
                self._cache[key] = [d for d in self.corpus.docs if d.parent is not None]
            docs = self._cache[key]
            return json_response(self._page(docs, request, "t1"), headers=headers)
        return json_response({"message": "Not Found", "error": 404}, 404)

    def _token(self, request: Request) -> Response:
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("Authorization") != f"Basic {expected}":
            return json_response({"message": "Unauthorized", "error": 401}, 401)
        if request.form.get("grant_type") != "client_credentials":
            return json_response({"error": "unsupported_grant_type"}, 400)
        return json_response(
            {"access_token": TOKEN, "token_type": "bearer", "expires_in": 86400, "scope": "*"}
        )

    def _search(self, request: Request) -> Any:
        words = frozenset(query_words(request.args.get("q", "")))
        key = (words, len(self.corpus.docs))
        if key not in self._cache:
            self._cache[key] = [
                d
                for d in self.corpus.docs
                if d.parent is None and any(w in d.text.lower() for w in words)
            ]
        return self._page(self._cache[key], request, "t3")

    def _page(self, docs: list[Doc], request: Request, kind: str) -> Any:
        limit = int(request.args.get("limit", 25))
        after = request.args.get("after")
        start = 0
        if after:
            position = self._positions.get((id(docs), kind))
            if position is None:
                position = {f"{kind}_{b36(d.id)}": i for i, d in enumerate(docs)}
                self._positions[(id(docs), kind)] = position
            start = position[after] + 1 if after in position else len(docs)
        chunk = docs[start : start + limit]
        render = self.submission if kind == "t3" else (lambda d: self.comment(d, False))
        more = start + limit < len(docs)
        return listing(
            [render(d) for d in chunk], f"{kind}_{b36(chunk[-1].id)}" if chunk and more else None
        )

    def _comment_tree(self, sid: str) -> Any:
        top = next((d for d in self.corpus.docs if b36(d.id) == sid and d.parent is None), None)
        if top is None:
            return []
        kids = [c for c in self.corpus.docs if c.parent == top.id]
        return [
            listing([self.submission(top)], None),
            listing([self.comment(k, True) for k in kids], None),
        ]
