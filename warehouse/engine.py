"""Where the warehouse lives: a configured PostgreSQL, or an embedded one for first runs.

Users paste URLs in many spellings (``postgres://``, ``postgresql://``, Airflow connection
URIs); SQLAlchemy 2.1 maps a bare ``postgresql://`` to psycopg 3, which we do not ship, so every
spelling is normalised to ``postgresql+psycopg2://``.
"""

from __future__ import annotations

import logging
import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from grapevine.errors import ConfigError, EmbeddedPostgresError, WarehouseError
from grapevine.settings import Settings

if TYPE_CHECKING:
    from pgserver.postgres_server import PostgresServer

log = logging.getLogger(__name__)

_SCHEMES = {
    "postgres": "postgresql+psycopg2",
    "postgresql": "postgresql+psycopg2",
    "postgresql+psycopg2": "postgresql+psycopg2",
    "postgresql+psycopg2cffi": "postgresql+psycopg2",
    "postgresql+psycopg": "postgresql+psycopg2",
}


def normalise_url(url: str) -> URL:
    """Parse a database URL in any common spelling and return it with the psycopg2 driver."""
    raw = url.strip()
    scheme, sep, _ = raw.partition("://")
    if not sep:
        raise ConfigError(
            f"database URL {_mask(raw)!r} has no scheme",
            hint="use postgresql://user:password@host:5432/dbname",
        )
    driver = _SCHEMES.get(scheme.lower())
    if driver is None:
        raise ConfigError(
            f"database URL scheme {scheme!r} is not PostgreSQL",
            hint="Grapevine's warehouse is PostgreSQL: use postgresql://user:password@host/db",
        )
    try:
        parsed = make_url(driver + raw[len(scheme) :])
    except ArgumentError as exc:
        raise ConfigError(f"cannot parse database URL {_mask(raw)!r}: {exc}") from exc
    except ValueError as exc:  # make_url's int() of a port such as "notaport"
        raise ConfigError(
            f"cannot parse database URL {_mask_unparsed(raw)!r}: the port must be a number",
            hint="set GRAPEVINE_DATABASE_URL to postgresql://user:password@host:5432/dbname",
        ) from exc
    # Airflow connection URIs may carry extras such as __extra__=...; psycopg2 would reject them.
    query = {k: v for k, v in parsed.query.items() if not k.startswith("__extra")}
    return parsed.set(query=query)


def _mask(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return _mask_unparsed(url)


def _mask_unparsed(url: str) -> str:
    """The URL with any password replaced by ``***``, without parsing the rest of it."""
    return re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", url)


def check_connection(engine: Engine) -> None:
    """Connect once; a server that is not there is a :class:`WarehouseError` saying what to check.

    Without this, ``init-db`` against a stopped server or a wrong host ends in a driver
    traceback instead of one line that names the server it tried.
    """
    try:
        with engine.connect():
            pass
    except DBAPIError as exc:
        said = str(exc.orig or exc).strip()
        reason = said.splitlines()[0] if said else type(exc.orig or exc).__name__
        raise WarehouseError(
            f"cannot connect to the warehouse at {engine.url.render_as_string()}: {reason}",
            hint="check GRAPEVINE_DATABASE_URL (host, port, database, user, password) and that"
            " the server is running",
        ) from exc


# --- embedded PostgreSQL ---------------------------------------------------------------------

_embedded_lock = threading.Lock()
_embedded: dict[Path, PostgresServer] = {}


def embedded_pgdata(settings: Settings) -> Path:
    return settings.data_dir / "pgdata"


def start_embedded(settings: Settings) -> URL:
    """Start (or attach to) the embedded PostgreSQL under the data folder and return its URL.

    The data folder persists, so the warehouse survives between runs; the server process stops
    when the last Grapevine process using it exits (pgserver's ``cleanup_mode="stop"``).
    """
    pgdata = embedded_pgdata(settings)
    with _embedded_lock:
        server = _embedded.get(pgdata)
        if server is None:
            try:
                from pgserver.postgres_server import get_server
            except ImportError as exc:  # pragma: no cover - it is a core dependency
                raise EmbeddedPostgresError(
                    "the embedded PostgreSQL needs the 'pgserver' package",
                    hint="pip install pgserver, or set GRAPEVINE_DATABASE_URL",
                ) from exc
            pgdata.mkdir(parents=True, exist_ok=True)
            log.info("starting embedded PostgreSQL in %s", pgdata)
            try:
                server = get_server(pgdata, cleanup_mode="stop")
            except Exception as exc:
                raise EmbeddedPostgresError(
                    f"could not start the embedded PostgreSQL in {pgdata}: {exc}",
                    hint="check the folder is writable and not used by another PostgreSQL, "
                    "or set GRAPEVINE_DATABASE_URL to a server you run",
                ) from exc
            _embedded[pgdata] = server
        uri = server.get_uri()
    return normalise_url(uri)


def stop_embedded() -> None:
    """Stop every embedded server this process started (others attached to it keep theirs)."""
    with _embedded_lock:
        for server in _embedded.values():
            server.cleanup()
        _embedded.clear()


def database_url(settings: Settings) -> URL:
    """The warehouse URL from settings, starting the embedded server when none is configured."""
    if settings.database_url is not None:
        return normalise_url(settings.database_url.get_secret_value())
    return start_embedded(settings)


def make_engine(settings: Settings | None = None, *, url: URL | str | None = None) -> Engine:
    """An engine for the warehouse. Every connection works in UTC."""
    settings = settings or Settings()
    target = normalise_url(url) if isinstance(url, str) else (url or database_url(settings))
    engine = create_engine(target, pool_pre_ping=True, future=True)

    @event.listens_for(engine, "connect")
    def _utc(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        with dbapi_conn.cursor() as cur:
            cur.execute("SET TIME ZONE 'UTC'")
        dbapi_conn.commit()

    return engine
