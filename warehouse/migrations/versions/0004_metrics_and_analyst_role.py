"""Metric columns for weighted net advocacy and share of voice; the read-only analyst role.

``brand_daily_metrics`` gains the components that weighted metrics need when analysts roll days
or sources up (a ratio of sums, never an average of ratios), the count of mentions the advocacy
model rated, and the sentiment model's version beside the advocacy one.

What each column means is written beside it below and in ``sql/metrics/brand_daily_metrics.sql``
(no COMMENT ON COLUMN: the models would have to repeat every comment to keep autogenerate quiet).

``grapevine_analyst`` may select the ``analytics`` views and nothing else. Roles are
cluster-wide while this migration runs per database (tests run many databases on one cluster at
once), so the role is created only when missing, tolerating a concurrent creator. Views run with
their owner's privileges, so the analyst reads through them exactly what they expose: no author
handles, no raw payloads. ``warehouse.views.install_views`` re-grants SELECT on the views every
time it recreates them. The role is NOLOGIN: give people their own login roles and
``GRANT grapevine_analyst TO alice``.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLE = "grapevine_analyst"

_INT_COLUMNS = {
    "rated": "C2C mentions with an advocacy label (advocacy, badvocacy or none): the "
    "denominator of net advocacy. Mentions labelled unsupported (a language the model does not "
    "handle) or not yet classified are counted in mentions only.",
    "unsupported": "C2C mentions whose advocacy label is 'unsupported' (language not handled).",
    "competitive_mentions": "C2C mentions of the brand and its watched competitors, same day "
    "and source: the denominator of share_of_voice.",
}
_BIGINT_COLUMNS = {
    "rated_reach": "Sum over rated mentions of (1 + author_followers).",
    "advocacy_reach": "Sum over advocacy mentions of (1 + author_followers).",
    "badvocacy_reach": "Sum over badvocacy mentions of (1 + author_followers).",
    "rated_engagement": "Sum over rated mentions of (1 + likes/score + replies + reposts).",
    "advocacy_engagement": "Sum over advocacy mentions of (1 + likes/score + replies + reposts).",
    "badvocacy_engagement": "Sum over badvocacy mentions of (1 + likes/score + replies + reposts).",
}
_FLOAT_COLUMNS = {
    "share_of_voice_reach": "Share of voice weighted by (1 + author_followers).",
    "share_of_voice_engagement": "Share of voice weighted by (1 + interactions).",
}


def upgrade() -> None:
    for name in _INT_COLUMNS:
        op.add_column(
            "brand_daily_metrics",
            sa.Column(name, sa.Integer(), server_default=sa.text("0"), nullable=False),
        )
    for name in _BIGINT_COLUMNS:
        op.add_column(
            "brand_daily_metrics",
            sa.Column(name, sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        )
    for name in _FLOAT_COLUMNS:
        op.add_column("brand_daily_metrics", sa.Column(name, sa.Float(), nullable=True))
    op.add_column(
        "brand_daily_metrics", sa.Column("sentiment_model_version", sa.Text(), nullable=True)
    )
    op.execute(
        f"""
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{ROLE}') THEN
                CREATE ROLE {ROLE} NOLOGIN;
            END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;  -- another database's migration created it at the same moment
        END
        $$
        """
    )
    op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {ROLE}")
    op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {ROLE}")
    op.execute(f"REVOKE CREATE ON SCHEMA public FROM {ROLE}")
    op.execute(f"GRANT USAGE ON SCHEMA analytics TO {ROLE}")
    op.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA analytics TO {ROLE}")


def downgrade() -> None:
    # Other databases on the cluster may still grant to the role: then it stays.
    op.execute(
        f"""
        DO $$
        BEGIN
            IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{ROLE}') THEN
                REVOKE ALL ON ALL TABLES IN SCHEMA analytics FROM {ROLE};
                REVOKE ALL ON SCHEMA analytics FROM {ROLE};
                BEGIN
                    DROP ROLE {ROLE};
                EXCEPTION WHEN dependent_objects_still_exist THEN
                    RAISE NOTICE 'role {ROLE} is still used by another database; kept';
                END;
            END IF;
        END
        $$
        """
    )
    op.drop_column("brand_daily_metrics", "sentiment_model_version")
    for name in (*_FLOAT_COLUMNS, *_BIGINT_COLUMNS, *_INT_COLUMNS):
        op.drop_column("brand_daily_metrics", name)
