"""Migrations run up and down on a fresh database, and agree with the SQLAlchemy models.

``warehouse.models`` is the one declaration of the tables the loaders' column lists come from;
the migrations create them. ``schema_drift`` lists every way the two differ.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import (
    CheckConstraint,
    Column,
    Connection,
    Engine,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    UniqueConstraint,
    inspect,
    text,
)
from sqlalchemy.engine import URL

from warehouse import migrate
from warehouse.engine import make_engine
from warehouse.models import COMPARE_OPTIONS, NAMING_CONVENTION, TZ, Base
from warehouse.views import view_files

pytestmark = pytest.mark.integration
TABLES = {
    "alerts",
    "brand_daily_metrics",
    "brands",
    "classifications",
    "collector_state",
    "model_versions",
    "post_brands",
    "posts",
    "quarantine",
}


def test_upgrade_downgrade_upgrade(database_factory: Callable[[], URL]) -> None:
    engine = make_engine(url=database_factory())
    try:
        migrate.upgrade(engine)
        assert migrate.is_up_to_date(engine)
        assert set(inspect(engine).get_table_names()) >= TABLES
        views = set(inspect(engine).get_view_names(schema="analytics"))
        assert {name for name, _ in view_files()} == views

        migrate.downgrade(engine, "base")
        assert migrate.current_revision(engine) is None
        assert not TABLES & set(inspect(engine).get_table_names())

        migrate.upgrade(engine)
        migrate.upgrade(engine)  # a second upgrade is a no-op
        assert migrate.is_up_to_date(engine)
    finally:
        engine.dispose()


# NULLS NOT DISTINCT, as reflected from the database and as declared on a constraint.
_NULLS = "postgresql_nulls_not_distinct"
_NOT = "nulls_not_distinct"


def _sql(clause: Any) -> str:
    """A predicate as text, without the spacing and parentheses Postgres adds when it stores it."""
    return re.sub(r"[\s()]", "", str(clause)) if clause is not None else ""


def _table_drift(conn: Connection, table: Table) -> list[str]:
    """What autogenerate does not compare: primary keys, identity, checks, NULLS NOT DISTINCT
    on unique constraints, partial-index predicates."""
    insp = inspect(conn)
    name = table.name
    pk = insp.get_pk_constraint(name)
    found: dict[str, object] = {
        "primary key": (pk["name"], pk["constrained_columns"]),
        "identity": {c["name"] for c in insp.get_columns(name) if c.get("identity")},
        "checks": {c["name"]: _sql(c["sqltext"]) for c in insp.get_check_constraints(name)},
        "unique": {
            u["name"]: (u["column_names"], bool(u["dialect_options"].get(_NULLS)))
            for u in insp.get_unique_constraints(name)
        },
        "index predicates": {
            i["name"]: _sql(i["dialect_options"].get("postgresql_where"))
            for i in insp.get_indexes(name)
            if not i.get("duplicates_constraint")
        },
    }
    declared: dict[str, object] = {
        "primary key": (table.primary_key.name, [c.name for c in table.primary_key.columns]),
        "identity": {c.name for c in table.columns if c.identity is not None},
        "checks": {
            c.name: _sql(c.sqltext) for c in table.constraints if isinstance(c, CheckConstraint)
        },
        "unique": {
            c.name: ([col.name for col in c.columns], bool(c.dialect_options["postgresql"][_NOT]))
            for c in table.constraints
            if isinstance(c, UniqueConstraint)
        },
        "index predicates": {
            i.name: _sql(i.dialect_options["postgresql"]["where"]) for i in table.indexes
        },
    }
    return [
        f"{name} {what}: database {found[what]!r}, models {declared[what]!r}"
        for what in found
        if found[what] != declared[what]
    ]


def schema_drift(conn: Connection, metadata: MetaData) -> list[str]:
    """Every difference between the database and ``metadata``: Alembic's autogenerate diff
    (tables, columns, types, nullability, server defaults, unique constraints, indexes, foreign
    keys) plus what autogenerate does not compare. Empty when they agree.
    """
    context = MigrationContext.configure(conn, opts=COMPARE_OPTIONS)
    drift = [repr(d) for d in compare_metadata(context, metadata)]
    existing = set(inspect(conn).get_table_names())
    for table in metadata.sorted_tables:
        if table.name in existing:  # a missing table is in the autogenerate diff already
            drift += _table_drift(conn, table)
    return drift


def test_models_match_migrations(migrated_url: URL) -> None:
    engine = make_engine(url=migrated_url)
    try:
        with engine.connect() as conn:
            drift = schema_drift(conn, Base.metadata)
    finally:
        engine.dispose()
    assert drift == []


def _drifted_models() -> MetaData:
    """The models with one change of each kind that the comparison must notice."""
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    for table in Base.metadata.sorted_tables:
        table.to_metadata(metadata)
    tables = metadata.tables
    tables["posts"].append_column(Column("edited_at", TZ))
    tables["quarantine"].c.source_ref.nullable = False
    tables["collector_state"].c.scope.primary_key = False
    tables["collector_state"].append_constraint(PrimaryKeyConstraint("source"))
    (unique,) = [
        c for c in tables["classifications"].constraints if isinstance(c, UniqueConstraint)
    ]
    unique.dialect_options["postgresql"][_NOT] = False
    (check,) = [c for c in tables["post_brands"].constraints if isinstance(c, CheckConstraint)]
    check.sqltext = text("inherited OR inherited_from_post_id IS NULL")
    return metadata


def test_the_comparison_reports_each_kind_of_drift(migrated_url: URL) -> None:
    engine = make_engine(url=migrated_url)
    try:
        with engine.connect() as conn:
            drift = "\n".join(schema_drift(conn, _drifted_models()))
    finally:
        engine.dispose()

    assert "edited_at" in drift
    assert "'quarantine', 'source_ref'" in drift
    assert "collector_state primary key" in drift
    assert "classifications unique" in drift
    assert "post_brands checks" in drift


def test_every_timestamp_is_timestamptz(migrated_url: URL) -> None:
    engine = make_engine(url=migrated_url)
    try:
        with engine.connect() as conn:
            naive = conn.execute(
                text(
                    "SELECT table_name, column_name FROM information_schema.columns"
                    " WHERE table_schema = 'public' AND data_type = 'timestamp without time zone'"
                )
            ).all()
    finally:
        engine.dispose()
    assert naive == []


def test_schema_check_tells_the_user_to_init(database_factory: Callable[[], URL]) -> None:
    from grapevine.core.errors import WarehouseError
    from grapevine.stages.base import require_schema

    engine = make_engine(url=database_factory())
    try:
        with pytest.raises(WarehouseError, match="grapevine init-db"):
            require_schema(engine)
    finally:
        engine.dispose()


def _opportunity_body(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(
            conn.execute(
                text("SELECT pg_get_functiondef('analytics.outcome_opportunity'::regproc)")
            ).scalar_one()
        )


def test_opportunity_counts_customers_once_from_0008(database_factory: Callable[[], URL]) -> None:
    """0008 materialises the customer counts the opportunity query used to re-run per outcome
    row (2.3 s of a 2.8 s report on a 20k-post night); its downgrade restores 0006's body."""
    engine = make_engine(url=database_factory())
    try:
        migrate.upgrade(engine)
        body = _opportunity_body(engine)
        assert "brand_customers as materialized (" in body
        assert "set_customers as materialized (" in body
        migrate.downgrade(engine, "0007")
        body = _opportunity_body(engine)
        assert "brand_customers as (" in body and "set_customers as (" in body
        assert "customers as materialized" not in body
        migrate.upgrade(engine)
        assert "set_customers as materialized (" in _opportunity_body(engine)
    finally:
        engine.dispose()
