"""A fake Bluesky PDS/AppView: ``createSession`` and ``app.bsky.feed.searchPosts``.

Shapes follow the lexicons (``app.bsky.feed.defs#postView``,
``com.atproto.server.createSession``). Tokens are real-looking JWTs whose ``exp`` lies in 2100,
because the atproto SDK decodes them to decide when to refresh the session.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

from werkzeug.wrappers import Request, Response

from tests.fakes.corpus import Corpus, Doc, iso
from tests.fakes.server import FakeServer, json_response, query_words

HANDLE = "grapevine.test"
PASSWORD = "abcd-efgh-ijkl-mnop"
DID = "did:plc:grapevinetester0000000000"


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def jwt(scope: str) -> str:
    header = {"typ": "at+jwt", "alg": "ES256K"}
    payload = {
        "scope": scope,
        "sub": DID,
        "iat": 1_700_000_000,
        "exp": 4_102_444_800,
        "aud": "did:web:fake",
    }
    return f"{_b64(header)}.{_b64(payload)}.c2lnbmF0dXJl"


ACCESS = jwt("com.atproto.access")
REFRESH = jwt("com.atproto.refresh")


def post_uri(d: Doc) -> str:
    return f"at://did:plc:{d.author_id}/app.bsky.feed.post/3k{d.id:011d}"


class FakeBluesky(FakeServer):
    def __init__(self, corpus: Corpus) -> None:
        super().__init__()
        self.corpus = corpus
        #: ratelimit-remaining/-reset (IETF draft headers, reset as a Unix time) of answers.
        self.rate_remaining = 2999
        self.rate_reset = 2_000_000_000
        self._cache: dict[Any, list[Doc]] = {}

    def post_view(self, d: Doc) -> Any:
        record: dict[str, Any] = {
            "$type": "app.bsky.feed.post",
            "text": d.text,
            "createdAt": iso(d.created),
            "langs": ["en"],
        }
        if d.parent:
            parent, root = self.corpus.by_id[d.parent], self.corpus.by_id[d.root or d.parent]
            record["reply"] = {
                "parent": {"uri": post_uri(parent), "cid": f"bafyparent{parent.id}"},
                "root": {"uri": post_uri(root), "cid": f"bafyroot{root.id}"},
            }
        item = {
            "uri": post_uri(d),
            "cid": f"bafyreib{d.id:020d}",
            "author": {
                "did": f"did:plc:{d.author_id}",
                "handle": f"{d.author}.bsky.social",
                "displayName": d.author.title(),
                "labels": [],
            },
            "record": record,
            "replyCount": d.replies,
            "repostCount": d.reposts,
            "likeCount": d.likes,
            "quoteCount": 0,
            "indexedAt": iso(d.created),
            "labels": [],
        }
        return self.corpus.render(d, item)

    def route(self, request: Request) -> Response:
        if request.path == "/xrpc/com.atproto.server.createSession":
            body = request.get_json(silent=True) or {}
            if body.get("identifier") != HANDLE or body.get("password") != PASSWORD:
                return json_response(
                    {
                        "error": "AuthenticationRequired",
                        "message": "Invalid identifier or password",
                    },
                    401,
                )
            return json_response(
                {
                    "accessJwt": ACCESS,
                    "refreshJwt": REFRESH,
                    "handle": HANDLE,
                    "did": DID,
                    "active": True,
                }
            )
        if request.headers.get("Authorization") != f"Bearer {ACCESS}":
            return json_response(
                {"error": "AuthMissing", "message": "Authentication Required"}, 401
            )
        if request.path != "/xrpc/app.bsky.feed.searchPosts":
            return json_response({"error": "MethodNotImplemented"}, 501)
        headers = {
            "ratelimit-limit": "3000",
            "ratelimit-remaining": str(self.rate_remaining),
            "ratelimit-reset": str(self.rate_reset),
            "ratelimit-policy": "3000;w=300",
        }
        return json_response(self._search(request), headers=headers)

    def _search(self, request: Request) -> Any:
        args = request.args
        words = query_words(args.get("q", ""))
        since = (
            datetime.fromisoformat(args["since"].replace("Z", "+00:00"))
            if "since" in args
            else None
        )
        until = (
            datetime.fromisoformat(args["until"].replace("Z", "+00:00"))
            if "until" in args
            else None
        )
        key = (frozenset(words), since, until, len(self.corpus.docs))
        docs = self._cache.get(key)
        if docs is None:
            docs = self._cache[key] = [
                d
                for d in self.corpus.docs
                if any(w in d.text.lower() for w in words)
                and (since is None or d.created >= since)
                and (until is None or d.created < until)
            ]
        limit = int(args.get("limit", 25))
        offset = int(args.get("cursor", 0))
        chunk = docs[offset : offset + limit]
        out: dict[str, Any] = {"posts": [self.post_view(d) for d in chunk], "hitsTotal": len(docs)}
        if offset + limit < len(docs):
            out["cursor"] = str(offset + limit)
        return out
