"""Alembic environment: runs on the connection handed over by ``warehouse.migrate``.

``target_metadata`` is ``warehouse.models``, compared with the options the schema test uses
(``COMPARE_OPTIONS``), so ``alembic revision --autogenerate`` proposes the same diff that test
reports. The test also checks what autogenerate does not compare (primary keys, identity,
check constraints, partial-index predicates): write those into a migration by hand.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool

from warehouse.models import COMPARE_OPTIONS, Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata, **COMPARE_OPTIONS)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = engine_from_config(
        config.get_section(config.config_ini_section) or {},
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, **COMPARE_OPTIONS)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
