"""Inherited mentions: a reply that names no brand counts toward the brand of the post it answers.

``post_brands.inherited`` marks a mention the reply did not write itself ("same here, mine
swelled too"): it was inherited from ``inherited_from_post_id``, the nearest ancestor in the
thread that names the brand. ``warehouse.threads`` maintains these rows; analysts filter on
``inherited`` to count only posts that name the brand. Direct mentions keep ``inherited =
false`` and a null source, which the check constraint holds together.

The source post's deletion takes the inherited rows with it (the reply then has nothing to be
about); the partial index serves that cascade and the stale-row clean-up.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "post_brands",
        sa.Column("inherited", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.add_column(
        "post_brands", sa.Column("inherited_from_post_id", sa.BigInteger(), nullable=True)
    )
    op.create_foreign_key(
        op.f("fk_post_brands_inherited_from_post_id_posts"),
        "post_brands",
        "posts",
        ["inherited_from_post_id"],
        ["id"],
        ondelete="CASCADE",
    )
    op.create_check_constraint(
        op.f("ck_post_brands_inherited_has_source"),
        "post_brands",
        "inherited = (inherited_from_post_id IS NOT NULL)",
    )
    op.create_index(
        "ix_post_brands_inherited_from_post_id",
        "post_brands",
        ["inherited_from_post_id"],
        unique=False,
        postgresql_where=sa.text("inherited_from_post_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_post_brands_inherited_from_post_id",
        table_name="post_brands",
        postgresql_where=sa.text("inherited_from_post_id IS NOT NULL"),
    )
    # Inherited rows mean nothing without the flag: drop them rather than pass them off as
    # mentions the replies made themselves.
    op.execute("DELETE FROM post_brands WHERE inherited")
    op.drop_constraint(op.f("ck_post_brands_inherited_has_source"), "post_brands", type_="check")
    op.drop_constraint(
        op.f("fk_post_brands_inherited_from_post_id_posts"), "post_brands", type_="foreignkey"
    )
    op.drop_column("post_brands", "inherited_from_post_id")
    op.drop_column("post_brands", "inherited")
