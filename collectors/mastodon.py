"""Mastodon through Mastodon.py: hashtag timelines and full-text search on configured instances.

For every brand and every instance in ``GRAPEVINE_MASTODON_INSTANCES``:

- the public timelines of the brand's hashtags (:func:`collectors.search_terms.mastodon_hashtags`),
  newest first, paged with ``max_id`` (a status id, valid across runs, so a crash resumes
  exactly); the first page starts at the window's upper edge, which Mastodon.py turns into a
  snowflake id;
- with an access token, ``/api/v2/search`` for statuses mentioning the brand's name (ranked, not
  dated: paged by offset until an empty page, and filtered to the window here).

The same status federates to many instances under different local ids, so a status is keyed by
its global ``uri``, less the account name in it (``<origin host>/<id>``,
:func:`grapevine.core.post_ids.mastodon_status_id`): collecting it from two instances stores it
once. A reply's ``in_reply_to_id`` is the parent's local id on the instance queried, keyed
``<that host>/<id>``, which is the parent's own id whenever the parent was posted there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from mastodon import Mastodon

from collectors.paging import Bounds, Fetched, Stream, SweepCollector
from collectors.parsing import (
    html_to_text,
    obj,
    opt_int,
    opt_obj,
    opt_str,
    req_str,
    text_field,
    timestamp,
)
from collectors.search_terms import mastodon_hashtags, mastodon_search
from grapevine.core.domain import Brand, Engagement, Post
from grapevine.core.errors import InputError
from grapevine.core.post_ids import mastodon_reply_ref, mastodon_status_id
from grapevine.core.privacy import Pseudonymiser

SOURCE = "mastodon"  # its spec in collectors.registry.SOURCES
PAGE_SIZE = 40  # the API's maximum for timelines and search


def plain(value: Any) -> Any:
    """Mastodon.py's typed objects -> plain JSON values (datetimes become ISO strings)."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _created(value: Any) -> datetime:
    if isinstance(value, datetime):
        return timestamp(value.isoformat(), "created_at")
    return timestamp(value, "created_at")


def parse_status(status: Any, pseudo: Pseudonymiser, *, instance: str) -> Post | None:
    """One status, as the instance with host ``instance`` returned it -> ``Post``; boosts
    (reblogs) -> ``None`` (the original is what counts)."""
    status = obj(status, "status")
    if status.get("reblog") is not None:
        return None
    req_str(status, "id")  # every status has one; a status without it is malformed
    uri = opt_str(status, "uri") or opt_str(status, "url")
    if uri is None:
        raise InputError("status has neither uri nor url")
    account = obj(status.get("account"), "account")
    account_id = opt_str(account, "url", "account.url") or req_str(account, "id", "account.id")
    handle = opt_str(account, "acct", "account.acct")
    content = opt_str(status, "content") or ""
    spoiler = opt_str(status, "spoiler_text") or ""
    text = html_to_text(content)
    if spoiler:
        text = f"{spoiler}\n\n{text}" if text else spoiler
    if not text.strip():
        return None  # deleted or media-only: nothing to read
    parent = opt_str(status, "in_reply_to_id")
    status_id = mastodon_status_id(uri)
    raw = plain(status)
    return Post(
        source=SOURCE,
        source_id=status_id,
        created_at=_created(status.get("created_at")),
        text=text_field(text),
        url=pseudo.url(SOURCE, opt_str(status, "url") or uri, {account_id, handle or ""}),
        author_key=pseudo.author_key(SOURCE, account_id),
        author_handle=handle,
        author_followers=opt_int(account, "followers_count", "account.followers_count"),
        lang=opt_str(status, "language"),
        parent_id=mastodon_reply_ref(instance, parent) if parent else None,
        thread_id=None if parent else status_id,
        engagement=Engagement(
            likes=opt_int(status, "favourites_count"),
            replies=opt_int(status, "replies_count"),
            reposts=opt_int(status, "reblogs_count"),
        ),
        raw=pseudo.scrub(
            raw,
            {
                account_id,
                opt_str(account, "id", "account.id") or "",
                handle or "",
                opt_str(account, "username", "account.username") or "",
            },
            SOURCE,
        ),
    )


def instance_url(instance: str) -> str:
    """``mastodon.social`` or ``https://mastodon.social/`` -> ``https://mastodon.social``."""
    instance = instance.strip().rstrip("/")
    return instance if "://" in instance else f"https://{instance}"


def instance_host(url: str) -> str:
    """``https://mastodon.social`` -> ``mastodon.social``: the host its statuses' uris name."""
    return (urlsplit(url).netloc or url).lower()


class MastodonCollector(SweepCollector):
    """Hashtag timelines (+ search) on every instance; see the module docstring."""

    source = SOURCE
    stable_tokens = True

    def __init__(
        self,
        clients: Mapping[str, Mastodon],
        pseudo: Pseudonymiser,
        gate: Any,
        *,
        search: bool = False,
        page_size: int = PAGE_SIZE,
    ) -> None:
        super().__init__(pseudo, gate)
        self.clients = dict(clients)
        self.search = search
        self.page_size = page_size

    def streams(self, brands: Sequence[Brand]) -> list[Stream]:
        streams = []
        for url in self.clients:
            host = instance_host(url)
            for brand in brands:
                for tag in mastodon_hashtags(brand):
                    streams.append(
                        Stream(f"{brand.slug}@{host}#{tag}", brand, {"instance": url, "tag": tag})
                    )
                if self.search:
                    streams.append(
                        Stream(
                            f"{brand.slug}@{host}?search",
                            brand,
                            {"instance": url, "q": mastodon_search(brand)},
                            ordered=False,
                        )
                    )
        return streams

    def fetch(self, stream: Stream, bounds: Bounds, token: str | None) -> Fetched:
        client = self.clients[stream.params["instance"]]
        if "tag" in stream.params:
            statuses = client.timeline_hashtag(
                stream.params["tag"], max_id=token or bounds.upper, limit=self.page_size
            )
            items = list(statuses or [])
            last = items[-1].get("id") if items and isinstance(items[-1], Mapping) else None
            return Fetched(
                items=items,
                next_token=str(last) if last is not None else None,
                context=instance_host(stream.params["instance"]),
            )
        offset = int(token or 0)
        result = client.search_v2(
            stream.params["q"],
            result_type="statuses",
            resolve=False,
            offset=offset,
            limit=self.page_size,
        )
        items = list(opt_obj(result, "search result").get("statuses") or [])
        return Fetched(
            items=items,
            next_token=str(offset + len(items)) if items else None,
            context=instance_host(stream.params["instance"]),
        )

    def parse(self, item: Any, fetched: Fetched) -> Post | None:
        return parse_status(item, self.pseudo, instance=fetched.context)

    def item_ref(self, item: Any) -> str | None:
        """A broken status's reference in quarantine: its id as stored statuses have it (the
        ``uri`` names the account), else its local id."""
        if not isinstance(item, Mapping):
            return None
        uri = item.get("uri")
        if isinstance(uri, str):
            try:
                return mastodon_status_id(uri)
            except InputError:
                pass
        local = item.get("id")
        return str(local) if isinstance(local, str | int) and not isinstance(local, bool) else None
