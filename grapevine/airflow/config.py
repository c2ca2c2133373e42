"""Parse-time configuration of the DAGs: environment only (no database, no Airflow Variables).

The scheduler parses the DAG files often; everything here is cheap and reads only
``GRAPEVINE_AIRFLOW_*`` environment variables.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from typing import Any

from grapevine import sources
from grapevine.core.window import parse_when


def _env(name: str, default: str) -> str:
    return os.environ.get(f"GRAPEVINE_AIRFLOW_{name}", default).strip() or default


def env_flag(name: str, default: bool) -> bool:
    """A boolean ``GRAPEVINE_AIRFLOW_<NAME>``; read at parse time, so env only (no DB lookups)."""
    value = _env(name, "true" if default else "false").lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"GRAPEVINE_AIRFLOW_{name}={value!r} is not a boolean: use true or false")


def catchup() -> bool:
    """Whether the nightly DAG catches up missed nights (``GRAPEVINE_AIRFLOW_CATCHUP``, off)."""
    return env_flag("CATCHUP", False)


def start_date() -> datetime:
    """First data interval of the scheduled DAGs (``GRAPEVINE_AIRFLOW_START_DATE``, ISO date)."""
    when = parse_when(_env("START_DATE", "2026-01-01"))
    assert when is not None  # a default is always there
    return when


def intraday_lookback_hours() -> float:
    """Hours the intraday check looks back (``GRAPEVINE_AIRFLOW_INTRADAY_LOOKBACK_HOURS``, 3)."""
    return float(_env("INTRADAY_LOOKBACK_HOURS", "3"))


def pools() -> dict[str, dict[str, Any]]:
    """Pools in ``airflow pools import`` format; one slot each keeps one client per API."""
    return {
        s.pool: {
            "slots": 1,
            "description": f"Grapevine: concurrent collection from {s.name}",
            "include_deferred": False,
        }
        for s in sources.SOURCES
    }


def default_args(**overrides: Any) -> dict[str, Any]:
    """Retries with exponential back-off, a timeout and the failure notification for every task.

    Retry counts and the first delay come from the environment so that tests (and impatient
    operators) can shorten them without editing DAG files.
    """
    from grapevine.airflow.notices import notify_failure

    args: dict[str, Any] = {
        "owner": "grapevine",
        "retries": int(_env("RETRIES", "3")),
        "retry_delay": timedelta(seconds=float(_env("RETRY_DELAY_S", "120"))),
        "retry_exponential_backoff": 2.0,
        "max_retry_delay": timedelta(hours=1),
        "execution_timeout": timedelta(hours=2),
        "on_failure_callback": notify_failure,
    }
    args.update(overrides)
    return args
