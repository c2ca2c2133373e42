"""Change log and stage state: a rerun with nothing new skips what it would only redo (issue #16).

A no-op nightly run over a 100k-post history spent about 5 of its 8-10 s recomputing what had
not changed: the report (3 s), the day metrics (1 s) and the outcome day counts (1 s). Each
watched table now gets statement-level triggers that append one ``change_log`` row per
statement that changed at least one row (transition tables: an ``INSERT … ON CONFLICT DO
NOTHING`` that inserted nothing logs nothing). The sums per table are a version that moves
with every committed change, whatever the commit order, and appending never makes two writers
wait on each other (a counter row updated in place would have serialised them, and deadlocked
writers that touch two tables in opposite orders). ``stage_state`` keeps, per stage and scope,
the sums a stage saw; ``warehouse.changes`` compares them.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Every table a stage reads to compute something it stores or writes out. Frozen here, as a
#: migration's content must be; the code reads ``warehouse.changes.WATCHED``.
WATCHED = (
    "brands",
    "posts",
    "post_brands",
    "classifications",
    "model_versions",
    "brand_daily_metrics",
    "alerts",
    "quarantine",
    "outcome_discoveries",
    "outcomes",
    "outcome_versions",
    "post_embeddings",
    "post_outcomes",
    "outcome_daily",
)

_LOG_ROWS = """
CREATE OR REPLACE FUNCTION public.grapevine_log_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM changed) THEN
        INSERT INTO public.change_log (table_name) VALUES (TG_TABLE_NAME);
    END IF;
    RETURN NULL;
END
$$
"""

_LOG_TRUNCATE = """
CREATE OR REPLACE FUNCTION public.grapevine_log_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO public.change_log (table_name) VALUES (TG_TABLE_NAME);
    RETURN NULL;
END
$$
"""

#: (event, transition table): one trigger each, since a trigger with transition tables may
#: have only one event.
_EVENTS = (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD"))


def upgrade() -> None:
    op.create_table(
        "change_log",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("table_name", sa.Text(), nullable=False),
        sa.Column("changes", sa.BigInteger(), server_default=sa.text("1"), nullable=False),
        sa.Column(
            "logged_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_log")),
    )
    op.create_table(
        "stage_state",
        sa.Column("stage", sa.Text(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("state", JSONB(), nullable=False),
        sa.Column(
            "done_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("stage", "scope", name=op.f("pk_stage_state")),
    )
    op.execute(_LOG_ROWS)
    op.execute(_LOG_TRUNCATE)
    for table in WATCHED:
        for event, side in _EVENTS:
            op.execute(
                f"CREATE TRIGGER log_{event.lower()} AFTER {event} ON public.{table}"
                f" REFERENCING {side} TABLE AS changed FOR EACH STATEMENT"
                " EXECUTE FUNCTION public.grapevine_log_change()"
            )
        op.execute(
            f"CREATE TRIGGER log_truncate AFTER TRUNCATE ON public.{table}"
            " FOR EACH STATEMENT EXECUTE FUNCTION public.grapevine_log_truncate()"
        )


def downgrade() -> None:
    for table in WATCHED:
        for event in ("insert", "update", "delete", "truncate"):
            op.execute(f"DROP TRIGGER IF EXISTS log_{event} ON public.{table}")
    op.execute("DROP FUNCTION IF EXISTS public.grapevine_log_change()")
    op.execute("DROP FUNCTION IF EXISTS public.grapevine_log_truncate()")
    op.drop_table("stage_state")
    op.drop_table("change_log")
