"""Initial schema: brands, posts, mentions, classifications, metrics, alerts, state, quarantine.

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "brands",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("slug", sa.Text(), nullable=False),
        sa.Column(
            "aliases",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column("query", sa.Text(), nullable=True),
        sa.Column(
            "owned_handles",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "competitors",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_brands")),
        sa.UniqueConstraint("name", name=op.f("uq_brands_name")),
        sa.UniqueConstraint("slug", name=op.f("uq_brands_slug")),
    )
    op.create_table(
        "collector_state",
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column(
            "cursor",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("source", "scope", name=op.f("pk_collector_state")),
    )
    op.create_table(
        "posts",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("source_id", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("author_key", sa.Text(), nullable=True),
        sa.Column("author_handle", sa.Text(), nullable=True),
        sa.Column("author_followers", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("lang", sa.Text(), nullable=True),
        sa.Column("parent_id", sa.Text(), nullable=True),
        sa.Column("thread_id", sa.Text(), nullable=True),
        sa.Column("likes", sa.BigInteger(), nullable=True),
        sa.Column("replies", sa.BigInteger(), nullable=True),
        sa.Column("reposts", sa.BigInteger(), nullable=True),
        sa.Column("score", sa.BigInteger(), nullable=True),
        sa.Column("is_c2c", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column(
            "raw",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("content_hash", sa.Text(), nullable=False),
        sa.Column(
            "collected_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_posts")),
        sa.UniqueConstraint("source", "source_id", name=op.f("uq_posts_source_source_id")),
    )
    op.create_index("ix_posts_author_key", "posts", ["author_key"], unique=False)
    op.create_index("ix_posts_created_at", "posts", ["created_at"], unique=False)
    op.create_index("ix_posts_thread", "posts", ["source", "thread_id"], unique=False)
    op.create_table(
        "quarantine",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("source_ref", sa.Text(), nullable=True),
        sa.Column("line_no", sa.BigInteger(), nullable=True),
        sa.Column("source_id", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarantine")),
        sa.UniqueConstraint("fingerprint", name=op.f("uq_quarantine_fingerprint")),
    )
    op.create_index(
        "ix_quarantine_source_created_at", "quarantine", ["source", "created_at"], unique=False
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("brand_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("observed", sa.Float(), nullable=True),
        sa.Column("expected", sa.Float(), nullable=True),
        sa.Column("share", sa.Float(), nullable=True),
        sa.Column("baseline_share", sa.Float(), nullable=True),
        sa.Column("p_value", sa.Float(), nullable=True),
        sa.Column("severity", sa.Integer(), nullable=True),
        sa.Column(
            "details",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivery_attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["brand_id"], ["brands.id"], name=op.f("fk_alerts_brand_id_brands"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
        sa.UniqueConstraint(
            "brand_id", "kind", "window_start", name=op.f("uq_alerts_brand_id_kind_window_start")
        ),
    )
    op.create_index(
        "ix_alerts_pending",
        "alerts",
        ["created_at"],
        unique=False,
        postgresql_where=sa.text("notified_at IS NULL"),
    )
    op.create_table(
        "brand_daily_metrics",
        sa.Column("brand_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("model_version", sa.Text(), nullable=True),
        sa.Column("mentions", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("unique_authors", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("positive", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("neutral", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("negative", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("advocacy", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("badvocacy", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("net_advocacy", sa.Float(), nullable=True),
        sa.Column("net_advocacy_low", sa.Float(), nullable=True),
        sa.Column("net_advocacy_high", sa.Float(), nullable=True),
        sa.Column("share_of_voice", sa.Float(), nullable=True),
        sa.Column("reach", sa.BigInteger(), nullable=True),
        sa.Column("engagement", sa.BigInteger(), nullable=True),
        sa.Column("net_advocacy_reach", sa.Float(), nullable=True),
        sa.Column("net_advocacy_engagement", sa.Float(), nullable=True),
        sa.Column(
            "computed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["brand_id"],
            ["brands.id"],
            name=op.f("fk_brand_daily_metrics_brand_id_brands"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("brand_id", "day", "source", name=op.f("pk_brand_daily_metrics")),
    )
    op.create_index("ix_brand_daily_metrics_day", "brand_daily_metrics", ["day"], unique=False)
    op.create_table(
        "classifications",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("post_id", sa.BigInteger(), nullable=False),
        sa.Column("brand_id", sa.Integer(), nullable=True),
        sa.Column("task", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column(
            "probs",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("lang", sa.Text(), nullable=True),
        sa.Column("model_name", sa.Text(), nullable=False),
        sa.Column("model_version", sa.Text(), nullable=False),
        sa.Column(
            "classified_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["brand_id"],
            ["brands.id"],
            name=op.f("fk_classifications_brand_id_brands"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["posts.id"],
            name=op.f("fk_classifications_post_id_posts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_classifications")),
        sa.UniqueConstraint(
            "post_id",
            "brand_id",
            "task",
            "model_version",
            name=op.f("uq_classifications_post_id_brand_id_task_model_version"),
            postgresql_nulls_not_distinct=True,
        ),
    )
    op.create_index(
        "ix_classifications_brand_task_version",
        "classifications",
        ["brand_id", "task", "model_version"],
        unique=False,
    )
    op.create_table(
        "post_brands",
        sa.Column("post_id", sa.BigInteger(), nullable=False),
        sa.Column("brand_id", sa.Integer(), nullable=False),
        sa.Column("mention_start", sa.Integer(), nullable=True),
        sa.Column("mention_end", sa.Integer(), nullable=True),
        sa.Column("matched_alias", sa.Text(), nullable=True),
        sa.Column("brand_owned", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand_id"],
            ["brands.id"],
            name=op.f("fk_post_brands_brand_id_brands"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_post_brands_post_id_posts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("post_id", "brand_id", name=op.f("pk_post_brands")),
    )
    op.create_index(
        "ix_post_brands_brand_id_post_id", "post_brands", ["brand_id", "post_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_post_brands_brand_id_post_id", table_name="post_brands")
    op.drop_table("post_brands")
    op.drop_index("ix_classifications_brand_task_version", table_name="classifications")
    op.drop_table("classifications")
    op.drop_index("ix_brand_daily_metrics_day", table_name="brand_daily_metrics")
    op.drop_table("brand_daily_metrics")
    op.drop_index(
        "ix_alerts_pending", table_name="alerts", postgresql_where=sa.text("notified_at IS NULL")
    )
    op.drop_table("alerts")
    op.drop_index("ix_quarantine_source_created_at", table_name="quarantine")
    op.drop_table("quarantine")
    op.drop_index("ix_posts_thread", table_name="posts")
    op.drop_index("ix_posts_created_at", table_name="posts")
    op.drop_index("ix_posts_author_key", table_name="posts")
    op.drop_table("posts")
    op.drop_table("collector_state")
    op.drop_table("brands")
