"""Collector cursors: read before a run, written in the same transaction as the page they follow."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, text


def load_cursors(conn: Connection, source: str) -> dict[str, dict[str, Any]]:
    """``{scope: cursor}`` saved for ``source``."""
    rows = conn.execute(
        text("SELECT scope, cursor FROM collector_state WHERE source = :s"), {"s": source}
    )
    return {scope: cursor for scope, cursor in rows}


def save_cursor(conn: Connection, source: str, scope: str, cursor: dict[str, Any]) -> None:
    conn.execute(
        text(
            """
            INSERT INTO collector_state (source, scope, cursor, updated_at)
            VALUES (:source, :scope, CAST(:cursor AS jsonb), now())
            ON CONFLICT (source, scope) DO UPDATE SET cursor = EXCLUDED.cursor, updated_at = now()
            """
        ),
        {"source": source, "scope": scope, "cursor": json.dumps(cursor)},
    )
