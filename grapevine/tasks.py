"""Task-level entry points for schedulers (Airflow) and the ``grapevine run`` command.

Each function opens its own warehouse connection from settings, works on an explicit window
``[since, until)`` (ISO strings or aware datetimes: Airflow passes its data interval), and
returns a small dict of counts and ids, which is all an XCom should carry. Nothing here reads
the clock, so retries and backfills compute exactly what the first run did.
"""

from __future__ import annotations

import glob
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from grapevine.core.errors import ConfigError, GrapevineError, MissingCredentialsError
from grapevine.core.settings import Settings, get_settings

log = logging.getLogger(__name__)

When = str | datetime | None


def to_utc(value: When) -> datetime | None:
    """ISO string or datetime (naive means UTC) -> aware UTC datetime."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        raw = value.strip()
        parsed = datetime.fromisoformat(raw[:-1] + "+00:00" if raw.endswith(("Z", "z")) else raw)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _settings(settings: Settings | None) -> Settings:
    return settings or get_settings()


def init_db(settings: Settings | None = None) -> dict[str, Any]:
    from grapevine import pipeline
    from warehouse import migrate

    with pipeline.warehouse(_settings(settings), migrate_first=True) as engine:
        return {"revision": migrate.current_revision(engine)}


def import_files(settings: Settings) -> list[Path]:
    """Files the ``file`` source imports on scheduled runs (``GRAPEVINE_IMPORT_GLOB``)."""
    if not settings.import_glob:
        return []
    return sorted(Path(p) for p in glob.glob(settings.import_glob, recursive=True))  # noqa: PTH207


def enabled_sources(settings: Settings | None = None) -> list[str]:
    """Sources that can run with the current configuration (credentials present)."""
    settings = _settings(settings)
    sources = ["file"] if settings.import_glob else []
    try:
        from collectors.registry import configured_sources
    except ImportError:  # the social collectors are an optional extra
        return sources
    return sources + [s for s in configured_sources(settings) if s not in sources]


def collect_source(
    source: str, since: When, until: When, settings: Settings | None = None
) -> dict[str, Any]:
    """Collect one source for the window. Missing credentials raise ``MissingCredentialsError``."""
    from grapevine import pipeline
    from grapevine.core.privacy import pseudonymiser_from_settings

    settings = _settings(settings)
    start, end = to_utc(since), to_utc(until)
    watchlist = pipeline.load_watchlist(settings)
    with pipeline.warehouse(settings) as engine:
        if source == "file":
            paths = import_files(settings)
            if not paths:
                raise ConfigError(
                    "the file source has nothing to import",
                    hint="set GRAPEVINE_IMPORT_GLOB to the export files, e.g. /data/*.jsonl",
                )
            summaries = [
                pipeline.collect_file(p, watchlist, engine, settings, since=start, until=end)
                for p in paths
            ]
        else:
            from collectors.registry import build_collector

            collector = build_collector(source, settings, pseudonymiser_from_settings(settings))
            summaries = [
                pipeline.run_collector(
                    collector, watchlist, engine, settings, since=start, until=end
                )
            ]
    return {
        "source": source,
        "read": sum(s.read for s in summaries),
        "matched": sum(s.matched for s in summaries),
        "thread_replies": sum(s.thread_replies for s in summaries),
        "loaded": sum(s.loaded for s in summaries),
        "duplicates": sum(s.duplicates for s in summaries),
        "quarantined": sum(s.quarantined for s in summaries),
    }


def collect_all(
    since: When, until: When, settings: Settings | None = None, sources: list[str] | None = None
) -> list[dict[str, Any]]:
    """Every requested (or enabled) source; one failing source never stops the others."""
    settings = _settings(settings)
    results = []
    for source in sources or enabled_sources(settings):
        try:
            results.append(collect_source(source, since, until, settings))
        except MissingCredentialsError as exc:
            log.warning("skipping %s: %s", source, exc)
            results.append({"source": source, "skipped": str(exc)})
        except GrapevineError as exc:
            # Raised on purpose with what to do about it: a traceback would bury that line.
            log.error("source %s failed: %s", source, exc)
            results.append({"source": source, "error": str(exc)})
        except Exception as exc:
            log.exception("source %s failed", source)
            results.append({"source": source, "error": f"{exc.__class__.__name__}: {exc}"})
    return results


def classify_batches(
    since: When, until: When, settings: Settings | None = None, batch_size: int | None = None
) -> list[dict[str, Any]]:
    """Pending posts cut into id ranges, so that classification can fan out over workers."""
    from grapevine import classify, pipeline

    settings = _settings(settings)
    start, end = to_utc(since), to_utc(until)
    models = classify.load_models(settings)
    with pipeline.warehouse(settings) as engine:
        ranges = classify.count_pending(
            engine, models, start, end, batch_size=batch_size or settings.classify_task_posts
        )
    return [
        {
            "since": start.isoformat() if start else None,
            "until": end.isoformat() if end else None,
            "first_post_id": first,
            "last_post_id": last,
            "posts": n,
        }
        for first, last, n in ranges
    ]


def classify_batch(batch: dict[str, Any], settings: Settings | None = None) -> dict[str, Any]:
    from grapevine import classify, pipeline

    settings = _settings(settings)
    with pipeline.warehouse(settings) as engine:
        summary = classify.classify(
            engine,
            settings,
            since=to_utc(batch.get("since")),
            until=to_utc(batch.get("until")),
            first_post_id=batch.get("first_post_id"),
            last_post_id=batch.get("last_post_id"),
        )
    return {
        "posts": summary.posts,
        "sentiment_rows": summary.sentiment_rows,
        "advocacy_rows": summary.advocacy_rows,
        "unsupported": summary.unsupported,
    }


def classify_window(since: When, until: When, settings: Settings | None = None) -> dict[str, Any]:
    """Everything pending in the window, in this process."""
    return classify_batch({"since": to_utc(since), "until": to_utc(until)}, settings)


def compute_metrics(since: When, until: When, settings: Settings | None = None) -> dict[str, Any]:
    from grapevine import pipeline, stages

    settings = _settings(settings)
    with pipeline.warehouse(settings) as engine:
        return stages.run_metrics(engine, settings, to_utc(since), to_utc(until))


def check_alerts(
    since: When, until: When, settings: Settings | None = None, dry_run: bool = False
) -> dict[str, Any]:
    """Detect, store and notify the window's alerts; returns the stage's counts.

    Raises ``DeliveryError`` when alerts were due and no notification reached any channel, so
    that the scheduler's task fails, is retried (a retry re-sends the pending alerts only) and
    notifies whoever watches the DAG: a green task would say the team had been told.
    """
    from grapevine import pipeline, stages

    settings = _settings(settings)
    with pipeline.warehouse(settings) as engine:
        result = stages.run_alerts(engine, settings, to_utc(since), to_utc(until), dry_run=dry_run)
    problem = stages.delivery_failure(result)
    if problem is not None:
        log.error(
            "alerts: %d found, %d new; %s",
            result["alerts_found"],
            len(result["new_alert_ids"]),
            result["coverage"],
        )
        raise problem
    return result


def build_report(
    since: When, until: When, settings: Settings | None = None, out: str | Path | None = None
) -> dict[str, Any]:
    from grapevine import pipeline, stages

    settings = _settings(settings)
    with pipeline.warehouse(settings) as engine:
        path = stages.run_report(
            engine, settings, to_utc(since), to_utc(until), Path(out) if out else None
        )
    return {"path": str(path)}
