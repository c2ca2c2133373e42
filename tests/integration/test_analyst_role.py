"""The read-only analyst role: the analytics views, and nothing else."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import psycopg2
import psycopg2.errors
import pytest
from analytics_seed import P, add_brands, add_posts, at, set_models
from sqlalchemy import Engine
from sqlalchemy.engine import URL

from warehouse.metrics import recompute_metrics
from warehouse.views import ANALYST_ROLE, view_files

pytestmark = pytest.mark.integration

DAY = date(2026, 10, 5)


@pytest.fixture
def analyst(engine: Engine, migrated_url: URL) -> Iterator[psycopg2.extensions.cursor]:
    """A session on the test warehouse that has become the analyst (SET ROLE)."""
    ids = add_brands(engine, {"Acme": ["Globex"], "Globex": []})
    set_models(engine)
    add_posts(
        engine,
        [
            P(
                at(DAY),
                ["Acme"],
                {"Acme": "badvocacy"},
                author_key="k1",
                author_handle="real_person",
                url="https://x.test/1",
                thread_id="t1",
            ),
            P(
                at(DAY, 13),
                ["Acme", "Globex"],
                {"Acme": "advocacy", "Globex": "none"},
                author_key="k2",
                thread_id="t1",
            ),
        ],
        ids,
    )
    recompute_metrics(engine)
    conn = psycopg2.connect(migrated_url.set(drivername="postgresql").render_as_string(False))
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute(f"SET ROLE {ANALYST_ROLE}")
    try:
        yield cur
    finally:
        cur.execute("RESET ROLE")
        conn.close()


def test_the_role_exists_read_only_and_without_login(engine: Engine) -> None:
    with engine.connect() as conn:
        row = conn.exec_driver_sql(
            "SELECT rolsuper, rolcanlogin, rolcreatedb, rolcreaterole FROM pg_roles"
            " WHERE rolname = %s",
            (ANALYST_ROLE,),
        ).one()
    assert tuple(row) == (False, False, False, False)


def test_analyst_can_select_every_view(analyst) -> None:
    for name, _ in view_files():
        analyst.execute(f"SELECT * FROM analytics.{name} LIMIT 5")
        analyst.fetchall()
    analyst.execute("SELECT brand, mentions FROM analytics.brand_metrics_daily ORDER BY brand")
    assert analyst.fetchall() == [("Acme", 2), ("Globex", 1)]
    analyst.execute("SELECT author_key FROM analytics.top_badvocates")
    assert analyst.fetchall() == [("k1",)]


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO public.brands (name, slug) VALUES ('Evil', 'evil')",
        "UPDATE public.posts SET text = 'edited'",
        "DELETE FROM public.classifications",
        "TRUNCATE public.alerts",
        "INSERT INTO analytics.stg_posts (post_id, source, source_id) VALUES (99, 'x', 'y')",
        "UPDATE analytics.stg_posts SET text = 'edited'",
        "DELETE FROM analytics.stg_posts",
        "CREATE TABLE analytics.mine (x int)",
        "CREATE TABLE public.mine (x int)",
        "CREATE VIEW analytics.mine AS SELECT 1",
    ],
)
def test_analyst_cannot_write(analyst, statement: str) -> None:
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        analyst.execute(statement)


@pytest.mark.parametrize(
    "query",
    [
        "SELECT author_handle FROM public.posts",
        "SELECT raw FROM public.posts",
        "SELECT * FROM public.posts",
        "SELECT * FROM public.post_brands",
        "SELECT * FROM public.alerts",
        "SELECT * FROM public.quarantine",
        "SELECT * FROM public.alembic_version",
    ],
)
def test_analyst_cannot_read_tables_or_raw_author_data(analyst, query: str) -> None:
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        analyst.execute(query)


def test_views_expose_no_handles_or_raw_payloads(analyst) -> None:
    analyst.execute(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = 'analytics'"
    )
    columns = analyst.fetchall()
    assert columns
    assert not [c for c in columns if c[1] in ("author_handle", "raw")]
    analyst.execute("SELECT * FROM analytics.stg_posts")
    rows = analyst.fetchall()
    assert not any("real_person" in str(v) for row in rows for v in row)


def test_other_schemas_are_invisible(analyst) -> None:
    analyst.execute(
        "SELECT DISTINCT table_schema FROM information_schema.tables"
        " WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
    )
    assert analyst.fetchall() == [("analytics",)]
    analyst.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'analytics'"
    )
    assert analyst.fetchone()[0] == len(view_files())


def test_analyst_can_run_every_example_query(analyst) -> None:
    from importlib.resources import files

    examples = sorted(
        (f for f in (files("sql") / "examples").iterdir() if f.name.endswith(".sql")),
        key=lambda f: f.name,
    )
    assert len(examples) >= 5
    for example in examples:
        analyst.execute(example.read_text(encoding="utf-8"))
        analyst.fetchall()


def test_analyst_cannot_create_in_public_where_public_may(database_factory) -> None:
    """PostgreSQL 14 and older let PUBLIC create in schema public; init-db takes that away."""
    from tests.pg import migrate_database

    url = database_factory()
    dsn = url.set(drivername="postgresql").render_as_string(False)
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("GRANT CREATE ON SCHEMA public TO PUBLIC")  # the PostgreSQL <= 14 default
        migrate_database(url)
        migrate_database(url)  # a second init-db changes nothing and does not fail
        with conn.cursor() as cur:
            cur.execute(f"SET ROLE {ANALYST_ROLE}")
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                cur.execute("CREATE TABLE public.mine (x int)")
    finally:
        conn.close()
