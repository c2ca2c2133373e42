"""Shared fixtures: a real PostgreSQL for every test that needs one (never SQLite, never mocks).

Which server: ``GRAPEVINE_TEST_DATABASE_URL`` when set, else the one on
127.0.0.1:5432 when it answers, else an embedded server started with ``pgserver``. Each test
session works in its own fresh database, dropped at the end; tests that need an empty schema
(migrations) get their own database from ``fresh_database``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg2
import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import URL, make_url

from grapevine.core.settings import Settings, get_settings
from tests.pg import empty_warehouse, migrate_database
from warehouse.engine import make_engine, normalise_url

LOCAL_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"


def _answers(url: URL) -> bool:
    try:
        conn = psycopg2.connect(
            host=url.host,
            port=url.port or 5432,
            user=url.username,
            password=url.password,
            dbname=url.database or "postgres",
            connect_timeout=3,
        )
    except psycopg2.OperationalError:
        return False
    conn.close()
    return True


@pytest.fixture(scope="session")
def pg_admin_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[URL]:
    """URL of a maintenance database on a real server, where test databases can be created."""
    configured = os.environ.get("GRAPEVINE_TEST_DATABASE_URL")
    if configured:
        url = normalise_url(configured)
        if not _answers(url):
            pytest.fail(f"GRAPEVINE_TEST_DATABASE_URL={url.render_as_string()} does not answer")
        yield url
        return
    local = make_url(LOCAL_URL)
    if _answers(local):
        yield local
        return
    import pgserver

    server = pgserver.get_server(tmp_path_factory.mktemp("pgdata"), cleanup_mode="stop")
    yield normalise_url(server.get_uri())
    server.cleanup()


def _admin(url: URL, sql: str) -> None:
    conn = psycopg2.connect(url.set(drivername="postgresql").render_as_string(hide_password=False))
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()


@pytest.fixture(scope="session")
def database_factory(pg_admin_url: URL) -> Iterator[Callable[[], URL]]:
    """Creates empty databases on the test server; all are dropped at the end of the session."""
    created: list[str] = []

    def create() -> URL:
        name = f"gv_test_{uuid.uuid4().hex[:12]}"
        _admin(pg_admin_url, f'CREATE DATABASE "{name}"')
        created.append(name)
        return pg_admin_url.set(database=name)

    yield create
    for name in created:
        _admin(pg_admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def migrated_url(database_factory: Callable[[], URL]) -> URL:
    return migrate_database(database_factory())


@pytest.fixture(scope="session")
def session_engine(migrated_url: URL) -> Iterator[Engine]:
    engine = make_engine(url=migrated_url)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(session_engine: Engine) -> Iterator[Engine]:
    """The session's migrated warehouse, emptied after each test."""
    yield session_engine
    empty_warehouse(session_engine)


@pytest.fixture
def settings(tmp_path: Path, migrated_url: URL, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings pointing at the test warehouse, with a throw-away data folder."""
    url = migrated_url.render_as_string(hide_password=False)
    monkeypatch.setenv("GRAPEVINE_DATABASE_URL", url)
    monkeypatch.setenv("GRAPEVINE_DATA_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("GRAPEVINE_AUTHOR_HASH_KEY", "test-key-0123456789abcdef")
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The labelled data beside the clone (../shared/data)."""
    root = Path(__file__).resolve().parents[1].parent / "shared" / "data"
    if not root.is_dir():
        pytest.fail(f"{root} is missing: CI clones the repo with ../shared beside it")
    return root
