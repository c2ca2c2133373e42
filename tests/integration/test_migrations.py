"""Migrations run up and down on a fresh database, and agree with the SQLAlchemy models."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import URL

from warehouse import migrate
from warehouse.engine import make_engine
from warehouse.models import Base
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


def test_models_match_migrations(migrated_url: URL) -> None:
    engine = make_engine(url=migrated_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()
    assert diff == []


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
