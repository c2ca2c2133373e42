"""Builders of the API collectors: settings in, a configured SDK client and collector out.

``grapevine.sources`` names each source's builder here (``collectors.builders:reddit``) and
checks its credentials before calling it. SDK imports happen inside the builders, so importing
this module stays cheap and works without the ``social`` extra.
"""

from __future__ import annotations

import math
import time

from collectors.base import Collector
from collectors.http import Clock, GatedSession, GatedTransport, RequestGate, RetryPolicy, Sleep
from grapevine.core.privacy import Pseudonymiser
from grapevine.core.settings import Settings


def reddit(
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


def x(settings: Settings, pseudo: Pseudonymiser, gate: RequestGate, page: int | None) -> Collector:
    import tweepy

    from collectors.x import XCollector

    client = tweepy.Client(
        bearer_token=_secret(settings.x_bearer_token), return_type=dict, wait_on_rate_limit=False
    )
    client.session = _session(
        settings, gate, rewrite={"https://api.twitter.com": settings.x_base_url}
    )
    return XCollector(client, pseudo, gate, page_size=page or 100)


def bluesky(
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


def mastodon(
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


def hackernews(
    settings: Settings, pseudo: Pseudonymiser, gate: RequestGate, page: int | None
) -> Collector:
    from collectors.hackernews import HackerNewsCollector

    session = _session(settings, gate, user_agent="grapevine/0.1 (social listening)")
    return HackerNewsCollector(
        session, settings.hackernews_base_url, pseudo, gate, page_size=page or 500
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


def _session(settings: Settings, gate: RequestGate, **kwargs: object) -> GatedSession:
    return GatedSession(gate, timeout=settings.request_timeout_s, **kwargs)  # type: ignore[arg-type]
