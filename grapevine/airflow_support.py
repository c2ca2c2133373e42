"""What Grapevine's Airflow DAGs share: defaults, windows, settings from connections, callbacks.

The DAG files in ``dags/`` only wire tasks; everything they need lives here so that it can be
unit-tested without a scheduler. Airflow is imported lazily (inside functions), so ``grapevine``
installs and works without the ``airflow`` extra, and the scheduler's DAG parsing stays cheap:
nothing here touches a database, a model or the network at import time.

The task callables (``collect``, ``classify_batch``, ...) import :mod:`grapevine.tasks` when they
*run*, on a worker; they exchange only small dicts (windows, ids, counts) through XCom.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow.sdk import Connection

    from grapevine.core.settings import Settings

log = logging.getLogger(__name__)

#: Sources that get a collect task (and a pool) of their own. The enabled subset is decided at
#: run time by :func:`grapevine.tasks.enabled_sources`; a disabled source's task is skipped.
KNOWN_SOURCES: tuple[str, ...] = ("reddit", "x", "bluesky", "mastodon", "hackernews", "file")

#: Airflow connection ids read by :func:`settings_from_airflow`.
WAREHOUSE_CONN_ID = "grapevine_warehouse"
ALERTS_CONN_ID = "grapevine_alerts"

Window = dict[str, str]
Context = Mapping[str, Any]


# --- parse-time configuration (environment only: no database, no Airflow Variables) -------------


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
    return parse_when(_env("START_DATE", "2026-01-01"))


def intraday_lookback_hours() -> float:
    """Hours the intraday check looks back (``GRAPEVINE_AIRFLOW_INTRADAY_LOOKBACK_HOURS``, 3)."""
    return float(_env("INTRADAY_LOOKBACK_HOURS", "3"))


def pool_name(source: str) -> str:
    """The Airflow pool that bounds concurrent collection from ``source`` (its API rate limit)."""
    return f"grapevine_{source}"


def pools() -> dict[str, dict[str, Any]]:
    """Pools in ``airflow pools import`` format; one slot each keeps one client per API."""
    return {
        pool_name(s): {
            "slots": 1,
            "description": f"Grapevine: concurrent collection from {s}",
            "include_deferred": False,
        }
        for s in KNOWN_SOURCES
    }


def default_args(**overrides: Any) -> dict[str, Any]:
    """Retries with exponential back-off, a timeout and the failure notification for every task.

    Retry counts and the first delay come from the environment so that tests (and impatient
    operators) can shorten them without editing DAG files.
    """
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


# --- windows -------------------------------------------------------------------------------------


def parse_when(value: str | datetime) -> datetime:
    """An aware UTC datetime from an ISO date/datetime (naive means UTC) or a datetime."""
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).strip())
    if when.tzinfo is None:
        return when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def make_window(since: str | datetime, until: str | datetime) -> Window:
    """A ``{"since", "until"}`` pair of ISO strings: what windows look like in XCom."""
    start, end = parse_when(since), parse_when(until)
    if end <= start:
        raise ValueError(f"empty window: until ({end.isoformat()}) must be after since")
    return {"since": start.isoformat(), "until": end.isoformat()}


def data_interval_window(
    lookback_hours: float | None = None, whole_days: bool = False, **context: Any
) -> Window:
    """The run's data interval, ``[data_interval_start, data_interval_end)``; never ``now()``.

    ``lookback_hours`` widens the start backwards (the intraday check looks at the last hours).
    ``whole_days`` floors both ends to UTC midnight: scheduled nightly intervals already are
    whole days, but a manual trigger's interval ends at the trigger time, and metrics are per
    day, so such a run covers the last complete day instead of two partial ones.
    """
    start, end = context["data_interval_start"], context["data_interval_end"]
    if start is None or end is None:
        raise ValueError("this run has no data interval: trigger it with a logical date")
    start, end = parse_when(start), parse_when(end)
    if lookback_hours is not None:
        start = end - timedelta(hours=lookback_hours)
    if whole_days:
        end = end.replace(hour=0, minute=0, second=0, microsecond=0)
        start = min(
            start.replace(hour=0, minute=0, second=0, microsecond=0), end - timedelta(days=1)
        )
    return make_window(start, end)


def params_window(**context: Any) -> Window:
    """The backfill's window from its ``since``/``until`` params (ISO dates, UTC)."""
    params = context["params"]
    return make_window(params["since"], params["until"])


def split_window(window: Window, days: int = 1) -> list[Window]:
    """Cut a window into slices of at most ``days`` days (a backfill maps collection over them)."""
    if days < 1:
        raise ValueError("slice length must be at least one day")
    start, end = parse_when(window["since"]), parse_when(window["until"])
    slices = []
    while start < end:
        stop = min(start + timedelta(days=days), end)
        slices.append(make_window(start, stop))
        start = stop
    return slices


def plan_collection(
    window: Window,
    enabled: Iterable[str],
    *,
    only: Iterable[str] | None = None,
    slice_days: int = 1,
) -> dict[str, list[Window]]:
    """Per known source, the window slices to collect (empty: that source's task is skipped)."""
    enabled = list(enabled)
    unknown = sorted(set(enabled) - set(KNOWN_SOURCES))
    if unknown:
        raise ValueError(
            f"enabled sources {unknown} have no collect task: add them to "
            "grapevine.airflow_support.KNOWN_SOURCES (and create their pools)"
        )
    wanted = set(enabled) if only is None else set(enabled) & set(only)
    slices = split_window(window, slice_days)
    return {s: (slices if s in wanted else []) for s in KNOWN_SOURCES}


# --- settings from Airflow connections -----------------------------------------------------------

# login/password of each source's connection → Settings fields (None: not used).
_CREDENTIALS: dict[str, tuple[str | None, str | None]] = {
    "reddit": ("reddit_client_id", "reddit_client_secret"),
    "x": (None, "x_bearer_token"),
    "bluesky": ("bluesky_handle", "bluesky_app_password"),
    "mastodon": (None, "mastodon_access_token"),
    "hackernews": (None, None),
}


def source_conn_id(source: str) -> str:
    return f"grapevine_{source}"


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

    Sources: login/password as in ``_CREDENTIALS``; any extra key ``k`` becomes the field
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
    login_field, password_field = _CREDENTIALS[kind]
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
    kinds.update({source_conn_id(s): s for s in _CREDENTIALS})
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


# --- task callables (run on workers; grapevine.tasks is imported only here) ----------------------


def _params(context: Context) -> Mapping[str, Any]:
    return context.get("params") or {}


def plan(source: str, window: Window, **context: Any) -> list[Window]:
    """The window slices ``source`` collects: none when it is disabled or not among the params'.

    One small task per source, because Airflow maps only over a task's whole return value.
    """
    from grapevine import tasks

    params = _params(context)
    enabled = tasks.enabled_sources(settings=settings_from_airflow())
    only = params.get("sources") or None
    planned = plan_collection(
        window, enabled, only=only, slice_days=int(params.get("slice_days", 1))
    )
    return planned[source]


def collect(source: str, window: Window) -> dict[str, Any]:
    """Collect one source over one window slice; returns counts only."""
    from grapevine import tasks

    settings = settings_from_airflow()
    return _small(tasks.collect_source(source, window["since"], window["until"], settings=settings))


def classify_batches(window: Window) -> list[dict[str, Any]]:
    """Descriptors (post id ranges) of the batches to classify: the map for ``classify_batch``."""
    from grapevine import tasks

    settings = settings_from_airflow()
    batches = list(tasks.classify_batches(window["since"], window["until"], settings=settings))
    _small({"batches": batches})
    return batches


def classify_batch(batch: dict[str, Any]) -> dict[str, Any]:
    from grapevine import tasks

    return _small(tasks.classify_batch(batch, settings=settings_from_airflow()))


def compute_metrics(window: Window) -> dict[str, Any]:
    from grapevine import tasks

    settings = settings_from_airflow()
    return _small(tasks.compute_metrics(window["since"], window["until"], settings=settings))


def check_alerts(window: Window, **context: Any) -> dict[str, Any]:
    """The spike check over the window; a ``dry_run_alerts`` param records but does not send."""
    from grapevine import tasks

    settings = settings_from_airflow()
    dry_run = bool(_params(context).get("dry_run_alerts", False))
    return _small(
        tasks.check_alerts(window["since"], window["until"], settings=settings, dry_run=dry_run)
    )


def report_path(settings: Settings, window: Window) -> Path:
    """One report per window under ``DATA_DIR/reports``: a rerun replaces its own file only."""
    since, until = parse_when(window["since"]), parse_when(window["until"])
    name = f"grapevine_{since:%Y-%m-%dT%H%M}_{until:%Y-%m-%dT%H%M}.html"
    return settings.data_dir / "reports" / name


def build_report(window: Window) -> dict[str, Any]:
    from grapevine import tasks

    settings = settings_from_airflow()
    out = report_path(settings, window)
    out.parent.mkdir(parents=True, exist_ok=True)
    return _small(tasks.build_report(window["since"], window["until"], settings=settings, out=out))


_XCOM_LIMIT = 16_384


def _small(result: Mapping[str, Any]) -> dict[str, Any]:
    """Guard the XCom contract: ids and counts, never payloads (they belong in the warehouse)."""
    out = dict(result)
    size = len(json.dumps(out, default=str))
    if size > _XCOM_LIMIT:
        raise ValueError(f"task result is {size} bytes of JSON; XComs carry ids and counts only")
    return out


# --- wiring shared by the DAGs -------------------------------------------------------------------


def as_task(func: Callable[..., Any], **kwargs: Any) -> Any:
    """``@task`` for one of the callables above, with ``multiple_outputs`` off.

    Airflow infers ``multiple_outputs`` from a ``dict`` return annotation and would then push
    every key as an XCom of its own as well; one small dict per task is all we want.
    """
    from airflow.sdk import task

    return task(multiple_outputs=False, **kwargs)(func)


def wire_collect_classify(window: Any) -> tuple[list[Any], Any]:
    """Create plan → collect (per source) → classify (per batch) in the current DAG.

    Per known source a group ``collect_<source>``: ``plan`` lists its window slices, ``collect``
    is mapped over them in the source's own pool (that API's rate limit); a disabled source
    maps to nothing and shows as skipped. Classification is mapped over the batches that are
    pending after collection.
    """
    from airflow.sdk import TaskGroup

    collected = []
    for source in KNOWN_SOURCES:
        with TaskGroup(group_id=f"collect_{source}"):
            slices = as_task(plan)(source, window)
            collect_task = as_task(collect, pool=pool_name(source))
            collected.append(collect_task.partial(source=source).expand(window=slices))
    batches = as_task(classify_batches, trigger_rule="none_failed")(window)
    collected >> batches
    classified = as_task(classify_batch, max_active_tis_per_dagrun=4).expand(batch=batches)
    return collected, classified


def wire_pipeline(window: Any) -> dict[str, Any]:
    """The whole interval: collect → classify → metrics → alerts → report; returns the tasks.

    Nightly and backfill share this wiring so that a backfilled interval ends in exactly the
    state a nightly run leaves.
    """
    collected, classified = wire_collect_classify(window)
    metrics = as_task(compute_metrics, trigger_rule="none_failed")(window)
    alerts = as_task(check_alerts)(window)
    report = as_task(build_report)(window)
    classified >> metrics >> alerts >> report
    return {
        "collect": collected,
        "classify": classified,
        "metrics": metrics,
        "alerts": alerts,
        "report": report,
    }


# --- failure notification ------------------------------------------------------------------------


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace every secret value in ``text`` with ``***`` (longest first, so parts don't leak)."""
    for secret in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def failure_message(context: Context) -> tuple[str, str]:
    """Title and body for a failed task: what failed, for which window, and where the log is."""
    ti = context.get("task_instance") or context.get("ti")
    dag_id = getattr(ti, "dag_id", None) or getattr(context.get("dag"), "dag_id", "?")
    task_id = getattr(ti, "task_id", "?")
    map_index = getattr(ti, "map_index", -1)
    if map_index is not None and map_index >= 0:
        task_id = f"{task_id}[{map_index}]"
    exc = context.get("exception")
    error = f"{type(exc).__name__}: {exc}".splitlines()[0] if exc is not None else "unknown error"
    lines = [
        f"DAG {dag_id}, task {task_id}, run {context.get('run_id', '?')}",
        f"window: {context.get('data_interval_start')} → {context.get('data_interval_end')}",
        f"try: {getattr(ti, 'try_number', '?')}",
        f"error: {error}",
    ]
    log_url = getattr(ti, "log_url", None)
    if log_url:
        lines.append(f"log: {log_url}")
    return f"Grapevine: {dag_id}.{task_id} failed", "\n".join(lines)


def notify_failure(context: Context) -> None:
    """``on_failure_callback``: tell the alert channels (apprise URLs) that a task failed for good.

    Runs after the last retry only. A notification problem is logged, never raised: the task has
    already failed and a crashing callback would only hide why.
    """
    try:
        settings = settings_from_airflow()
        urls = list(settings.alert_urls)
        title, body = failure_message(context)
        secrets = [*urls, *_settings_secrets(settings)]
        title, body = redact(title, secrets), redact(body, secrets)
        if not urls:
            log.warning(
                "%s (no GRAPEVINE_ALERT_URLS / grapevine_alerts connection: not sent)", title
            )
            return
        import apprise

        sender = apprise.Apprise()
        for url in urls:
            sender.add(url)
        if not sender.notify(title=title, body=body):
            log.error("could not deliver the failure notification to every alert channel")
    except Exception:
        log.exception("failure notification itself failed")


def _settings_secrets(settings: Settings) -> list[str]:
    values = []
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        getter = getattr(value, "get_secret_value", None)
        if callable(getter):
            values.append(str(getter()))
    return values


__all__ = [
    "KNOWN_SOURCES",
    "as_task",
    "catchup",
    "data_interval_window",
    "default_args",
    "intraday_lookback_hours",
    "make_window",
    "notify_failure",
    "params_window",
    "plan_collection",
    "pool_name",
    "pools",
    "settings_from_airflow",
    "split_window",
    "start_date",
    "wire_collect_classify",
    "wire_pipeline",
]
