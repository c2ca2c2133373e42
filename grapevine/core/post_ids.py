"""Post ids that name nobody: how Bluesky and Mastodon posts are keyed (issue #12).

A post's id is the warehouse key ``(source, source_id)`` and what replies point at
(``parent_id``/``thread_id``, which ``warehouse.threads`` follows), so it must be stable across
runs and computable for a parent from what its reply carries. The ids the APIs hand out name the
author (``at://<did>/...``, ``https://host/users/<name>/statuses/<id>``), which would undo the
pseudonymous ``author_key``. These pure functions build ids without the author; the collectors
and migration 0007 (which rewrites rows stored before) share them, so both write the same ids.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from grapevine.core.errors import InputError
from grapevine.core.privacy import Pseudonymiser

BLUESKY_POST = "app.bsky.feed.post"


def bluesky_post_id(pseudo: Pseudonymiser, source: str, uri: str) -> str:
    """``at://<did>/app.bsky.feed.post/<rkey>`` -> ``<author_key>/<rkey>``.

    An rkey is unique only within its author's repository, so the author stays in the id, as
    the same keyed hash that ``author_key`` holds (``pseudo.author_key(source, did)``): a post,
    its parent and its root map the same way wherever they appear. The collection segment is
    kept only when it is not a post (search results and reply references are always posts).
    Raises :class:`InputError` for anything but an ``at://`` record URI.
    """
    if not uri.startswith("at://"):
        raise InputError(f"uri {uri[:60]!r} is not an at:// post URI")
    parts = uri[len("at://") :].split("/")
    if len(parts) != 3 or not all(parts):
        raise InputError(f"uri {uri[:60]!r} is not an at:// post URI")
    repo, collection, rkey = parts
    key = pseudo.author_key(source, repo)
    return f"{key}/{rkey}" if collection == BLUESKY_POST else f"{key}/{collection}/{rkey}"


def mastodon_status_id(uri: str) -> str:
    """A status's ActivityPub ``uri`` -> ``<origin host>/<id>``, e.g. ``mastodon.social/1098…``.

    The ``uri`` is global: a status federated to several instances has one ``uri`` and a
    different local ``id`` on each, so keying by it stores the status once however many
    configured instances return it. It names the account (``/users/<name>/statuses/<id>``,
    ``/@<name>/<id>``, Pixelfed's ``/p/<name>/<id>``); the host and the last segment, the id
    its origin gave it, do not. A two-segment path whose first segment is a collection, not an
    account (Misskey ``/notes/<id>``, Lemmy ``/post/<n>`` and ``/comment/<n>``), keeps it, as
    those ids are unique per collection only. On the status's own instance the id is its
    local ``id``, so ``mastodon_reply_ref(host, in_reply_to_id)`` equals it there.
    """
    parts = urlsplit(uri.strip())
    segments = [s for s in parts.path.split("/") if s]
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or not segments:
        raise InputError(f"status uri {uri[:60]!r} is not an http(s) URL with a path")
    host = parts.netloc.lower()
    if len(segments) == 2 and not segments[0].startswith("@"):
        return f"{host}/{segments[0]}/{segments[1]}"
    return f"{host}/{segments[-1]}"


def mastodon_reply_ref(instance_host: str, in_reply_to_id: str) -> str:
    """A reply's ``in_reply_to_id`` -> the parent's id, as :func:`mastodon_status_id` gives it.

    ``in_reply_to_id`` is the parent's local id on the instance that was queried, so prefixed
    with that instance's host it equals the parent's id whenever the parent was posted there.
    A parent from another instance has another id there and stays unlinked: its ``uri`` would
    take one more request per reply to learn.
    """
    return f"{instance_host.strip().lower()}/{in_reply_to_id}"
