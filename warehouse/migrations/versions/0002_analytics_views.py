"""Analytics schema with the analyst views from sql/.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from warehouse.views import drop_views, install_views

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    install_views(op.get_bind())


def downgrade() -> None:
    drop_views(op.get_bind())
