"""Work queues: classify, outcomes and the thread pass find their work in O(new posts) (#16).

An incremental night (1,000 new posts over a 100k-post day) cost 3.2-3.8x the clean night per
post. Fixed costs grew with the whole warehouse whatever was new: finding pending work probed
every post of the window for its labels (1.0 s) and for its outcome (0.3 s), and the thread pass
walked every reply of the warehouse, three times a run (0.8 s). They now read queues that
statement-level triggers fill in the writer's own transaction (transition tables: a statement
that changed no row queues nothing); ``warehouse.queues`` says how consumers read them.

- ``classify_queue``: a post that may miss a label. Queued when a post is inserted (its
  sentiment), when a mention is inserted (its advocacy, inherited ones included) and when a
  label is deleted (a user clearing labels by hand); TRUNCATE of the labels queues every post.
  A new model version makes everything pending: the stage queues every post once when the
  versions differ from those the queue was last complete for (``warehouse.queues.sync``).
- ``outcome_queue``: a post that may need reading for outcomes. Queued when a post or a mention
  is inserted or changed (C2C and brand-owned flags decide whether it is read), a mention
  deleted, or an assignment deleted; TRUNCATE of the assignments queues every post; a new
  embedder queues every post once.
- ``thread_queue``: a post whose thread position or mentions changed (inserted, updated or
  deleted posts; direct mentions inserted; mentions updated or deleted, which covers a loader
  turning an inherited row into a direct one), by ``(source, source_id)`` so that a deleted
  post still names the replies below it. The inherited rows the pass inserts are not queued
  (every night would re-walk them); its rare moves and drops are, and settle on the next pass.
  Until the pass has once run over the whole warehouse (``warehouse.threads``), it does so.

Consumers delete exactly the queue rows they read, in the transaction that writes their work
(the thread pass) or after it (classify, outcomes), so a row committed while they work is kept
for the next run. ``ix_posts_parent`` lets the pass walk down from a changed post to the
replies below it.

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


def _function(name: str, body: str) -> str:
    return f"""
    CREATE OR REPLACE FUNCTION public.{name}() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
    {body}
        RETURN NULL;
    END
    $$
    """


# Statement-level bodies: ``changed`` is the transition table (NEW rows, or OLD for deletes).
# A row that names a post deleted in the same statement (a cascade) queues nothing for
# classify or outcomes: their queues reference posts.
_THREAD_POSTS = (
    "INSERT INTO public.thread_queue (source, source_id) SELECT source, source_id FROM changed;"
)
_THREAD_MENTIONS = """
    INSERT INTO public.thread_queue (source, source_id)
    SELECT p.source, p.source_id FROM changed AS c JOIN public.posts AS p ON p.id = c.post_id
"""
_LIVE = "FROM changed AS c WHERE EXISTS (SELECT 1 FROM public.posts AS p WHERE p.id = c.post_id)"

_FUNCTIONS = {
    "grapevine_queue_new_posts": f"""
        INSERT INTO public.classify_queue (post_id) SELECT id FROM changed;
        INSERT INTO public.outcome_queue (post_id) SELECT id FROM changed;
        {_THREAD_POSTS}""",
    "grapevine_queue_changed_posts": f"""
        INSERT INTO public.outcome_queue (post_id) SELECT id FROM changed;
        {_THREAD_POSTS}""",
    "grapevine_queue_deleted_posts": _THREAD_POSTS,
    "grapevine_queue_new_mentions": f"""
        INSERT INTO public.classify_queue (post_id) SELECT post_id FROM changed;
        INSERT INTO public.outcome_queue (post_id) SELECT post_id FROM changed;
        {_THREAD_MENTIONS} WHERE NOT c.inherited;""",
    "grapevine_queue_changed_mentions": f"""
        INSERT INTO public.outcome_queue (post_id) SELECT post_id FROM changed;
        {_THREAD_MENTIONS};""",
    "grapevine_queue_deleted_mentions": f"""
        INSERT INTO public.outcome_queue (post_id) SELECT DISTINCT c.post_id {_LIVE};
        {_THREAD_MENTIONS};""",
    "grapevine_queue_removed_labels": f"""
        INSERT INTO public.classify_queue (post_id) SELECT DISTINCT c.post_id {_LIVE};""",
    "grapevine_queue_removed_assignments": f"""
        INSERT INTO public.outcome_queue (post_id) SELECT DISTINCT c.post_id {_LIVE};""",
    "grapevine_queue_all_for_classify": """
        INSERT INTO public.classify_queue (post_id) SELECT id FROM public.posts;""",
    "grapevine_queue_all_for_outcomes": """
        INSERT INTO public.outcome_queue (post_id) SELECT id FROM public.posts;""",
}

#: (trigger name, table, event, transition table, function)
_TRIGGERS = (
    ("queue_insert", "posts", "INSERT", "NEW", "grapevine_queue_new_posts"),
    ("queue_update", "posts", "UPDATE", "NEW", "grapevine_queue_changed_posts"),
    ("queue_delete", "posts", "DELETE", "OLD", "grapevine_queue_deleted_posts"),
    ("queue_insert", "post_brands", "INSERT", "NEW", "grapevine_queue_new_mentions"),
    ("queue_update", "post_brands", "UPDATE", "NEW", "grapevine_queue_changed_mentions"),
    ("queue_delete", "post_brands", "DELETE", "OLD", "grapevine_queue_deleted_mentions"),
    ("queue_delete", "classifications", "DELETE", "OLD", "grapevine_queue_removed_labels"),
    ("queue_delete", "post_outcomes", "DELETE", "OLD", "grapevine_queue_removed_assignments"),
)
_TRUNCATES = (
    ("classifications", "grapevine_queue_all_for_classify"),
    ("post_outcomes", "grapevine_queue_all_for_outcomes"),
)


def upgrade() -> None:
    for queue in ("classify_queue", "outcome_queue"):
        op.create_table(
            queue,
            sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
            sa.Column("post_id", sa.BigInteger(), nullable=False),
            sa.ForeignKeyConstraint(
                ["post_id"], ["posts.id"], name=op.f(f"fk_{queue}_post_id_posts"),
                ondelete="CASCADE",
            ),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{queue}")),
        )  # fmt: skip
        op.create_index(f"ix_{queue}_post_id", queue, ["post_id"])
    op.create_table(
        "thread_queue",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("source_id", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_thread_queue")),
    )
    op.create_index("ix_posts_parent", "posts", ["source", "parent_id"])
    for name, body in _FUNCTIONS.items():
        op.execute(_function(name, body))
    for name, table, event, side, function in _TRIGGERS:
        op.execute(
            f"CREATE TRIGGER {name} AFTER {event} ON public.{table}"
            f" REFERENCING {side} TABLE AS changed FOR EACH STATEMENT"
            f" EXECUTE FUNCTION public.{function}()"
        )
    for table, function in _TRUNCATES:
        op.execute(
            f"CREATE TRIGGER queue_truncate AFTER TRUNCATE ON public.{table}"
            f" FOR EACH STATEMENT EXECUTE FUNCTION public.{function}()"
        )


def downgrade() -> None:
    for table, _ in _TRUNCATES:
        op.execute(f"DROP TRIGGER IF EXISTS queue_truncate ON public.{table}")
    for name, table, *_ in _TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON public.{table}")
    for name in _FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS public.{name}()")
    op.drop_index("ix_posts_parent", table_name="posts")
    op.drop_table("thread_queue")
    op.drop_table("outcome_queue")
    op.drop_table("classify_queue")
    op.execute(
        "DELETE FROM stage_state WHERE stage IN ('classify_queue', 'outcome_queue', 'thread_queue')"
    )
