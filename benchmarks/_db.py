"""A throw-away database for benchmarks, on the same kind of server the tests use."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg2
from sqlalchemy.engine import URL

from warehouse.engine import normalise_url

DEFAULT = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"


def _admin(url: URL, sql: str) -> None:
    conn = psycopg2.connect(url.set(drivername="postgresql").render_as_string(hide_password=False))
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(sql)
    conn.close()


@contextmanager
def bench_database() -> Iterator[URL]:
    """Create a fresh database (GRAPEVINE_BENCH_DATABASE_URL's server), drop it afterwards."""
    admin = normalise_url(os.environ.get("GRAPEVINE_BENCH_DATABASE_URL", DEFAULT))
    name = f"gv_bench_{uuid.uuid4().hex[:10]}"
    _admin(admin, f'CREATE DATABASE "{name}"')
    try:
        yield admin.set(database=name)
    finally:
        _admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
