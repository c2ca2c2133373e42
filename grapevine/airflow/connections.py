"""Grapevine settings from Airflow connections (then ``GRAPEVINE_*`` env), secrets masked.

Connections: ``grapevine_warehouse`` (the warehouse URL), ``grapevine_alerts`` (apprise URLs
in the password or the ``urls`` extra) and one per source, ``grapevine_<source>``, whose
login/password fill the fields named by that source's spec in :mod:`grapevine.sources`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from grapevine import sources
from grapevine.sources import spec

if TYPE_CHECKING:
    from airflow.sdk import Connection

    from grapevine.core.settings import Settings

#: Airflow connection ids read by :func:`settings_from_airflow`.
WAREHOUSE_CONN_ID = "grapevine_warehouse"
ALERTS_CONN_ID = "grapevine_alerts"


def _extras(conn: Connection) -> dict[str, Any]:
    raw = conn.extra
    if not raw:
        return {}
    extra = json.loads(raw) if isinstance(raw, str) else dict(raw)
    if not isinstance(extra, dict):
        raise ValueError(f"connection {conn.conn_id}: extra must be a JSON object")
    return extra


def overrides_from_connection(kind: str, conn: Connection) -> dict[str, Any]:
    """Settings fields that one connection provides; ``kind`` is a source, warehouse or alerts.

    Sources: login/password as their spec says; any extra key ``k`` becomes the field
    ``<source>_<k>`` (``subreddits``, ``base_url``, ``user_agent``, ``instances``, ...).
    """
    from grapevine.core.settings import Settings

    if kind == "warehouse":
        return {"database_url": conn.get_uri()}
    if kind == "alerts":
        urls: list[str] = []
        if conn.password:
            urls += conn.password.replace(",", " ").split()
        extra_urls = _extras(conn).get("urls", [])
        urls += extra_urls.replace(",", " ").split() if isinstance(extra_urls, str) else extra_urls
        return {"alert_urls": urls} if urls else {}
    source = spec(kind)
    login_field, password_field = source.connection_fields
    out: dict[str, Any] = {}
    if login_field and conn.login:
        out[login_field] = conn.login
    if password_field and conn.password:
        out[password_field] = conn.password
    fields = Settings.model_fields
    for key, value in _extras(conn).items():
        name = f"{kind}_{key}"
        if name not in fields:
            raise ValueError(
                f"connection {conn.conn_id}: unknown extra {key!r} "
                f"(no setting GRAPEVINE_{name.upper()})"
            )
        out[name] = value
    return out


def _connection(conn_id: str) -> Connection | None:
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        conn: Connection = Connection.get(conn_id)
    except AirflowNotFoundException:
        return None
    return conn


def _secret_values(overrides: Mapping[str, Any]) -> list[str]:
    from grapevine.core.settings import Settings

    secret = {
        name
        for name, field in Settings.model_fields.items()
        if "SecretStr" in str(field.annotation) or name == "alert_urls"
    }
    values: list[str] = []
    for name, value in overrides.items():
        if name in secret and value:
            values += value if isinstance(value, list) else [str(value)]
    return values


def settings_from_airflow(
    lookup: Callable[[str], Connection | None] | None = None,
) -> Settings:
    """Grapevine settings for a task: Airflow connections first, then ``GRAPEVINE_*`` env.

    Every secret read here is registered with Airflow's secrets masker before it can reach a
    log line, so a warehouse URL or token shows as ``***`` in task logs.
    """
    from airflow.sdk.log import mask_secret

    from grapevine.core.settings import Settings

    get = lookup or _connection
    overrides: dict[str, Any] = {}
    kinds = {WAREHOUSE_CONN_ID: "warehouse", ALERTS_CONN_ID: "alerts"}
    kinds.update({s.connection_id: s.name for s in sources.SOURCES if s.builder is not None})
    for conn_id, kind in kinds.items():
        conn = get(conn_id)
        if conn is not None:
            overrides.update(overrides_from_connection(kind, conn))
    for value in _secret_values(overrides):
        mask_secret(value)
    settings = Settings(**overrides)
    # Also the parts of GRAPEVINE_* secrets and alert URLs (passwords, webhook path tokens) that
    # libraries log on their own, e.g. apprise's "JSON POST URL: ..." line.
    from grapevine.redact import secrets_from_settings

    for value in secrets_from_settings(settings):
        if len(value) >= 4:
            mask_secret(value)
    return settings
