"""Bluesky through the atproto SDK: ``app.bsky.feed.searchPosts`` per brand.

The atproto ``Client`` logs in (``com.atproto.server.createSession`` with an app password),
keeps the session's tokens fresh and sends the query; its httpx client runs over our
:class:`~collectors.http.GatedTransport`. We read the raw JSON of each page (not the SDK's
pydantic models) so that one malformed post goes to quarantine instead of failing the page.

Posts are dated by ``sortAt`` = min(``createdAt``, ``indexedAt``), the timestamp the search's
``since``/``until`` filters use, so a post whose client clock lies cannot slip out of every
window. Replies keep ``parent_id``/``thread_id`` from the record's ``reply`` references.

Ids name nobody: the post, its parent and its root are keyed ``<author_key>/<rkey>``
(:func:`grapevine.core.post_ids.bluesky_post_id`), not by their ``at://<did>/...`` URIs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from atproto import Client, models

from collectors.paging import Bounds, Fetched, Stream, SweepCollector
from collectors.parsing import obj, opt_int, opt_obj, opt_str, req_str, text_field, timestamp
from collectors.search_terms import lucene_query
from grapevine.core.domain import Brand, Engagement, Post
from grapevine.core.errors import InputError
from grapevine.core.post_ids import bluesky_post_id
from grapevine.core.privacy import Pseudonymiser

SOURCE = "bluesky"  # its spec in collectors.registry.SOURCES


def _iso(dt: datetime | None) -> str | None:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if dt is not None else None


def _rkey(uri: str) -> str:
    if not uri.startswith("at://") or uri.count("/") < 4:
        raise InputError(f"uri {uri[:60]!r} is not an at:// post URI")
    return uri.rsplit("/", 1)[1]


def _ref_id(reply: Mapping[str, Any], key: str, pseudo: Pseudonymiser) -> str | None:
    ref = opt_obj(reply.get(key), f"record.reply.{key}")
    uri = opt_str(ref, "uri", f"record.reply.{key}.uri")
    return bluesky_post_id(pseudo, SOURCE, uri) if uri is not None else None


def parse_post_view(view: Any, pseudo: Pseudonymiser) -> Post:
    """One ``app.bsky.feed.defs#postView`` -> ``Post``."""
    view = obj(view, "post")
    uri = req_str(view, "uri")
    rkey = _rkey(uri)
    post_id = bluesky_post_id(pseudo, SOURCE, uri)
    author = obj(view.get("author"), "author")
    did = req_str(author, "did", "author.did")
    handle = opt_str(author, "handle", "author.handle")
    record = obj(view.get("record"), "record")
    text = record.get("text")
    if not isinstance(text, str):
        raise InputError(
            "record.text is missing" if text is None else "record.text must be a string"
        )
    created = timestamp(record.get("createdAt"), "record.createdAt")
    indexed = view.get("indexedAt")
    if indexed is not None:
        created = min(created, timestamp(indexed, "indexedAt"))
    reply = opt_obj(record.get("reply"), "record.reply")
    langs = record.get("langs")
    lang = langs[0] if isinstance(langs, list) and langs and isinstance(langs[0], str) else None
    reposts, quotes = opt_int(view, "repostCount"), opt_int(view, "quoteCount")
    return Post(
        source=SOURCE,
        source_id=post_id,
        created_at=created,
        text=text_field(text, "record.text"),
        url=pseudo.url(SOURCE, f"https://bsky.app/profile/{did}/post/{rkey}", {did}),
        author_key=pseudo.author_key(SOURCE, did),
        author_handle=handle,
        author_followers=opt_int(author, "followersCount", "author.followersCount"),
        lang=lang,
        parent_id=_ref_id(reply, "parent", pseudo),
        thread_id=_ref_id(reply, "root", pseudo) or post_id,
        engagement=Engagement(
            likes=opt_int(view, "likeCount"),
            replies=opt_int(view, "replyCount"),
            reposts=(reposts or 0) + (quotes or 0)
            if reposts is not None or quotes is not None
            else None,
        ),
        raw=pseudo.scrub(dict(view), {did, handle or ""}, SOURCE),
    )


def page_posts(payload: Any) -> tuple[list[Any], str | None]:
    payload = obj(payload, "searchPosts response")
    posts = payload.get("posts")
    if not isinstance(posts, list):
        raise InputError("searchPosts response has no posts list")
    return posts, opt_str(payload, "cursor")


class BlueskyCollector(SweepCollector):
    """searchPosts for every brand; see the module docstring."""

    source = SOURCE

    def __init__(
        self,
        client: Client,
        pseudo: Pseudonymiser,
        gate: Any,
        *,
        handle: str,
        password: str,
        page_size: int = 100,
    ) -> None:
        super().__init__(pseudo, gate)
        self.client = client
        self._login = (handle, password)
        self._logged_in = False
        self.page_size = max(1, min(100, page_size))

    def streams(self, brands: Sequence[Brand]) -> list[Stream]:
        return [Stream(scope=b.slug, brand=b, params={"q": lucene_query(b)}) for b in brands]

    def fetch(self, stream: Stream, bounds: Bounds, token: str | None) -> Fetched:
        if not self._logged_in:
            # Lazily, so building the collector never touches the network.
            self.client.login(*self._login, fetch_bsky_profile=False)
            self._logged_in = True
        params = models.AppBskyFeedSearchPosts.Params(
            q=stream.params["q"],
            sort="latest",
            limit=self.page_size,
            cursor=token,
            since=_iso(bounds.lower),
            until=_iso(bounds.upper),
        )
        response = self.client.invoke_query("app.bsky.feed.searchPosts", params=params)
        posts, cursor = page_posts(response.content)
        return Fetched(items=posts, next_token=cursor)

    def parse(self, item: Any, fetched: Fetched) -> Post | None:
        return parse_post_view(item, self.pseudo)

    def item_ref(self, item: Any) -> str | None:
        """A broken post's reference in quarantine: its id as stored posts have it, never
        the ``at://<did>`` URI (the DID names the author)."""
        uri = item.get("uri") if isinstance(item, Mapping) else None
        if not isinstance(uri, str):
            return None
        try:
            return bluesky_post_id(self.pseudo, SOURCE, uri)
        except InputError:
            return None
