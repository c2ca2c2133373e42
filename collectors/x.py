"""X (Twitter) through tweepy's API v2 ``Client``: recent search per brand.

``GET /2/tweets/search/recent`` with the brand query translated to X syntax
(:func:`collectors.search_terms.x_query`), paged with ``next_token``; the high-water mark is the
newest tweet id, sent as ``since_id`` by the next run. Expansions bring the author (followers
from ``public_metrics``) and referenced tweets; replies keep ``parent_id`` (the tweet replied to)
and ``thread_id`` (``conversation_id``). Plain retweets are skipped as duplicates of the tweet
they repeat (and excluded in the query with ``-is:retweet``); quotes are kept.

tweepy returns the decoded JSON (``return_type=dict``) and its ``session`` is our
:class:`~collectors.http.GatedSession`, which maps tweepy's hard-coded ``api.twitter.com`` to
``GRAPEVINE_X_BASE_URL`` and honours ``x-rate-limit-*`` headers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import tweepy

from collectors.paging import Bounds, Fetched, Stream, SweepCollector
from collectors.parsing import obj, opt_int, opt_obj, opt_str, req_str, text_field, timestamp
from collectors.search_terms import x_query
from grapevine.core.domain import Brand, Engagement, Post
from grapevine.core.errors import InputError
from grapevine.core.privacy import Pseudonymiser

SOURCE = "x"  # its spec in collectors.registry.SOURCES
TWEET_FIELDS = [
    "author_id",
    "conversation_id",
    "created_at",
    "lang",
    "public_metrics",
    "referenced_tweets",
    "in_reply_to_user_id",
    "note_tweet",
]
USER_FIELDS = ["username", "public_metrics"]
EXPANSIONS = ["author_id", "referenced_tweets.id"]


def users_by_id(payload: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """``includes.users`` indexed by id (a malformed entry is ignored, not fatal to the page)."""
    includes = payload.get("includes")
    users = includes.get("users") if isinstance(includes, Mapping) else None
    out: dict[str, Mapping[str, Any]] = {}
    for user in users if isinstance(users, list) else []:
        if isinstance(user, Mapping) and isinstance(user.get("id"), str):
            out[user["id"]] = user
    return out


def _references(tweet: Mapping[str, Any]) -> dict[str, str]:
    refs = tweet.get("referenced_tweets")
    if refs is None:
        return {}
    if not isinstance(refs, list):
        raise InputError("referenced_tweets must be a list")
    out: dict[str, str] = {}
    for ref in refs:
        ref = obj(ref, "referenced_tweets entry")
        out[req_str(ref, "type", "referenced_tweets.type")] = req_str(
            ref, "id", "referenced_tweets.id"
        )
    return out


def parse_tweet(
    tweet: Any, users: Mapping[str, Mapping[str, Any]], pseudo: Pseudonymiser
) -> Post | None:
    """One tweet of ``data`` -> ``Post``; plain retweets -> ``None``."""
    tweet = obj(tweet, "tweet")
    tweet_id = req_str(tweet, "id")
    if not tweet_id.isdigit():
        raise InputError(f"tweet id {tweet_id[:30]!r} is not numeric")
    refs = _references(tweet)
    if "retweeted" in refs:
        return None
    note = opt_obj(tweet.get("note_tweet"), "note_tweet")
    text = opt_str(note, "text", "note_tweet.text") or req_str(tweet, "text")
    author_id = opt_str(tweet, "author_id")
    user = users.get(author_id or "", {})
    handle = opt_str(user, "username", "user.username")
    user_metrics = opt_obj(user.get("public_metrics"), "user.public_metrics")
    metrics = opt_obj(tweet.get("public_metrics"), "public_metrics")
    reposts = opt_int(metrics, "retweet_count")
    quotes = opt_int(metrics, "quote_count")
    raw = {"tweet": dict(tweet), "author": dict(user)} if user else {"tweet": dict(tweet)}
    return Post(
        source=SOURCE,
        source_id=tweet_id,
        created_at=timestamp(tweet.get("created_at"), "created_at"),
        text=text_field(text),
        # The /i/web/ form works without the handle, which we do not store by default.
        url=f"https://x.com/i/web/status/{tweet_id}",
        author_key=pseudo.author_key(SOURCE, author_id),
        author_handle=handle,
        author_followers=opt_int(user_metrics, "followers_count", "followers_count"),
        lang=opt_str(tweet, "lang"),
        parent_id=refs.get("replied_to"),
        thread_id=opt_str(tweet, "conversation_id") or tweet_id,
        engagement=Engagement(
            likes=opt_int(metrics, "like_count"),
            replies=opt_int(metrics, "reply_count"),
            reposts=(reposts or 0) + (quotes or 0)
            if reposts is not None or quotes is not None
            else None,
        ),
        raw=pseudo.scrub(raw, {author_id or "", handle or ""}, SOURCE),
    )


def page_tweets(payload: Any) -> tuple[list[Any], str | None]:
    """A search response -> (tweets, next_token); an empty result has no ``data``."""
    payload = obj(payload, "search response")
    data = payload.get("data") or []
    if not isinstance(data, list):
        raise InputError("search response data must be a list")
    meta = opt_obj(payload.get("meta"), "meta")
    return data, opt_str(meta, "next_token", "meta.next_token")


class XCollector(SweepCollector):
    """Recent search for every brand; see the module docstring."""

    source = SOURCE

    def __init__(
        self, client: tweepy.Client, pseudo: Pseudonymiser, gate: Any, *, page_size: int = 100
    ) -> None:
        super().__init__(pseudo, gate)
        self.client = client
        self.page_size = max(10, min(100, page_size))

    def streams(self, brands: Sequence[Brand]) -> list[Stream]:
        return [Stream(scope=b.slug, brand=b, params={"q": x_query(b)}) for b in brands]

    def fetch(self, stream: Stream, bounds: Bounds, token: str | None) -> Fetched:
        params: dict[str, Any] = {
            "max_results": self.page_size,
            "expansions": EXPANSIONS,
            "tweet_fields": TWEET_FIELDS,
            "user_fields": USER_FIELDS,
            "next_token": token,
            "end_time": bounds.upper,
        }
        if bounds.since_id:
            params["since_id"] = bounds.since_id
        else:
            params["start_time"] = bounds.lower
        payload = self.client.search_recent_tweets(stream.params["q"], **params)
        tweets, next_token = page_tweets(payload)
        return Fetched(items=tweets, next_token=next_token, context=users_by_id(payload))

    def parse(self, item: Any, fetched: Fetched) -> Post | None:
        return parse_tweet(item, fetched.context or {}, self.pseudo)

    def newer_id(self, a: str | None, b: str | None) -> str | None:
        """Tweet ids are time-ordered 64-bit numbers: compare them as numbers."""
        ids = [i for i in (a, b) if i and i.isdigit()]
        return max(ids, key=int) if ids else None
