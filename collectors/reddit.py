"""Reddit through praw: submissions matching each brand, their replies, and subreddit comments.

What is collected, per brand, over ``[since, until)``:

- submissions from Reddit search (``sort=new``, the brand query in Lucene syntax), site-wide or
  restricted to ``GRAPEVINE_REDDIT_SUBREDDITS``;
- the replies under each matching submission, since replies are where customers advise each
  other (a reply that names no watched brand is dropped by the pipeline's matching);
- with subreddits configured, also their newest comments (Reddit's API has no comment search),
  again filtered by the pipeline's exact matching.

praw does the OAuth client-credentials exchange and JSON decoding; its HTTP session is our
:class:`~collectors.http.GatedSession`, so budgets, back-off and ``x-ratelimit-*`` pacing are
shared with the other sources. ``Reddit.request`` returns the decoded JSON, which the pure
``parse_*`` functions turn into posts.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import praw

from collectors.http import RequestGate
from collectors.paging import Bounds, Fetched, Stream, SweepCollector
from collectors.parsing import epoch, obj, opt_int, opt_str, req_str, text_field
from collectors.search_terms import lucene_query
from grapevine.core.domain import Brand, Engagement, Post
from grapevine.core.errors import InputError
from grapevine.core.privacy import Pseudonymiser

log = logging.getLogger(__name__)

SOURCE = "reddit"  # its spec in collectors.registry.SOURCES
WEB = "https://www.reddit.com"
GONE = frozenset({"[deleted]", "[removed]"})
MAX_REPLIES = 500


def _author(data: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(stable id, handle); a deleted account has neither."""
    handle = opt_str(data, "author")
    if handle in GONE:
        return None, None
    return opt_str(data, "author_fullname") or handle, handle


def _post(
    data: Mapping[str, Any],
    pseudo: Pseudonymiser,
    *,
    text: str,
    parent: str | None,
    thread: str | None,
    replies: int | None,
) -> Post:
    source_id = req_str(data, "id")
    author_id, handle = _author(data)
    permalink = opt_str(data, "permalink")
    raw = {k: v for k, v in data.items() if k != "replies"}
    return Post(
        source=SOURCE,
        source_id=source_id,
        created_at=epoch(data.get("created_utc"), "created_utc"),
        text=text_field(text),
        url=pseudo.url(
            SOURCE, WEB + permalink if permalink and permalink.startswith("/") else permalink
        ),
        author_key=pseudo.author_key(SOURCE, author_id),
        author_handle=handle,
        lang=None,
        parent_id=parent,
        thread_id=thread,
        engagement=Engagement(score=opt_int(data, "score"), replies=replies),
        raw=pseudo.scrub(raw, {author_id or "", handle or ""}, SOURCE),
    )


def _strip_prefix(fullname: str | None) -> str | None:
    """``t3_abc`` -> ``abc``: posts are keyed by the bare id, whatever their kind."""
    if fullname is None:
        return None
    return fullname.split("_", 1)[1] if fullname[:3] in {"t1_", "t3_"} else fullname


def parse_submission(data: Any, pseudo: Pseudonymiser) -> Post | None:
    """A ``t3`` thing's ``data`` -> ``Post`` (title, then the self text unless removed)."""
    data = obj(data, "submission")
    title = req_str(data, "title")
    body = opt_str(data, "selftext") or ""
    if body in GONE:
        body = ""
    if title in GONE and not body:
        return None
    text = f"{title}\n\n{body}" if body else title
    source_id = req_str(data, "id")
    return _post(
        data,
        pseudo,
        text=text,
        parent=None,
        thread=source_id,
        replies=opt_int(data, "num_comments"),
    )


def parse_comment(data: Any, pseudo: Pseudonymiser) -> Post | None:
    """A ``t1`` thing's ``data`` -> ``Post``; deleted or removed comments -> ``None``."""
    data = obj(data, "comment")
    body = req_str(data, "body")
    if body.strip() in GONE:
        return None
    parent = _strip_prefix(req_str(data, "parent_id"))
    thread = _strip_prefix(req_str(data, "link_id"))
    return _post(data, pseudo, text=body, parent=parent, thread=thread, replies=None)


def parse_thing(thing: Any, pseudo: Pseudonymiser) -> Post | None:
    """A listing child (``{"kind": ..., "data": ...}``) -> ``Post``; "more" stubs -> ``None``."""
    thing = obj(thing, "listing child")
    kind = thing.get("kind")
    if kind == "t3":
        return parse_submission(thing.get("data"), pseudo)
    if kind == "t1":
        return parse_comment(thing.get("data"), pseudo)
    if kind == "more":
        return None
    raise InputError(f"unexpected listing child kind {kind!r}")


def listing_children(listing: Any) -> tuple[list[Any], str | None]:
    """A Listing -> (children, ``after`` token). Raises InputError when it is not a Listing."""
    listing = obj(listing, "listing")
    data = obj(listing.get("data"), "listing data")
    children = data.get("children")
    if not isinstance(children, list):
        raise InputError("listing has no children list")
    after = data.get("after")
    return children, after if isinstance(after, str) and after else None


def flatten_replies(children: list[Any]) -> list[Any]:
    """Depth-first flattening of a comment tree (each ``t1`` carries its ``replies`` listing)."""
    out: list[Any] = []
    stack = list(reversed(children))
    while stack and len(out) < MAX_REPLIES * 4:
        child = stack.pop()
        out.append(child)
        data = child.get("data") if isinstance(child, Mapping) else None
        replies = data.get("replies") if isinstance(data, Mapping) else None
        if isinstance(replies, Mapping):
            try:
                nested, _ = listing_children(replies)
            except InputError:
                continue
            stack.extend(reversed(nested))
    return out


class RedditCollector(SweepCollector):
    """Reddit search + replies (+ subreddit comments) for each brand; see the module docstring."""

    source = SOURCE
    stable_tokens = True  # ``after`` is a thing's fullname: valid across runs

    def __init__(
        self,
        reddit: praw.Reddit,
        pseudo: Pseudonymiser,
        gate: RequestGate,
        *,
        subreddits: Sequence[str] = (),
        replies: bool = True,
        page_size: int = 100,
    ) -> None:
        super().__init__(pseudo, gate)
        self.reddit = reddit
        self.subreddits = [s.strip().removeprefix("r/") for s in subreddits if s.strip()]
        self.replies = replies
        self.page_size = page_size

    def streams(self, brands: Sequence[Brand]) -> list[Stream]:
        streams = [
            Stream(scope=b.slug, brand=b, params={"kind": "search", "q": lucene_query(b)})
            for b in brands
        ]
        if self.subreddits and brands:
            subs = "+".join(self.subreddits)
            streams.append(
                Stream(scope=f"comments@r/{subs}", brand=brands[0], params={"kind": "comments"})
            )
        return streams

    def fetch(self, stream: Stream, bounds: Bounds, token: str | None) -> Fetched:
        params: dict[str, Any] = {"limit": self.page_size, "raw_json": 1}
        if token:
            params["after"] = token
        subs = "+".join(self.subreddits)
        if stream.params["kind"] == "comments":
            path = f"/r/{subs}/comments"
        else:
            path = f"/r/{subs}/search" if subs else "/search"
            params.update(q=stream.params["q"], sort="new", type="link", syntax="lucene")
            if subs:
                params["restrict_sr"] = "on"
        children, after = listing_children(
            self.reddit.request(method="GET", path=path, params=params)
        )
        extra: list[Any] = []
        if self.replies and stream.params["kind"] == "search":
            for child in children:
                try:
                    extra.extend(self._replies(child, bounds))
                except InputError as exc:
                    log.warning("reddit: skipping the replies of %s: %s", self.item_ref(child), exc)
        return Fetched(items=children, next_token=after, extra=extra)

    def _replies(self, child: Any, bounds: Bounds) -> list[Any]:
        """The comment tree under a submission that falls inside the window."""
        data = child.get("data") if isinstance(child, Mapping) else None
        if not isinstance(data, Mapping) or child.get("kind") != "t3":
            return []
        created, sub_id = data.get("created_utc"), data.get("id")
        if not isinstance(created, int | float) or not isinstance(sub_id, str):
            return []
        if bounds.lower is not None and created < bounds.lower.timestamp():
            return []
        if bounds.upper is not None and created >= bounds.upper.timestamp():
            return []
        if not opt_int(data, "num_comments"):
            return []
        answer = self.reddit.request(
            method="GET",
            path=f"/comments/{sub_id}",
            params={"limit": MAX_REPLIES, "sort": "new", "raw_json": 1},
        )
        if not isinstance(answer, list) or len(answer) < 2:
            raise InputError(f"comments of {sub_id} are not a [submission, comments] pair")
        comments, _ = listing_children(answer[1])
        return flatten_replies(comments)

    def parse(self, item: Any, fetched: Fetched) -> Post | None:
        return parse_thing(item, self.pseudo)

    def item_ref(self, item: Any) -> str | None:
        data = item.get("data") if isinstance(item, Mapping) else None
        return super().item_ref(data) if isinstance(data, Mapping) else None
