"""Install the analyst views of ``sql/`` into the ``analytics`` schema.

Views are layered like dbt models (staging -> intermediate -> marts): each ``.sql`` file holds
one ``select``, and its file name is the view's name. They are *repeatable*: recreated from the
files after every upgrade to head, so the database always matches the SQL shipped with the code,
and re-granted to the read-only analyst role when it exists (which also takes CREATE on schema
``public`` away from PUBLIC, so the analyst cannot create tables there on PostgreSQL 14 and
older).
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable

from sqlalchemy import Connection, text

SCHEMA = "analytics"
LAYERS = ("staging", "intermediate", "marts")
ANALYST_ROLE = "grapevine_analyst"


def view_files() -> list[tuple[str, str]]:
    """``(view name, select statement)`` in dependency order: by layer, then by file name."""
    root = files("sql")
    found: list[tuple[str, str]] = []
    for layer in LAYERS:
        folder: Traversable = root / layer
        if not folder.is_dir():
            continue
        for entry in sorted(folder.iterdir(), key=lambda t: t.name):
            if entry.name.endswith(".sql"):
                found.append((entry.name[: -len(".sql")], entry.read_text(encoding="utf-8")))
    return found


def drop_views(conn: Connection) -> None:
    """Drop every view in the analytics schema (the schema itself stays)."""
    rows = conn.execute(
        text("SELECT table_name FROM information_schema.views WHERE table_schema = :s"),
        {"s": SCHEMA},
    )
    for (name,) in rows.fetchall():
        conn.execute(text(f'DROP VIEW IF EXISTS {SCHEMA}."{name}" CASCADE'))


def install_views(conn: Connection) -> list[str]:
    """(Re)create every view; returns their names. Runs inside the caller's transaction."""
    conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}"))
    drop_views(conn)
    views = view_files()
    for name, body in views:
        conn.execute(text(f"CREATE VIEW {SCHEMA}.{name} AS\n{body.strip().rstrip(';')}"))
    role_exists = conn.execute(
        text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": ANALYST_ROLE}
    ).first()
    if role_exists:
        conn.execute(text(f"GRANT SELECT ON ALL TABLES IN SCHEMA {SCHEMA} TO {ANALYST_ROLE}"))
        close_public_schema(conn)
    return [name for name, _ in views]


def close_public_schema(conn: Connection) -> None:
    """Take CREATE on schema ``public`` away from PUBLIC, i.e. from every role.

    Why: up to PostgreSQL 14 every role may create tables in ``public`` through PUBLIC, so the
    read-only analyst could too, whatever was revoked from the analyst role itself. Grapevine's
    own role owns its tables and needs no such grant. Idempotent, and harmless on PostgreSQL 15+
    where PUBLIC no longer has it; a role that is not allowed to change the schema's privileges
    gets a warning from PostgreSQL, not an error.
    """
    conn.execute(text("REVOKE CREATE ON SCHEMA public FROM PUBLIC"))
