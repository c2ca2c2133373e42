"""What every stage shares: the warehouse it runs against, and the shape of its summary.

A stage is a module with one entry point, ``run(engine, settings, window, **options) ->
Summary``. ``Summary`` is a small JSON-able dict of counts and ids: what the CLI prints and what
an Airflow XCom carries, never payloads (those belong in the warehouse). Nothing here reads the
clock: the window is always given, so retries and backfills compute what the first run did.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine

from grapevine.core.errors import WarehouseError
from grapevine.core.settings import Settings
from warehouse import migrate
from warehouse.engine import check_connection, make_engine

#: Counts and ids; JSON-serialisable. The CLI prints it, Airflow passes it as an XCom.
Summary = dict[str, Any]

#: Called with how many items (posts, bytes) were just done; the CLI draws its progress from it.
Progress = Callable[[int], None]


def init_db(engine: Engine, settings: Settings | None = None) -> str | None:
    """Run migrations to head; returns the revision the warehouse is now at."""
    migrate.upgrade(engine, settings=settings)
    return migrate.current_revision(engine)


def require_schema(engine: Engine) -> None:
    """Fail with a clear message when the warehouse has not been migrated."""
    try:
        current = migrate.current_revision(engine)
    except Exception as exc:
        raise WarehouseError(
            f"cannot reach the warehouse: {exc.__class__.__name__}: {exc}".splitlines()[0],
            hint="check GRAPEVINE_DATABASE_URL and that the server is running",
        ) from exc
    head = migrate.head_revision()
    if current is None:
        raise WarehouseError(
            "the warehouse is not initialised: run `grapevine init-db`",
            hint="init-db creates the tables and the analyst views, and is safe to rerun",
        )
    if current != head:
        raise WarehouseError(
            f"the warehouse schema is at revision {current}, this Grapevine needs {head}",
            hint="run `grapevine init-db` to upgrade it",
        )


@contextmanager
def warehouse(settings: Settings, *, migrate_first: bool = False) -> Iterator[Engine]:
    """An engine on the configured (or embedded) warehouse, disposed of afterwards.

    ``migrate_first`` upgrades the schema (``init-db``, the demo); otherwise a warehouse that is
    missing or behind fails at once with the command that fixes it.
    """
    engine = make_engine(settings)
    try:
        if migrate_first:
            check_connection(engine)
            init_db(engine, settings)
        else:
            require_schema(engine)
        yield engine
    finally:
        engine.dispose()
