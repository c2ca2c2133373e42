"""Work queues: classify and the thread pass find their work in O(new posts) (issue #16).

An incremental night (1,000 new posts over a 100k-post day) cost 3.2-3.8x the clean night per
post. Two fixed costs grew with the whole warehouse whatever was new: finding pending work
probed every post of the window for its labels (1.0 s), and the thread pass walked every reply
of the warehouse, three times a run (0.8 s). Both now read queues that statement-level triggers
fill in the writer's own transaction (transition tables: a statement that changed no row queues
nothing):

- ``classify_queue``: a post that may miss a label. Queued when a post is inserted (its
  sentiment), when a mention is inserted (its advocacy, inherited ones included) and when a
  label is deleted (a user clearing labels by hand); TRUNCATE of the labels queues every post.
  A new model version makes everything pending: ``warehouse.classifications.sync_queue``
  queues every post once when the versions differ from those the queue was last complete for.
- ``thread_queue``: a post whose thread position or mentions changed (inserted, updated or
  deleted posts; direct mentions inserted; mentions updated or deleted, which covers a loader
  turning an inherited row into a direct one), by ``(source, source_id)`` so that a deleted
  post still names the replies below it. The inherited rows the pass inserts are not queued
  (every night would re-walk them); its rare moves and drops are, and settle on the next pass.
  Until the pass has once run over the whole warehouse (``warehouse.threads``), it does so.

Consumers delete exactly the queue rows they read, in the transaction that writes their work
(the thread pass) or after it (classify), so a row committed while they work is kept for the
next run. ``ix_posts_parent`` lets the pass walk down
from a changed post to the replies below it.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FUNCTIONS = (
    """
    CREATE OR REPLACE FUNCTION public.grapevine_queue_new_posts() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO public.classify_queue (post_id) SELECT id FROM changed;
        INSERT INTO public.thread_queue (source, source_id) SELECT source, source_id FROM changed;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE OR REPLACE FUNCTION public.grapevine_queue_changed_posts() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO public.thread_queue (source, source_id) SELECT source, source_id FROM changed;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE OR REPLACE FUNCTION public.grapevine_queue_new_mentions() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO public.classify_queue (post_id) SELECT post_id FROM changed;
        INSERT INTO public.thread_queue (source, source_id)
        SELECT p.source, p.source_id FROM changed AS c JOIN public.posts AS p ON p.id = c.post_id
        WHERE NOT c.inherited;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE OR REPLACE FUNCTION public.grapevine_queue_changed_mentions() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO public.thread_queue (source, source_id)
        SELECT p.source, p.source_id FROM changed AS c JOIN public.posts AS p ON p.id = c.post_id;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE OR REPLACE FUNCTION public.grapevine_queue_removed_labels() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO public.classify_queue (post_id)
        SELECT DISTINCT c.post_id FROM changed AS c
        WHERE EXISTS (SELECT 1 FROM public.posts AS p WHERE p.id = c.post_id);
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE OR REPLACE FUNCTION public.grapevine_queue_all_posts() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO public.classify_queue (post_id) SELECT id FROM public.posts;
        RETURN NULL;
    END
    $$
    """,
)

#: (trigger name, table, event, transition table, function)
_TRIGGERS = (
    ("queue_insert", "posts", "INSERT", "NEW", "grapevine_queue_new_posts"),
    ("queue_update", "posts", "UPDATE", "NEW", "grapevine_queue_changed_posts"),
    ("queue_delete", "posts", "DELETE", "OLD", "grapevine_queue_changed_posts"),
    ("queue_insert", "post_brands", "INSERT", "NEW", "grapevine_queue_new_mentions"),
    ("queue_update", "post_brands", "UPDATE", "NEW", "grapevine_queue_changed_mentions"),
    ("queue_delete", "post_brands", "DELETE", "OLD", "grapevine_queue_changed_mentions"),
    ("queue_delete", "classifications", "DELETE", "OLD", "grapevine_queue_removed_labels"),
)


def upgrade() -> None:
    op.create_table(
        "classify_queue",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("post_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["posts.id"],
            name=op.f("fk_classify_queue_post_id_posts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_classify_queue")),
    )
    op.create_index("ix_classify_queue_post_id", "classify_queue", ["post_id"])
    op.create_table(
        "thread_queue",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("source_id", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_thread_queue")),
    )
    op.create_index("ix_posts_parent", "posts", ["source", "parent_id"])
    for function in _FUNCTIONS:
        op.execute(function)
    for name, table, event, side, function in _TRIGGERS:
        op.execute(
            f"CREATE TRIGGER {name} AFTER {event} ON public.{table}"
            f" REFERENCING {side} TABLE AS changed FOR EACH STATEMENT"
            f" EXECUTE FUNCTION public.{function}()"
        )
    op.execute(
        "CREATE TRIGGER queue_truncate AFTER TRUNCATE ON public.classifications"
        " FOR EACH STATEMENT EXECUTE FUNCTION public.grapevine_queue_all_posts()"
    )
    # The analyst role reads every public table (0004's default privileges); queues are
    # plumbing, not analytics, but reading them does no harm.


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS queue_truncate ON public.classifications")
    for name, table, *_ in _TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON public.{table}")
    for function in (
        "grapevine_queue_new_posts",
        "grapevine_queue_changed_posts",
        "grapevine_queue_new_mentions",
        "grapevine_queue_changed_mentions",
        "grapevine_queue_removed_labels",
        "grapevine_queue_all_posts",
    ):
        op.execute(f"DROP FUNCTION IF EXISTS public.{function}()")
    op.drop_index("ix_posts_parent", table_name="posts")
    op.drop_table("thread_queue")
    op.drop_table("classify_queue")
    op.execute("DELETE FROM stage_state WHERE stage IN ('classify_queue', 'thread_queue')")
