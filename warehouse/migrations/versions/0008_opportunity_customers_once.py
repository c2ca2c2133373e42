"""analytics.outcome_opportunity counts each brand's (and set's) customers once (issue #16).

The function's ``brand_customers`` and ``set_customers`` are each read once, so PostgreSQL
inlined them, and with statistics it planned them on the inner side of a nested loop: the
distinct-customer count over every mention of the window ran again for each outcome row (187
and 47 times on a 20k-post night: 2.3 s of the report's 2.8 s, growing with history).
``MATERIALIZED`` computes each once: 0.25 s for the same rows and the same result. The body is
otherwise revision 0006's, rewritten here (not copied) so that the two cannot drift.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path

from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ONCE = ("brand_customers as (", "set_customers as (")


def _function_0006() -> str:
    path = Path(__file__).with_name("0006_outcomes.py")
    spec = importlib.util.spec_from_file_location("grapevine_migration_0006", path)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot read {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    body: str = module.OPPORTUNITY_FUNCTION
    if any(body.count(cte) != 1 for cte in _ONCE):
        raise RuntimeError("revision 0006's outcome_opportunity is not the expected text")
    # the analytics views that call the function stay in place: same signature, new body
    return body.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)


def upgrade() -> None:
    body = _function_0006()
    for cte in _ONCE:
        body = body.replace(cte, cte.replace(" as (", " as materialized ("))
    op.execute(body)


def downgrade() -> None:
    op.execute(_function_0006())
