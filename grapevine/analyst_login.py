"""Login roles for analysts (``grapevine analyst-login NAME``).

``grapevine_analyst`` is a NOLOGIN group role (migration 0004): it holds the right to read the
``analytics`` views and nothing else, and people log in as their own roles that inherit it. This
creates such a role, or resets its password. The password is hashed on the client
(SCRAM-SHA-256, libpq's ``PQencryptPasswordConn``), so neither the statement nor the server's
log ever contains it.
"""

from __future__ import annotations

import re

import psycopg2.extensions
from psycopg2 import sql
from psycopg2.extensions import encrypt_password
from sqlalchemy import Engine

from grapevine.core.errors import ConfigError
from warehouse.views import ANALYST_ROLE

_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_RESERVED = {"postgres", "public", ANALYST_ROLE}


def check_role_name(name: str) -> str:
    """A plain lower-case PostgreSQL identifier that is not a system or Grapevine role."""
    if not _NAME.fullmatch(name) or name.startswith("pg_") or name in _RESERVED:
        raise ConfigError(
            f"{name!r} cannot be an analyst login",
            hint="use lower-case letters, digits and _ (at most 63), not postgres, pg_* or "
            f"{ANALYST_ROLE}",
        )
    return name


def create_analyst_login(engine: Engine, name: str, password: str) -> bool:
    """Create login role ``name`` in ``grapevine_analyst`` (or reset its password).

    Returns True when the role was created, False when it existed. An existing role that is
    a superuser or may create roles is refused: it is an administrator, not an analyst.
    """
    check_role_name(name)
    if not password:
        raise ConfigError("the analyst's password is empty", hint="choose a non-empty password")
    with engine.begin() as conn:
        dbapi = conn.connection.dbapi_connection
        assert isinstance(dbapi, psycopg2.extensions.connection)
        with dbapi.cursor() as cur:
            cur.execute(
                "SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = %s", (name,)
            )
            found = cur.fetchone()
            if found is not None and found[0]:
                raise ConfigError(
                    f"role {name} is an administrator (superuser or CREATEROLE)",
                    hint="give the analyst a role of their own",
                )
            verifier = encrypt_password(password, name, dbapi, "scram-sha-256")
            verb = "CREATE" if found is None else "ALTER"
            cur.execute(
                sql.SQL(
                    verb + " ROLE {} WITH LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE"
                    " PASSWORD {}"
                ).format(sql.Identifier(name), sql.Literal(verifier))
            )
            cur.execute(
                sql.SQL("GRANT {} TO {}").format(sql.Identifier(ANALYST_ROLE), sql.Identifier(name))
            )
    return found is None
