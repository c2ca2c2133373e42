"""A stuck query cannot outlive its run (issue #12, #16): the statement timeout cancels it
with an error that names the setting, and a client stopped by SIGTERM or Ctrl-C cancels its
running query instead of leaving it on the server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL

from grapevine.core.errors import WarehouseError
from grapevine.core.settings import Settings
from warehouse.engine import make_engine

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def test_a_statement_longer_than_the_timeout_is_cancelled_with_a_clear_error(
    migrated_url: URL,
) -> None:
    engine = make_engine(Settings(statement_timeout_seconds=0.2), url=migrated_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SHOW statement_timeout")).scalar_one() == "200ms"
            with pytest.raises(WarehouseError, match=r"GRAPEVINE_STATEMENT_TIMEOUT_SECONDS=0\.2"):
                conn.execute(text("SELECT pg_sleep(30)"))
    finally:
        engine.dispose()


def test_no_timeout_by_default(engine: Engine) -> None:
    with engine.connect() as conn:
        assert conn.execute(text("SHOW statement_timeout")).scalar_one() == "0"


def running(engine: Engine, marker: str) -> list[str]:
    """The states of server sessions whose query carries ``marker`` (excluding this one)."""
    with engine.connect() as conn:
        return list(
            conn.execute(
                text(
                    "SELECT state FROM pg_stat_activity WHERE query LIKE :m"
                    " AND pid <> pg_backend_pid() AND state = 'active'"
                ),
                {"m": f"%{marker}%"},
            ).scalars()
        )


def wait_for(check: object, *, tries: int = 200) -> bool:
    for _ in range(tries):
        if check():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def stop_and_check(
    engine: Engine, url: URL, script: str, marker: str, sig: signal.Signals, what: str
) -> None:
    """Run ``script`` in a child (``sys.argv[1]`` = ``url``), stop it with ``sig`` once its
    statement carrying ``marker`` runs on the server, and check the server ends that statement
    instead of sitting out its two minutes."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-c", script, url.render_as_string(hide_password=False)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert wait_for(lambda: running(engine, marker)), f"the child's {what} never started"
        child.send_signal(sig)
        child.wait(timeout=30)  # without a cancel it would sit out the 120 s sleep
        assert child.returncode != 0
        # The server ends the cancelled statement at once; allow it a moment to say so.
        assert wait_for(lambda: not running(engine, marker)), running(engine, marker)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_a_stopped_client_leaves_no_query_running(
    engine: Engine, migrated_url: URL, sig: signal.Signals
) -> None:
    marker = f"gv_cancel_{uuid.uuid4().hex[:8]}"
    script = textwrap.dedent(
        f"""
        import sys
        from sqlalchemy import text
        from warehouse.engine import make_engine
        engine = make_engine(url=sys.argv[1])
        with engine.connect() as conn:
            print("ready", flush=True)
            conn.execute(text("SELECT pg_sleep(120) /* {marker} */"))
        """
    )
    stop_and_check(engine, migrated_url, script, marker, sig, "query")


def test_a_stopped_load_cancels_its_copy(engine: Engine, migrated_url: URL) -> None:
    """COPY runs on the raw psycopg2 connection, which SQLAlchemy's cursor events never see:
    a load stopped by SIGTERM while the server is busy with its COPY must cancel it too."""
    marker = f"gv_copy_{uuid.uuid4().hex[:8]}"
    with engine.begin() as conn:  # a table whose rows take the server two minutes each
        conn.execute(text(f"CREATE TABLE {marker} (x int)"))
        conn.execute(
            text(
                f"CREATE FUNCTION {marker}_slow() RETURNS trigger LANGUAGE plpgsql AS"
                " $$ BEGIN PERFORM pg_sleep(120); RETURN NEW; END $$"
            )
        )
        conn.execute(
            text(
                f"CREATE TRIGGER {marker}_t BEFORE INSERT ON {marker}"
                f" FOR EACH ROW EXECUTE FUNCTION {marker}_slow()"
            )
        )
    script = textwrap.dedent(
        f"""
        import sys
        from warehouse.engine import make_engine
        from warehouse.load import _copy
        engine = make_engine(url=sys.argv[1])
        with engine.begin() as conn:
            print("ready", flush=True)
            _copy(conn, "{marker}", ["x"], "1\\n")
        """
    )
    try:
        stop_and_check(engine, migrated_url, script, marker, signal.SIGTERM, "COPY")
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP TABLE IF EXISTS {marker}"))
            conn.execute(text(f"DROP FUNCTION IF EXISTS {marker}_slow()"))
