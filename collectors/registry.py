"""Build a configured collector by source name, or say clearly which setting is missing.

The CLI and Airflow call :func:`build_collector` once per source; a
:class:`MissingCredentialsError` for one source is reported and that source skipped while the
others run. SDK imports happen here, lazily, so importing ``collectors`` stays cheap.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from collectors.base import Collector
from collectors.http import Clock, GatedSession, GatedTransport, RequestGate, RetryPolicy, Sleep
from grapevine.core.domain import Source
from grapevine.core.errors import ConfigError, MissingCredentialsError
from grapevine.core.privacy import Pseudonymiser
from grapevine.core.settings import Settings

API_SOURCES = (
    Source.REDDIT.value,
    Source.X.value,
    Source.BLUESKY.value,
    Source.MASTODON.value,
    Source.HACKERNEWS.value,
)

_HELP = {
    "reddit": "create a 'script' app at https://www.reddit.com/prefs/apps and export its id and "
    "secret as GRAPEVINE_REDDIT_CLIENT_ID and GRAPEVINE_REDDIT_CLIENT_SECRET",
    "x": "create a project and app at https://developer.x.com/en/portal/dashboard and export "
    "its bearer token as GRAPEVINE_X_BEARER_TOKEN",
    "bluesky": "create an app password at https://bsky.app/settings/app-passwords and export "
    "GRAPEVINE_BLUESKY_HANDLE and GRAPEVINE_BLUESKY_APP_PASSWORD",
    "mastodon": "list instances, e.g. GRAPEVINE_MASTODON_INSTANCES=mastodon.social,fosstodon.org "
    "(an access token is optional and enables full-text search)",
}


def missing_settings(source: str, settings: Settings) -> list[str]:
    """The env vars ``source`` still needs (empty when it can run)."""
    needed: dict[str, object] = {}
    if source == "reddit":
        needed = {
            "GRAPEVINE_REDDIT_CLIENT_ID": settings.reddit_client_id,
            "GRAPEVINE_REDDIT_CLIENT_SECRET": settings.reddit_client_secret,
        }
    elif source == "x":
        needed = {"GRAPEVINE_X_BEARER_TOKEN": settings.x_bearer_token}
    elif source == "bluesky":
        needed = {
            "GRAPEVINE_BLUESKY_HANDLE": settings.bluesky_handle,
            "GRAPEVINE_BLUESKY_APP_PASSWORD": settings.bluesky_app_password,
        }
    elif source == "mastodon":
        needed = {"GRAPEVINE_MASTODON_INSTANCES": settings.mastodon_instances or None}
    return [name for name, value in needed.items() if value is None or _blank(value)]


def _blank(value: object) -> bool:
    secret = getattr(value, "get_secret_value", None)
    text = secret() if callable(secret) else value
    return isinstance(text, str) and not text.strip()


def configured_sources(settings: Settings) -> list[str]:
    """API sources whose settings are complete (Hacker News needs none)."""
    return [s for s in API_SOURCES if not missing_settings(s, settings)]


def _require(source: str, settings: Settings) -> None:
    missing = missing_settings(source, settings)
    if missing:
        raise MissingCredentialsError(
            f"{missing[0]} is not set: {_HELP[source]}",
            hint=f"the {source} source is skipped; see docs/sources.md",
        )


def make_gate(
    settings: Settings, *, sleep: Sleep = time.sleep, now: Clock = time.time
) -> RequestGate:
    policy = RetryPolicy(
        max_attempts=settings.request_max_attempts,
        base_delay=settings.request_backoff_s,
        max_wait=settings.request_max_wait_s,
    )
    return RequestGate(settings.request_budget, policy=policy, sleep=sleep, clock=now)


def _secret(value: object) -> str:
    getter = getattr(value, "get_secret_value", None)
    return str(getter() if callable(getter) else value)


def build_collector(
    source: str,
    settings: Settings,
    pseudo: Pseudonymiser,
    *,
    sleep: Sleep = time.sleep,
    now: Clock = time.time,
    page_size: int | None = None,
) -> Collector:
    """The collector for ``source`` wired to settings; ``sleep``/``now`` drive rate-limit waits.

    ``now`` is a clock (``time.time``-like, epoch seconds), used only to interpret rate-limit
    reset headers; collection windows always come from ``collect(since, until)``.
    """
    builders: dict[str, Callable[[Settings, Pseudonymiser, RequestGate, int | None], Collector]] = {
        "reddit": _reddit,
        "x": _x,
        "bluesky": _bluesky,
        "mastodon": _mastodon,
        "hackernews": _hackernews,
    }
    if source not in builders:
        raise ConfigError(
            f"unknown source {source!r}", hint=f"choose one of {', '.join(API_SOURCES)} or file"
        )
    if source in _HELP:
        _require(source, settings)
    return builders[source](settings, pseudo, make_gate(settings, sleep=sleep, now=now), page_size)


def _session(settings: Settings, gate: RequestGate, **kwargs: object) -> GatedSession:
    return GatedSession(gate, timeout=settings.request_timeout_s, **kwargs)  # type: ignore[arg-type]


def _reddit(
    settings: Settings, pseudo: Pseudonymiser, gate: RequestGate, page: int | None
) -> Collector:
    import praw

    from collectors.reddit import RedditCollector

    reddit = praw.Reddit(
        client_id=_secret(settings.reddit_client_id),
        client_secret=_secret(settings.reddit_client_secret),
        user_agent=settings.reddit_user_agent,
        oauth_url=settings.reddit_base_url.rstrip("/"),
        reddit_url=settings.reddit_auth_url.rstrip("/"),
        requestor_kwargs={"session": _session(settings, gate, strip_rate_headers=True)},
        timeout=max(1, math.ceil(settings.request_timeout_s)),  # praw wants whole seconds
        check_for_updates=False,
        check_for_async=False,
    )
    return RedditCollector(
        reddit,
        pseudo,
        gate,
        subreddits=settings.reddit_subreddits,
        replies=settings.reddit_replies,
        page_size=page or 100,
    )


def _x(settings: Settings, pseudo: Pseudonymiser, gate: RequestGate, page: int | None) -> Collector:
    import tweepy

    from collectors.x import XCollector

    client = tweepy.Client(
        bearer_token=_secret(settings.x_bearer_token), return_type=dict, wait_on_rate_limit=False
    )
    client.session = _session(
        settings, gate, rewrite={"https://api.twitter.com": settings.x_base_url}
    )
    return XCollector(client, pseudo, gate, page_size=page or 100)


def _bluesky(
    settings: Settings, pseudo: Pseudonymiser, gate: RequestGate, page: int | None
) -> Collector:
    from atproto import Client
    from atproto_client.request import Request

    from collectors.bluesky import BlueskyCollector

    request = Request(transport=GatedTransport(gate), timeout=settings.request_timeout_s)
    client = Client(base_url=settings.bluesky_base_url, request=request)
    return BlueskyCollector(
        client,
        pseudo,
        gate,
        handle=str(settings.bluesky_handle),
        password=_secret(settings.bluesky_app_password),
        page_size=page or 100,
    )


def _mastodon(
    settings: Settings, pseudo: Pseudonymiser, gate: RequestGate, page: int | None
) -> Collector:
    from mastodon import Mastodon

    from collectors.mastodon import PAGE_SIZE, MastodonCollector, instance_url

    token = _secret(settings.mastodon_access_token) if settings.mastodon_access_token else None
    clients = {}
    for instance in settings.mastodon_instances:
        url = instance_url(instance)
        clients[url] = Mastodon(
            access_token=token,
            api_base_url=url,
            session=_session(settings, gate),
            ratelimit_method="throw",  # our gate paces; Mastodon.py must not sleep on its own
            request_timeout=settings.request_timeout_s,
            version_check_mode="created",
            # A known version: Mastodon.py would otherwise ask the instance for it mid-run.
            mastodon_version="4.3.0",
        )
    search = settings.mastodon_search if settings.mastodon_search is not None else token is not None
    return MastodonCollector(clients, pseudo, gate, search=search, page_size=page or PAGE_SIZE)


def _hackernews(
    settings: Settings, pseudo: Pseudonymiser, gate: RequestGate, page: int | None
) -> Collector:
    from collectors.hackernews import HackerNewsCollector

    session = _session(settings, gate, user_agent="grapevine/0.1 (social listening)")
    return HackerNewsCollector(
        session, settings.hackernews_base_url, pseudo, gate, page_size=page or 500
    )
