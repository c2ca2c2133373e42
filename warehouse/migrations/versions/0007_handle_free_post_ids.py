"""Post ids that name nobody: Bluesky and Mastodon rows rewritten to the new keys (issue #12).

Collectors now key these posts without their author (``grapevine.core.post_ids``): Bluesky
``at://<did>/app.bsky.feed.post/<rkey>`` becomes ``<author_key>/<rkey>``, Mastodon
``https://host/users/<name>/statuses/<id>`` becomes ``host/<id>``, and a Mastodon reply's
``parent_id`` (the parent's bare local id) becomes ``<instance host>/<id>``. This revision
rewrites ``source_id``, ``parent_id`` and ``thread_id`` of the rows stored before, with the
same functions, so that the next collect updates these rows instead of adding new ones.

Bluesky needs the author hash key the posts were collected with (``GRAPEVINE_AUTHOR_HASH_KEY``,
else ``author_hash.key`` in ``GRAPEVINE_DATA_DIR``), from the settings that
``warehouse.migrate.upgrade`` passes, else from the environment. Without it the revision fails
and says what to set; it never makes up a new key (the ids would then match nothing).

Mastodon replies: the instance a reply was read from is not stored, but a status read from its
own instance has the same local id as its uri (``raw->>'id'``, kept by the scrub), which names
the host. Otherwise the parent is looked up among stored statuses of their own instance with
that local id, the only ones the new ``parent_id`` can link to. A reply with neither keeps its
bare id (it links nothing, as before) until its next collect writes the instance in.

Two rows that get the same id (the same post stored under two ids, e.g. a Mastodon status once
by ``uri`` and once by ``url``) are one post stored twice: the older row (lowest ``id``, with
its brand rows and labels) is kept and the others are deleted, with what cascades from them.

Cursors of the two sources lose their ``high_water_id`` (an old id; these collectors page by
time and status id, not by it).

Downgrade is a no-op: the DIDs and account names are not stored anywhere, so the old ids
cannot be restored (one-way). An older Grapevine would store its next collect of these posts
beside the rewritten rows.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-17
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, cast

from alembic import op
from psycopg2.extensions import connection as PgConnection  # noqa: N812
from psycopg2.extras import execute_values
from sqlalchemy import Connection, text

from grapevine.core.errors import ConfigError, InputError
from grapevine.core.post_ids import bluesky_post_id, mastodon_reply_ref, mastodon_status_id
from grapevine.core.privacy import Pseudonymiser, existing_key
from grapevine.core.settings import Settings

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger(__name__)

BLUESKY, MASTODON = "bluesky", "mastodon"

#: post id -> (source_id, parent_id, thread_id) as they should be
Rewrite = dict[int, tuple[str, str | None, str | None]]


def upgrade() -> None:
    conn = op.get_bind()
    for source, rewrite in ((BLUESKY, _bluesky(conn)), (MASTODON, _mastodon(conn))):
        if rewrite:
            _apply(conn, source, rewrite)
    conn.execute(
        text(
            "UPDATE collector_state SET cursor = cursor - 'high_water_id'"
            " || jsonb_build_object('high_water_id', null)"
            " WHERE source IN (:b, :m) AND cursor ? 'high_water_id'"
        ),
        {"b": BLUESKY, "m": MASTODON},
    )


def downgrade() -> None:
    """Nothing: the old ids named their authors, who are no longer stored (see above)."""


def _settings() -> Settings:
    given = op.get_context().config.attributes.get("settings")
    return given if isinstance(given, Settings) else Settings()


def _bluesky(conn: Connection) -> Rewrite:
    rows = conn.execute(
        text(
            "SELECT id, source_id, parent_id, thread_id FROM posts WHERE source = :s"
            " AND (source_id LIKE 'at://%' OR parent_id LIKE 'at://%' OR thread_id LIKE 'at://%')"
        ),
        {"s": BLUESKY},
    ).all()
    if not rows:
        return {}
    key = existing_key(_settings())
    if key is None:
        raise ConfigError(
            f"migration 0007 must rewrite the ids of {len(rows)} Bluesky posts with the author"
            " hash key they were collected with, and no key is configured",
            hint="set GRAPEVINE_AUTHOR_HASH_KEY (or GRAPEVINE_DATA_DIR to the folder with"
            " author_hash.key) as for `grapevine collect`, then run `grapevine init-db` again",
        )
    pseudo = Pseudonymiser(key)

    def new(value: str | None) -> str | None:
        if value is None or not value.startswith("at://"):
            return value
        try:
            return bluesky_post_id(pseudo, BLUESKY, value)
        except InputError:  # not a record URI: a keyed hash still names nobody
            return pseudo.author_key(BLUESKY, value)

    return {r.id: (cast(str, new(r.source_id)), new(r.parent_id), new(r.thread_id)) for r in rows}


def _mastodon(conn: Connection) -> Rewrite:
    rows = conn.execute(
        text(
            "SELECT id, source_id, parent_id, thread_id, raw->>'id' AS local_id FROM posts"
            " WHERE source = :s AND source_id ~* '^https?://'"
        ),
        {"s": MASTODON},
    ).all()
    status_ids: dict[int, str] = {}
    home: dict[int, str] = {}  # rows read from their own instance -> that instance's host
    on_home_by_local_id: dict[str, set[str]] = {}
    for r in rows:
        try:
            status_ids[r.id] = mastodon_status_id(r.source_id)
        except InputError:
            log.warning("mastodon post %s: its id is not a status uri; left as it is", r.id)
            continue
        host, _, last = status_ids[r.id].rpartition("/")
        if r.local_id is not None and last == r.local_id:
            home[r.id] = host
            on_home_by_local_id.setdefault(r.local_id, set()).add(status_ids[r.id])

    def parent(row: Any) -> str | None:
        value = row.parent_id
        if value is None or "/" in value:
            return value
        if row.id in home:
            return mastodon_reply_ref(home[row.id], value)
        found = on_home_by_local_id.get(value, set())
        return next(iter(found)) if len(found) == 1 else value

    def thread(value: str | None) -> str | None:
        if value is None or not value.lower().startswith(("http://", "https://")):
            return value
        try:
            return mastodon_status_id(value)
        except InputError:
            return None

    return {
        r.id: (status_ids[r.id], parent(r), thread(r.thread_id)) for r in rows if r.id in status_ids
    }


def _apply(conn: Connection, source: str, rewrite: Rewrite) -> None:
    """Write ``rewrite``, first deleting the younger of rows that would share an id."""
    final = {
        r.id: r.source_id
        for r in conn.execute(
            text("SELECT id, source_id FROM posts WHERE source = :s"), {"s": source}
        )
    }
    final.update({pid: ids[0] for pid, ids in rewrite.items()})
    owner: dict[str, int] = {}
    doubles: list[int] = []
    for pid in sorted(final):
        if final[pid] in owner:
            doubles.append(pid)
        else:
            owner[final[pid]] = pid
    if doubles:
        log.warning(
            "%s: %d posts were stored twice under different ids; the older rows are kept",
            source,
            len(doubles),
        )
        conn.execute(text("DELETE FROM posts WHERE id = ANY(:ids)"), {"ids": doubles})
    dropped = set(doubles)
    values = [(pid, *ids) for pid, ids in rewrite.items() if pid not in dropped]
    conn.execute(
        text(
            "CREATE TEMP TABLE _post_ids (id bigint PRIMARY KEY, source_id text,"
            " parent_id text, thread_id text) ON COMMIT DROP"
        )
    )
    with cast(PgConnection, conn.connection.dbapi_connection).cursor() as cur:
        execute_values(cur, "INSERT INTO _post_ids VALUES %s", values, page_size=5_000)
    conn.execute(
        text(
            "UPDATE posts AS p SET source_id = n.source_id, parent_id = n.parent_id,"
            " thread_id = n.thread_id FROM _post_ids AS n WHERE p.id = n.id"
        )
    )
    conn.execute(text("DROP TABLE _post_ids"))
    log.info("%s: %d post ids rewritten without their authors", source, len(values))
