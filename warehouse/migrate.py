"""Run Alembic migrations programmatically (``grapevine init-db``, tests, the demo).

The Alembic config is built in code from the package location, so migrations work the same from
a source checkout, an installed wheel or a Docker image, without an ``alembic.ini`` on disk.
A Postgres advisory lock serialises concurrent upgrades (several Airflow workers starting at once).
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

from grapevine.core.settings import Settings
from warehouse.views import drop_views, install_views

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_LOCK_KEY = 0x67726170  # "grap": an arbitrary constant shared by every Grapevine process


def alembic_config(
    connection: Connection | None = None, settings: Settings | None = None
) -> Config:
    """The config; ``settings`` reach migrations that need them as ``attributes["settings"]``
    (0007 reads the author hash key there; without them it reads the environment)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    if settings is not None:
        cfg.attributes["settings"] = settings
    return cfg


def upgrade(engine: Engine, revision: str = "head", *, settings: Settings | None = None) -> None:
    """Bring the schema to ``revision`` (default: the latest), safely under concurrency.

    At head, the analyst views are recreated from ``sql/`` in the same transaction.
    ``settings`` are those of the deployment (``GRAPEVINE_*`` from the environment if omitted).
    """
    with engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
        # Views depend on tables that migrations may alter: take them away first.
        if _has_analytics_schema(conn):
            drop_views(conn)
        command.upgrade(alembic_config(conn, settings), revision)
        if revision == "head" or revision == head_revision():
            install_views(conn)


def downgrade(engine: Engine, revision: str) -> None:
    with engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
        if _has_analytics_schema(conn):
            drop_views(conn)
        command.downgrade(alembic_config(conn), revision)


def _has_analytics_schema(conn: Connection) -> bool:
    found = conn.execute(
        text("SELECT 1 FROM information_schema.schemata WHERE schema_name = 'analytics'")
    )
    return found.first() is not None


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def is_up_to_date(engine: Engine) -> bool:
    return current_revision(engine) == head_revision()
