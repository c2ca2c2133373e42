"""Install the analyst views of ``sql/`` into the ``analytics`` schema.

Views are layered like dbt models (staging -> intermediate -> marts): each ``.sql`` file holds
one ``select``, and its file name is the view's name. Migrations call :func:`install_views`
whenever a view changes, so the database always matches the files shipped with the code.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable

from sqlalchemy import Connection, text

SCHEMA = "analytics"
LAYERS = ("staging", "intermediate", "marts")


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


def install_views(conn: Connection) -> list[str]:
    """(Re)create every view; returns their names. Runs inside the caller's transaction."""
    conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}"))
    views = view_files()
    # Drop first (in reverse order) so that a view whose columns changed can be recreated.
    for name, _ in reversed(views):
        conn.execute(text(f"DROP VIEW IF EXISTS {SCHEMA}.{name} CASCADE"))
    for name, body in views:
        conn.execute(text(f"CREATE VIEW {SCHEMA}.{name} AS\n{body.strip().rstrip(';')}"))
    return [name for name, _ in views]


def drop_views(conn: Connection) -> None:
    conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
