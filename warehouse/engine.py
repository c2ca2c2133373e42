"""Where the warehouse lives: a configured PostgreSQL, or an embedded one for first runs.

Users paste URLs in many spellings (``postgres://``, ``postgresql://``, Airflow connection
URIs); SQLAlchemy 2.1 maps a bare ``postgresql://`` to psycopg 3, which we do not ship, so every
spelling is normalised to ``postgresql+psycopg2://``.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from psycopg2.errors import QueryCanceled
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, ExceptionContext, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from grapevine.core.errors import ConfigError, EmbeddedPostgresError, WarehouseError
from grapevine.core.settings import Settings

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
    """An engine for the warehouse. Every connection works in UTC, under the statement timeout
    (``GRAPEVINE_STATEMENT_TIMEOUT_SECONDS``), without JIT compilation, and its query is
    cancelled on Ctrl-C or SIGTERM.

    Why no JIT: our queries read at most a few hundred thousand rows, and PostgreSQL's JIT
    (on by default where the server has LLVM) compiled them for longer than they ran: on a
    100k-post night the report's brand query spent 2.0 s compiling for 0.4 s of work, and an
    incremental run paid that in every stage (``benchmarks/nightly_bench.py``, #16).
    """
    settings = settings or Settings()
    target = normalise_url(url) if isinstance(url, str) else (url or database_url(settings))
    engine = create_engine(target, pool_pre_ping=True, future=True)
    timeout_ms = round(settings.statement_timeout_seconds * 1000)

    @event.listens_for(engine, "connect")
    def _session(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        with dbapi_conn.cursor() as cur:
            cur.execute("SET TIME ZONE 'UTC'")
            cur.execute(f"SET statement_timeout = {timeout_ms}")
            cur.execute("SET jit = off")
        dbapi_conn.commit()

    @event.listens_for(engine, "handle_error")
    def _timed_out(context: ExceptionContext) -> BaseException | None:
        return timeout_error(context.original_exception, settings.statement_timeout_seconds)

    @event.listens_for(engine, "before_cursor_execute")
    def _started(conn, _cursor, _stmt, _params, _context, _many) -> None:  # type: ignore[no-untyped-def]
        _track(conn.connection.dbapi_connection, running=True)

    @event.listens_for(engine, "after_cursor_execute")
    def _finished(conn, _cursor, _stmt, _params, _context, _many) -> None:  # type: ignore[no-untyped-def]
        _track(conn.connection.dbapi_connection, running=False)

    @event.listens_for(engine, "handle_error")
    def _failed(context: ExceptionContext) -> None:
        if context.connection is not None and context.connection.connection is not None:
            _track(context.connection.connection.dbapi_connection, running=False)

    cancel_queries_on_exit()
    return engine


def timeout_error(exc: BaseException | None, seconds: float) -> WarehouseError | None:
    """The statement timeout's cancellation as an error that names the setting to change."""
    if not isinstance(exc, QueryCanceled) or "statement timeout" not in str(exc):
        return None
    return WarehouseError(
        f"a warehouse query ran longer than GRAPEVINE_STATEMENT_TIMEOUT_SECONDS={seconds:g}"
        " and PostgreSQL cancelled it",
        hint="raise GRAPEVINE_STATEMENT_TIMEOUT_SECONDS (0 = no limit), or run the stage on a"
        " shorter --since/--until window",
    )


# --- statistics after loads ------------------------------------------------------------------


def needs_analyze(changed_rows: int, estimated_rows: float) -> bool:
    """Whether a load changed a table enough that the planner's statistics are stale.

    The same rule as autovacuum's default (50 rows + 10 % of the table), applied at once:
    autovacuum may come minutes later, after the next stage has planned its queries against
    a table it believes empty. ``estimated_rows`` < 0 means never analysed.
    """
    if changed_rows <= 0:
        return False
    return estimated_rows < 0 or changed_rows > 50 + 0.1 * estimated_rows


def analyze_changed(engine: Engine, changed: dict[str, int]) -> list[str]:
    """ANALYZE the tables a load changed substantially (``{table: rows changed}``); returns them.

    Table names come from our own code, never from input; they are still quoted.
    """
    if not changed:
        return []
    with engine.connect() as conn:
        estimates: dict[str, float] = dict(
            conn.execute(
                text("SELECT relname, reltuples FROM pg_class WHERE relname = ANY(:names)"),
                {"names": list(changed)},
            ).all()
        )
    stale = sorted(t for t, n in changed.items() if needs_analyze(n, estimates.get(t, -1)))
    if stale:
        with engine.begin() as conn:
            for table in stale:
                conn.execute(text(f'ANALYZE "{table}"'))
        log.info("analyzed %s after the load", ", ".join(stale))
    return stale


# --- cancel on exit ---------------------------------------------------------------------------
# A client killed while PostgreSQL runs its query does not stop the query: the server only
# notices the closed socket when it sends the result, minutes later (issue #12: a killed
# classify left its query running). psycopg2 blocks in C during a query, so a Python signal
# handler would only run after it. The interpreter's C-level handler also writes the signal
# number to the wakeup fd at once; a watcher thread reading it cancels the in-flight queries
# (PQcancel), the blocked call returns with an error, and the normal handler then runs
# (KeyboardInterrupt for Ctrl-C; SystemExit(143) for SIGTERM where nothing else handles it).

_inflight_lock = threading.Lock()
_inflight: dict[int, Any] = {}  # id(dbapi connection) -> connection running a statement
_watching = False


def _track(dbapi_conn: Any, *, running: bool) -> None:
    with _inflight_lock:
        if running:
            _inflight[id(dbapi_conn)] = dbapi_conn
        else:
            _inflight.pop(id(dbapi_conn), None)


@contextmanager
def inflight(dbapi_conn: Any) -> Iterator[None]:
    """Mark a statement run on the raw psycopg2 connection (COPY through ``copy_expert``, which
    SQLAlchemy's cursor events never see) as running, so that Ctrl-C or SIGTERM cancels it too."""
    _track(dbapi_conn, running=True)
    try:
        yield
    finally:
        _track(dbapi_conn, running=False)


def cancel_inflight() -> int:
    """Ask the server to cancel every statement this process is running; returns how many."""
    with _inflight_lock:
        running = list(_inflight.values())
    for dbapi_conn in running:
        try:
            dbapi_conn.cancel()
        except Exception as exc:  # the connection may have finished or closed meanwhile
            log.debug("could not cancel a query: %s", exc)
    return len(running)


def _exit_on_sigterm(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def cancel_queries_on_exit() -> bool:
    """Install the wakeup-fd watcher once per process (main thread only); False if it could not.

    Leaves alone a process whose wakeup fd is already taken (an asyncio loop's) and any
    SIGTERM handler already installed (Airflow's task runner has its own).
    """
    global _watching
    if _watching or threading.current_thread() is not threading.main_thread():
        return _watching
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)
    previous = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    if previous != -1:
        signal.set_wakeup_fd(previous)
        os.close(read_fd)
        os.close(write_fd)
        return False
    if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        signal.signal(signal.SIGTERM, _exit_on_sigterm)

    def watch() -> None:
        while True:
            got = os.read(read_fd, 64)
            if not got:
                return
            if {signal.SIGINT, signal.SIGTERM} & set(got):
                log.info("interrupted: cancelled %d running warehouse queries", cancel_inflight())

    threading.Thread(target=watch, name="grapevine-cancel-on-exit", daemon=True).start()
    _watching = True
    return True
