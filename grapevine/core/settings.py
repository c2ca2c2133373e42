"""Settings, read once from the environment (prefix ``GRAPEVINE_``) and an optional ``.env``.

This module imports nothing of ours. Secrets are ``SecretStr`` so that they never show up in
a ``repr``, a log line or a rendered Airflow template by accident.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from platformdirs import user_state_path
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


def _default_data_dir() -> Path:
    return user_state_path("grapevine", appauthor=False)


def _split_list(value: object) -> object:
    """Accept ``a,b`` or ``a b`` in env vars as well as real lists."""
    if isinstance(value, str):
        return [part for chunk in value.split(",") for part in chunk.split() if part]
    return value


def check_timezone(name: str) -> str:
    """``name`` stripped, if it is an IANA time zone (``UTC``, ``Europe/Berlin``); else a
    ValueError that says what to write. ``localtime`` and friends are files of the tz database,
    not zones: they would mean different days on different machines."""
    zone = name.strip()
    try:
        if not zone or zone.lower() in {"localtime", "posixrules", "factory"}:
            raise ZoneInfoNotFoundError(zone)
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(
            f"unknown time zone {name!r}: use an IANA name such as UTC, Europe/Berlin or "
            "America/New_York (the 'TZ identifier' column of the tz database list)"
        ) from None
    return zone


class Settings(BaseSettings):
    """All Grapevine configuration. Every field maps to ``GRAPEVINE_<FIELD>`` in the environment."""

    model_config = SettingsConfigDict(
        env_prefix="GRAPEVINE_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    # --- warehouse -------------------------------------------------------------------------
    database_url: SecretStr | None = Field(
        default=None,
        description="Warehouse URL. Unset: an embedded PostgreSQL under DATA_DIR is started.",
    )
    data_dir: Path = Field(
        default_factory=_default_data_dir,
        description="State folder: embedded Postgres data, generated keys, reports.",
    )
    brands_file: Path = Field(default=Path("brands.yaml"), description="The watchlist file.")
    load_batch_size: int = Field(default=5000, ge=1, description="Posts per load transaction.")
    statement_timeout_seconds: float = Field(
        default=0,
        ge=0,
        description="Server-side limit per SQL statement on Grapevine's connections; 0: none.",
    )
    import_glob: str | None = Field(
        default=None,
        description="Files the 'file' source imports on scheduled runs (e.g. /data/*.jsonl).",
    )
    min_post_date: date = Field(
        default=date(2000, 1, 1),
        description="Posts dated before this (UTC) are quarantined at import as data errors.",
    )
    max_future_hours: float = Field(
        default=24.0,
        ge=0,
        description="Posts dated more than this many hours ahead are quarantined at import.",
    )

    timezone: str = Field(
        default="UTC",
        description="IANA time zone (e.g. Europe/Berlin) whose calendar days metrics, alerts "
        "and the report count in; plain --since/--until dates are midnights there.",
    )

    # --- privacy ---------------------------------------------------------------------------
    author_hash_key: SecretStr | None = Field(
        default=None,
        description="Key for pseudonymising author ids. Unset: one is generated in DATA_DIR.",
    )
    store_author_handles: bool = Field(
        default=False, description="Keep author handles in the warehouse (off by default)."
    )

    # --- models ----------------------------------------------------------------------------
    sentiment_model: str = Field(default="default", description="'default' or a HF id/path.")
    advocacy_model: str = Field(default="default", description="'default' or a HF id/path.")
    classify_batch_size: int = Field(default=64, ge=1, description="Texts per inference batch.")
    # int8 by default: per-channel dynamic quantisation runs the shipped encoders about twice
    # as fast on 2 cores and scored like float32 on every validation set (docs/models.md).
    model_precision: Literal["int8", "float32"] = Field(
        default="int8",
        description="Arithmetic of the shipped models (classifiers and outcome embedder): "
        "'int8' (quantised once into GRAPEVINE_ONNX_CACHE, about twice as fast) or 'float32' "
        "(exactly as trained). Hugging Face models always run in float32.",
    )
    classify_task_posts: int = Field(
        default=2000, ge=1, description="Posts per classification task when work fans out."
    )

    # --- sources ---------------------------------------------------------------------------
    reddit_client_id: SecretStr | None = None
    reddit_client_secret: SecretStr | None = None
    reddit_user_agent: str = "grapevine/0.1 (social listening)"
    reddit_subreddits: Annotated[list[str], NoDecode] = Field(default_factory=list)
    reddit_base_url: str = "https://oauth.reddit.com"
    reddit_auth_url: str = "https://www.reddit.com"

    x_bearer_token: SecretStr | None = None
    x_base_url: str = "https://api.x.com"

    bluesky_handle: str | None = None
    bluesky_app_password: SecretStr | None = None
    bluesky_base_url: str = "https://bsky.social"

    mastodon_instances: Annotated[list[str], NoDecode] = Field(default_factory=list)
    mastodon_access_token: SecretStr | None = None

    hackernews_base_url: str = "https://hn.algolia.com"

    request_budget: int = Field(default=1000, ge=1, description="HTTP requests per source per run.")
    request_timeout_s: float = Field(default=30.0, gt=0)
    request_max_attempts: int = Field(
        default=5, ge=1, description="Tries per request on 429/5xx/timeouts before a stream fails."
    )
    request_backoff_s: float = Field(
        default=1.0, gt=0, description="First back-off delay; doubles per retry, with jitter."
    )
    request_max_wait_s: float = Field(
        default=900.0, gt=0, description="Longest rate-limit reset wait honoured (X: 15 min)."
    )
    reddit_replies: bool = Field(
        default=True, description="Also fetch the replies under each matching Reddit submission."
    )
    mastodon_search: bool | None = Field(
        default=None,
        description="Also use Mastodon full-text search (default: on when a token is set).",
    )

    # --- alerts ----------------------------------------------------------------------------
    alert_urls: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="apprise URLs (Slack, mailto, json://...)."
    )
    alert_min_count: int = Field(
        default=10, ge=1, description="Fewest badvocacy posts in a window that can alert."
    )
    alert_alpha: float = Field(
        default=0.05,
        gt=0,
        lt=1,
        description="Significance of the count test, corrected over the brands tested together "
        "(see benchmarks/alerts_bench.py for false alarms and recall at each level).",
    )
    alert_share_alpha: float = Field(
        default=0.05, gt=0, lt=1, description="Significance of the badvocacy-share guard test."
    )
    alert_correction: Literal["holm", "bh", "bonferroni"] = Field(
        default="holm", description="Multiple-testing correction over brands."
    )
    alert_baseline_days: int = Field(default=28, ge=7, description="Trailing baseline length.")
    alert_min_history_days: int = Field(
        default=14,
        ge=3,
        description="Baseline days a brand needs before its days are tested (at most "
        "ALERT_BASELINE_DAYS; fewer days test sooner but estimate the baseline less well).",
    )
    alert_top_posts: int = Field(default=5, ge=0, description="Top posts by reach per alert.")
    alert_timeout_seconds: float = Field(
        default=15.0,
        gt=0,
        le=300,
        description="How long a channel may take to connect and to answer before the delivery "
        "counts as failed (and is retried next run): longer than the slowest receiver.",
    )

    alert_surge: bool = Field(
        default=True,
        description="Also alert when a brand's mention volume is significantly above its "
        "baseline (a 'surge': crises and campaigns show up first as volume).",
    )
    alert_surge_min_count: int = Field(
        default=30, ge=1, description="Fewest mentions in a window that can raise a surge alert."
    )

    # --- outcomes (why customers advocate or warn) ----------------------------------------
    outcomes: bool = Field(
        default=True,
        description="Run the outcomes stage: discover what customers talk about, assign posts.",
    )
    outcome_embedder: str = Field(
        default="default",
        description="Sentence embedder for outcomes: 'default' (minilm6, all-MiniLM-L6-v2 "
        "itself), 'minilm3' (a distilled 3-layer student: twice as fast, less sharp on real "
        "complaints), a folder written by `python -m nlp.distil_embed`, or a Hugging Face id "
        "(needs torch).",
    )
    outcome_min_posts: int = Field(
        default=10,
        ge=3,
        description="Fewest posts an outcome keeps after assignment; clusters are also at least "
        "0.5% of the clustered sample (HDBSCAN's min_cluster_size is the larger).",
    )
    # 0.35, not 0.45: on 1,222 real complaint tweets (brand_tweets/complaints.csv, their
    # industry as the reason) 0.45 left 49 % of them unassigned and 0.35 20 %, with NMI
    # 0.176 -> 0.206, ARI 0.022 -> 0.081, purity 0.319 -> 0.397 (`grapevine eval outcomes
    # --min-similarity`); the labelled fixture scores the same and the demo keeps its drivers.
    outcome_assign_similarity: float = Field(
        default=0.35,
        gt=0,
        lt=1,
        description="Cosine similarity to an outcome's centroid a post needs to be assigned to it.",
    )
    outcome_discovery_sample: int = Field(
        default=30000,
        ge=100,
        description="Most posts clustered per discovery; the rest are assigned to what it found.",
    )
    outcome_rediscover_days: int = Field(
        default=7,
        ge=1,
        description="A nightly run re-discovers outcomes when the last discovery is this old.",
    )
    outcome_driver_alpha: float = Field(
        default=0.05, gt=0, lt=1, description="Significance of the spike-driver test (Holm)."
    )

    @field_validator("reddit_subreddits", "mastodon_instances", "alert_urls", mode="before")
    @classmethod
    def _lists(cls, value: object) -> object:
        return _split_list(value)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        """An unknown zone would otherwise surface as a PostgreSQL error in the metrics stage,
        after collection and classification had already run."""
        return check_timezone(value)

    @model_validator(mode="after")
    def _alerts_can_fire(self) -> Settings:
        """Reject alert settings under which no brand-day could ever be tested.

        The baseline holds at most ``alert_baseline_days`` days; a test that needs more history
        than that never runs, and every run would report "no spikes" forever.
        """
        if self.alert_min_history_days > self.alert_baseline_days:
            raise ValueError(
                f"GRAPEVINE_ALERT_MIN_HISTORY_DAYS={self.alert_min_history_days} is more than "
                f"GRAPEVINE_ALERT_BASELINE_DAYS={self.alert_baseline_days}: the baseline holds "
                f"at most {self.alert_baseline_days} days, so no brand-day could ever be tested "
                "and nothing would ever alert. Set GRAPEVINE_ALERT_BASELINE_DAYS to at least "
                f"{self.alert_min_history_days}, or GRAPEVINE_ALERT_MIN_HISTORY_DAYS to at most "
                f"{self.alert_baseline_days}."
            )
        return self

    @property
    def author_key_file(self) -> Path:
        return self.data_dir / "author_hash.key"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once (tests call ``get_settings.cache_clear()``)."""
    return Settings()
