"""The analytics schema that holds the analyst views.

The views themselves are repeatable, not versioned: ``warehouse.migrate.upgrade`` recreates them
from ``sql/`` after every upgrade to head (like Flyway's repeatable migrations), so a versioned
migration never depends on a view file that a later commit changed.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE SCHEMA IF NOT EXISTS analytics")


def downgrade() -> None:
    op.execute("DROP SCHEMA IF EXISTS analytics CASCADE")
