"""The one list of sources: what each is called, needs, and is built by.

Every other list of sources is derived from :data:`SOURCES`: the CLI's ``--source`` choices,
the sources ``grapevine run`` and the Airflow DAGs collect, their Airflow pools and
connections, the backfill's ``sources`` parameter and the table in ``docs/sources.md``.
Adding a source means one collector module (with its builder) plus one :class:`SourceSpec`.

This module is read when the scheduler parses the DAG files, so it imports nothing heavy at
import time: builders are named by dotted path and imported only when a source is built.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collectors.base import Collector
    from grapevine.core.privacy import Pseudonymiser
    from grapevine.core.settings import Settings


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """One source: its name (stored in ``posts.source``), settings and how to build it."""

    name: str
    #: How the docs call it.
    title: str
    #: ``"module:function"`` that builds the API collector from
    #: ``(settings, pseudonymiser, request gate, page size or None)``; ``None`` for the file
    #: source, which is built per file.
    builder: str | None
    #: Settings fields that must be set (non-empty) before the source can run.
    required: tuple[str, ...] = ()
    #: What to do when one of them is missing (the start of the error message).
    how_to: str = ""
    #: Settings fields filled from the login and the password of the Airflow connection
    #: ``grapevine_<name>``; every extra key ``k`` of that connection fills ``<name>_<k>``.
    connection_fields: tuple[str | None, str | None] = (None, None)

    @property
    def env_names(self) -> list[str]:
        return [f"GRAPEVINE_{field.upper()}" for field in self.required]

    @property
    def connection_id(self) -> str:
        """The Airflow connection that may carry this source's credentials."""
        return f"grapevine_{self.name}"

    @property
    def pool(self) -> str:
        """The Airflow pool that bounds concurrent collection from it (its API's rate limit)."""
        return f"grapevine_{self.name}"

    def build_function(self) -> Callable[..., Collector]:
        if self.builder is None:
            raise ValueError(f"the {self.name} source has no builder")
        module, _, name = self.builder.partition(":")
        built: Callable[..., Collector] = getattr(import_module(module), name)
        return built


#: Every source Grapevine knows, in the order runs collect them.
SOURCES: list[SourceSpec] = [
    SourceSpec(
        "file",
        "File import (JSONL / CSV)",
        None,
        required=("import_glob",),
        how_to="set it to the export files, e.g. GRAPEVINE_IMPORT_GLOB=/data/*.jsonl "
        "(or pass --path FILE)",
    ),
    SourceSpec(
        "reddit",
        "Reddit",
        "collectors.builders:reddit",
        required=("reddit_client_id", "reddit_client_secret"),
        how_to="create a 'script' app at https://www.reddit.com/prefs/apps and export its id "
        "and secret as GRAPEVINE_REDDIT_CLIENT_ID and GRAPEVINE_REDDIT_CLIENT_SECRET",
        connection_fields=("reddit_client_id", "reddit_client_secret"),
    ),
    SourceSpec(
        "x",
        "X (Twitter)",
        "collectors.builders:x",
        required=("x_bearer_token",),
        how_to="create a project and app at https://developer.x.com/en/portal/dashboard and "
        "export its bearer token as GRAPEVINE_X_BEARER_TOKEN",
        connection_fields=(None, "x_bearer_token"),
    ),
    SourceSpec(
        "bluesky",
        "Bluesky",
        "collectors.builders:bluesky",
        required=("bluesky_handle", "bluesky_app_password"),
        how_to="create an app password at https://bsky.app/settings/app-passwords and export "
        "GRAPEVINE_BLUESKY_HANDLE and GRAPEVINE_BLUESKY_APP_PASSWORD",
        connection_fields=("bluesky_handle", "bluesky_app_password"),
    ),
    SourceSpec(
        "mastodon",
        "Mastodon",
        "collectors.builders:mastodon",
        required=("mastodon_instances",),
        how_to="list instances, e.g. GRAPEVINE_MASTODON_INSTANCES=mastodon.social,fosstodon.org "
        "(an access token is optional and enables full-text search)",
        connection_fields=(None, "mastodon_access_token"),
    ),
    SourceSpec("hackernews", "Hacker News (Algolia)", "collectors.builders:hackernews"),
]


def names() -> list[str]:
    """Every source's name, in run order."""
    return [s.name for s in SOURCES]


def spec(source: str) -> SourceSpec:
    """The spec of ``source``, or a ``ConfigError`` listing the known ones."""
    for candidate in SOURCES:
        if candidate.name == source:
            return candidate
    from grapevine.core.errors import ConfigError

    raise ConfigError(f"unknown source {source!r}", hint=f"choose one of {', '.join(names())}")


def missing_settings(source: str, settings: Settings) -> list[str]:
    """The env vars ``source`` still needs (empty when it can run)."""
    return [
        f"GRAPEVINE_{field.upper()}"
        for field in spec(source).required
        if _blank(getattr(settings, field, None))
    ]


def _blank(value: Any) -> bool:
    if value is None:
        return True
    secret = getattr(value, "get_secret_value", None)
    text = secret() if callable(secret) else value
    if isinstance(text, str):
        return not text.strip()
    return isinstance(text, list | tuple) and not text


def configured_sources(settings: Settings) -> list[str]:
    """Sources whose settings are complete, in run order (Hacker News needs none; the file
    source needs ``GRAPEVINE_IMPORT_GLOB``)."""
    return [s.name for s in SOURCES if not missing_settings(s.name, settings)]


def build_collector(
    source: str,
    settings: Settings,
    pseudo: Pseudonymiser,
    *,
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], float] = time.time,
    page_size: int | None = None,
) -> Collector:
    """The collector for ``source`` wired to settings; ``sleep``/``now`` drive rate-limit waits.

    A missing setting raises ``MissingCredentialsError`` naming it and what to do, so the
    caller can skip this source and run the others. ``now`` is a clock (epoch seconds), used
    only to interpret rate-limit reset headers; windows always come from ``collect()``.
    """
    from collectors.builders import make_gate
    from grapevine.core.errors import ConfigError, MissingCredentialsError

    source_spec = spec(source)
    if source_spec.builder is None:
        raise ConfigError(
            f"the {source} source is built per file, not from settings",
            hint="grapevine collect --source file --path FILE",
        )
    missing = missing_settings(source, settings)
    if missing:
        raise MissingCredentialsError(
            f"{missing[0]} is not set: {source_spec.how_to}",
            hint=f"the {source} source is skipped; see docs/sources.md",
        )
    gate = make_gate(settings, sleep=sleep, now=now)
    return source_spec.build_function()(settings, pseudo, gate, page_size)


def docs_table() -> str:
    """The sources table of ``docs/sources.md`` (a test keeps the file equal to it)."""
    lines = [
        "| source | `--source` | settings it needs | Airflow connection | Airflow pool |",
        "| --- | --- | --- | --- | --- |",
    ]
    for s in SOURCES:
        needs = ", ".join(f"`{n}`" for n in s.env_names) or "none"
        lines.append(f"| {s.title} | `{s.name}` | {needs} | `{s.connection_id}` | `{s.pool}` |")
    return "\n".join(lines) + "\n"
