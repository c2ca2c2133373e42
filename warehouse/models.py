"""SQLAlchemy 2 typed models of the warehouse: the one declaration of its tables.

The migrations in ``warehouse/migrations`` create the schema; these tables say what it is, and
``tests/integration/test_migrations.py`` fails when the two disagree (columns, types,
nullability, defaults, keys, constraints, indexes). The loaders derive their COPY and upsert
column lists from here (``written_columns``, ``unique_key``, ``primary_key``), so a column added
by a migration and here joins those lists without a third declaration (and
``tests/unit/test_load_columns.py`` fails until the row builders supply its value). Every
timestamp is ``timestamptz``; raw payloads are JSONB.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy import (
    text as sql_text,
)
from sqlalchemy.dialects.postgresql import ARRAY, BYTEA, JSONB, REAL
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

TZ = DateTime(timezone=True)

#: ``Column.info`` flag of a timestamp the database stamps itself (``now()``): writers never
#: supply it, so ``written_columns`` leaves it out.
STAMPED = "stamped"

#: How Alembic compares these tables with a database: the autogenerate environment and the test
#: that the migrations agree with the models use the same options.
COMPARE_OPTIONS: dict[str, Any] = {"compare_type": True, "compare_server_default": True}


def _stamp() -> Mapped[datetime]:
    """A ``timestamptz`` that defaults to ``now()`` and that no writer supplies."""
    return mapped_column(TZ, server_default=func.now(), info={STAMPED: True})


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class BrandRow(Base):
    """A watched brand. Synced from ``brands.yaml`` on every run; ids are stable per name."""

    __tablename__ = "brands"

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(Text, unique=True)
    slug: Mapped[str] = mapped_column(Text, unique=True)
    aliases: Mapped[list[str]] = mapped_column(JSONB, server_default=sql_text("'[]'::jsonb"))
    query: Mapped[str | None] = mapped_column(Text)
    owned_handles: Mapped[list[str]] = mapped_column(JSONB, server_default=sql_text("'[]'::jsonb"))
    competitors: Mapped[list[str]] = mapped_column(JSONB, server_default=sql_text("'[]'::jsonb"))
    created_at: Mapped[datetime] = _stamp()
    updated_at: Mapped[datetime] = _stamp()


class PostRow(Base):
    """One collected post; ``(source, source_id)`` is the key that makes loads idempotent."""

    __tablename__ = "posts"
    __table_args__ = (
        UniqueConstraint("source", "source_id"),
        Index("ix_posts_created_at", "created_at"),
        Index("ix_posts_thread", "source", "thread_id"),
        Index("ix_posts_author_key", "author_key"),
        Index("ix_posts_parent", "source", "parent_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    source: Mapped[str] = mapped_column(Text)
    source_id: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    author_key: Mapped[str | None] = mapped_column(Text)
    author_handle: Mapped[str | None] = mapped_column(Text)
    author_followers: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(TZ)
    text: Mapped[str] = mapped_column(Text)
    lang: Mapped[str | None] = mapped_column(Text)
    parent_id: Mapped[str | None] = mapped_column(Text)
    thread_id: Mapped[str | None] = mapped_column(Text)
    likes: Mapped[int | None] = mapped_column(BigInteger)
    replies: Mapped[int | None] = mapped_column(BigInteger)
    reposts: Mapped[int | None] = mapped_column(BigInteger)
    score: Mapped[int | None] = mapped_column(BigInteger)
    is_c2c: Mapped[bool] = mapped_column(Boolean, server_default=sql_text("true"))
    raw: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=sql_text("'{}'::jsonb"))
    content_hash: Mapped[str] = mapped_column(Text)
    collected_at: Mapped[datetime] = _stamp()
    updated_at: Mapped[datetime] = _stamp()


class PostBrandRow(Base):
    """Which brands a post mentions, and where (the advocacy model's target span).

    ``inherited`` rows belong to replies that name no brand themselves: the brand comes from
    ``inherited_from_post_id``, the nearest ancestor in the thread that names it (see
    ``warehouse.threads``). They have no span and are never ``brand_owned``.
    """

    __tablename__ = "post_brands"
    __table_args__ = (
        Index("ix_post_brands_brand_id_post_id", "brand_id", "post_id"),
        Index(
            "ix_post_brands_inherited_from_post_id",
            "inherited_from_post_id",
            postgresql_where=sql_text("inherited_from_post_id IS NOT NULL"),
        ),
        CheckConstraint(
            "inherited = (inherited_from_post_id IS NOT NULL)", name="inherited_has_source"
        ),
    )

    post_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    brand_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("brands.id", ondelete="CASCADE"), primary_key=True
    )
    mention_start: Mapped[int | None] = mapped_column(Integer)
    mention_end: Mapped[int | None] = mapped_column(Integer)
    matched_alias: Mapped[str | None] = mapped_column(Text)
    brand_owned: Mapped[bool] = mapped_column(Boolean, server_default=sql_text("false"))
    inherited: Mapped[bool] = mapped_column(Boolean, server_default=sql_text("false"))
    inherited_from_post_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("posts.id", ondelete="CASCADE")
    )


class ClassificationRow(Base):
    """A model's judgement: post sentiment (``brand_id`` NULL) or advocacy toward one brand.

    Unique per (post, brand, task, model_version) with NULLs not distinct, so re-running the
    same model never adds a row and a new model version adds its own rows beside the old ones.
    """

    __tablename__ = "classifications"
    __table_args__ = (
        UniqueConstraint(
            "post_id", "brand_id", "task", "model_version", postgresql_nulls_not_distinct=True
        ),
        Index("ix_classifications_brand_task_version", "brand_id", "task", "model_version"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    post_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("posts.id", ondelete="CASCADE"))
    brand_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("brands.id", ondelete="CASCADE")
    )
    task: Mapped[str] = mapped_column(Text)
    label: Mapped[str] = mapped_column(Text)
    confidence: Mapped[float | None] = mapped_column(Float)
    probs: Mapped[dict[str, float]] = mapped_column(JSONB, server_default=sql_text("'{}'::jsonb"))
    lang: Mapped[str | None] = mapped_column(Text)
    model_name: Mapped[str] = mapped_column(Text)
    model_version: Mapped[str] = mapped_column(Text)
    classified_at: Mapped[datetime] = _stamp()


class ModelVersionRow(Base):
    """Models that have written classifications; one per task is current.

    Re-classifying with a new model adds rows beside the old ones; metrics and the analyst
    views read only the current version, so switching back is one UPDATE.
    """

    __tablename__ = "model_versions"
    __table_args__ = (
        Index(
            "uq_model_versions_current_task",
            "task",
            unique=True,
            postgresql_where=sql_text("is_current"),
        ),
    )

    task: Mapped[str] = mapped_column(Text, primary_key=True)
    model_version: Mapped[str] = mapped_column(Text, primary_key=True)
    model_name: Mapped[str] = mapped_column(Text)
    is_current: Mapped[bool] = mapped_column(Boolean, server_default=sql_text("false"))
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=sql_text("'{}'::jsonb"))
    registered_at: Mapped[datetime] = _stamp()


class BrandDailyMetricRow(Base):
    """Per brand x day x source aggregates, recomputed per interval by delete-and-insert."""

    __tablename__ = "brand_daily_metrics"
    __table_args__ = (Index("ix_brand_daily_metrics_day", "day"),)

    brand_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("brands.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    source: Mapped[str] = mapped_column(Text, primary_key=True)
    model_version: Mapped[str | None] = mapped_column(Text)
    mentions: Mapped[int] = mapped_column(Integer, server_default=sql_text("0"))
    unique_authors: Mapped[int] = mapped_column(Integer, server_default=sql_text("0"))
    positive: Mapped[int] = mapped_column(Integer, server_default=sql_text("0"))
    neutral: Mapped[int] = mapped_column(Integer, server_default=sql_text("0"))
    negative: Mapped[int] = mapped_column(Integer, server_default=sql_text("0"))
    advocacy: Mapped[int] = mapped_column(Integer, server_default=sql_text("0"))
    badvocacy: Mapped[int] = mapped_column(Integer, server_default=sql_text("0"))
    net_advocacy: Mapped[float | None] = mapped_column(Float)
    net_advocacy_low: Mapped[float | None] = mapped_column(Float)
    net_advocacy_high: Mapped[float | None] = mapped_column(Float)
    share_of_voice: Mapped[float | None] = mapped_column(Float)
    reach: Mapped[int | None] = mapped_column(BigInteger)
    engagement: Mapped[int | None] = mapped_column(BigInteger)
    net_advocacy_reach: Mapped[float | None] = mapped_column(Float)
    net_advocacy_engagement: Mapped[float | None] = mapped_column(Float)
    rated: Mapped[int] = mapped_column(Integer, server_default=sql_text("0"))
    unsupported: Mapped[int] = mapped_column(Integer, server_default=sql_text("0"))
    competitive_mentions: Mapped[int] = mapped_column(Integer, server_default=sql_text("0"))
    rated_reach: Mapped[int] = mapped_column(BigInteger, server_default=sql_text("0"))
    advocacy_reach: Mapped[int] = mapped_column(BigInteger, server_default=sql_text("0"))
    badvocacy_reach: Mapped[int] = mapped_column(BigInteger, server_default=sql_text("0"))
    rated_engagement: Mapped[int] = mapped_column(BigInteger, server_default=sql_text("0"))
    advocacy_engagement: Mapped[int] = mapped_column(BigInteger, server_default=sql_text("0"))
    badvocacy_engagement: Mapped[int] = mapped_column(BigInteger, server_default=sql_text("0"))
    share_of_voice_reach: Mapped[float | None] = mapped_column(Float)
    share_of_voice_engagement: Mapped[float | None] = mapped_column(Float)
    sentiment_model_version: Mapped[str | None] = mapped_column(Text)
    computed_at: Mapped[datetime] = _stamp()


class AlertRow(Base):
    """A detected spike. Unique per (brand, kind, window_start): reruns never notify twice."""

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("brand_id", "kind", "window_start"),
        Index(
            "ix_alerts_pending",
            "created_at",
            postgresql_where=sql_text("notified_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    brand_id: Mapped[int] = mapped_column(Integer, ForeignKey("brands.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(Text)
    window_start: Mapped[datetime] = mapped_column(TZ)
    window_end: Mapped[datetime] = mapped_column(TZ)
    observed: Mapped[float | None] = mapped_column(Float)
    expected: Mapped[float | None] = mapped_column(Float)
    share: Mapped[float | None] = mapped_column(Float)
    baseline_share: Mapped[float | None] = mapped_column(Float)
    p_value: Mapped[float | None] = mapped_column(Float)
    severity: Mapped[int | None] = mapped_column(Integer)
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=sql_text("'{}'::jsonb"))
    created_at: Mapped[datetime] = _stamp()
    notified_at: Mapped[datetime | None] = mapped_column(TZ)
    delivery_attempts: Mapped[int] = mapped_column(Integer, server_default=sql_text("0"))
    last_error: Mapped[str | None] = mapped_column(Text)
    drivers: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, server_default=sql_text("'[]'::jsonb")
    )


class CollectorStateRow(Base):
    """A source's cursor per scope (a brand's slug, or ``*``), saved with its batch."""

    __tablename__ = "collector_state"

    source: Mapped[str] = mapped_column(Text, primary_key=True)
    scope: Mapped[str] = mapped_column(Text, primary_key=True)
    cursor: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=sql_text("'{}'::jsonb"))
    updated_at: Mapped[datetime] = _stamp()


class QuarantineRow(Base):
    """Input that could not be loaded, with why. ``fingerprint`` keeps reloads from doubling it."""

    __tablename__ = "quarantine"
    __table_args__ = (Index("ix_quarantine_source_created_at", "source", "created_at"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    source: Mapped[str] = mapped_column(Text)
    source_ref: Mapped[str | None] = mapped_column(Text)
    line_no: Mapped[int | None] = mapped_column(BigInteger)
    source_id: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str] = mapped_column(Text)
    payload: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(Text, unique=True)
    created_at: Mapped[datetime] = _stamp()


class OutcomeDiscoveryRow(Base):
    """One run of outcome discovery: which embedder, how many posts and outcomes, with what."""

    __tablename__ = "outcome_discoveries"

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    embedder_version: Mapped[str] = mapped_column(Text)
    n_posts: Mapped[int] = mapped_column(Integer)
    n_outcomes: Mapped[int] = mapped_column(Integer)
    params: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=sql_text("'{}'::jsonb"))
    window_start: Mapped[datetime | None] = mapped_column(TZ)
    window_end: Mapped[datetime | None] = mapped_column(TZ)
    discovered_at: Mapped[datetime] = _stamp()


class OutcomeRow(Base):
    """An outcome customers talk about, as the latest discovery that saw it described it.

    The id is stable: a re-discovery that matches the outcome keeps it (and updates the
    description); one that does not find it again retires it (``status = 'retired'``).
    """

    __tablename__ = "outcomes"
    __table_args__ = (
        CheckConstraint("status = ANY (ARRAY['active'::text, 'retired'::text])", name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    label: Mapped[str] = mapped_column(Text)
    key_phrases: Mapped[list[str]] = mapped_column(JSONB, server_default=sql_text("'[]'::jsonb"))
    size: Mapped[int] = mapped_column(Integer, server_default=sql_text("0"))
    centroid: Mapped[list[float]] = mapped_column(ARRAY(REAL))
    representative_post_ids: Mapped[list[int]] = mapped_column(
        JSONB, server_default=sql_text("'[]'::jsonb")
    )
    status: Mapped[str] = mapped_column(Text, server_default=sql_text("'active'"))
    first_discovery_id: Mapped[int] = mapped_column(Integer, ForeignKey("outcome_discoveries.id"))
    last_discovery_id: Mapped[int] = mapped_column(Integer, ForeignKey("outcome_discoveries.id"))
    created_at: Mapped[datetime] = _stamp()
    updated_at: Mapped[datetime] = _stamp()


class OutcomeVersionRow(Base):
    """Each outcome as each discovery saw it, so its history survives re-discoveries."""

    __tablename__ = "outcome_versions"
    __table_args__ = (Index("ix_outcome_versions_discovery_id", "discovery_id"),)

    outcome_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("outcomes.id", ondelete="CASCADE"), primary_key=True
    )
    discovery_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("outcome_discoveries.id", ondelete="CASCADE"), primary_key=True
    )
    label: Mapped[str] = mapped_column(Text)
    key_phrases: Mapped[list[str]] = mapped_column(JSONB, server_default=sql_text("'[]'::jsonb"))
    size: Mapped[int] = mapped_column(Integer, server_default=sql_text("0"))
    centroid: Mapped[list[float]] = mapped_column(ARRAY(REAL))
    matched_similarity: Mapped[float | None] = mapped_column(Float)


class PostEmbeddingRow(Base):
    """A post's sentence embedding (brands masked): float16 little-endian, ``dim * 2`` bytes.

    Kept so that a re-discovery clusters history without embedding it again.
    """

    __tablename__ = "post_embeddings"

    post_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    embedder_version: Mapped[str] = mapped_column(Text)
    vector: Mapped[bytes] = mapped_column(BYTEA)


class PostOutcomeRow(Base):
    """Which outcome a post is about (``outcome_id`` NULL: unassigned, and ``reason`` says why)."""

    __tablename__ = "post_outcomes"
    __table_args__ = (
        Index("ix_post_outcomes_outcome_id", "outcome_id"),
        CheckConstraint(
            "reason = ANY (ARRAY['unsupported_language'::text, 'below_similarity'::text,"
            " 'empty'::text])",
            name="reason",
        ),
        CheckConstraint("(outcome_id IS NULL) = (reason IS NOT NULL)", name="unassigned_reason"),
    )

    post_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    outcome_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("outcomes.id"))
    score: Mapped[float | None] = mapped_column(Float)
    reason: Mapped[str | None] = mapped_column(Text)
    discovery_id: Mapped[int] = mapped_column(Integer, ForeignKey("outcome_discoveries.id"))
    assigned_at: Mapped[datetime] = _stamp()


class OutcomeDailyRow(Base):
    """Per brand x outcome x local day: C2C mentions, distinct customers, advocacy, badvocacy
    (current advocacy model only); recomputed per window like ``brand_daily_metrics``."""

    __tablename__ = "outcome_daily"
    __table_args__ = (Index("ix_outcome_daily_day", "day"),)

    brand_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("brands.id", ondelete="CASCADE"), primary_key=True
    )
    outcome_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("outcomes.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    mentions: Mapped[int] = mapped_column(Integer, server_default=sql_text("0"))
    customers: Mapped[int] = mapped_column(Integer, server_default=sql_text("0"))
    advocacy: Mapped[int] = mapped_column(Integer, server_default=sql_text("0"))
    badvocacy: Mapped[int] = mapped_column(Integer, server_default=sql_text("0"))
    computed_at: Mapped[datetime] = _stamp()


class ChangeLogRow(Base):
    """One row per statement that changed a watched table (a trigger writes it in the writer's
    transaction), summed per table by ``warehouse.changes``: what tells a stage that nothing it
    reads changed since it last ran, so a rerun can skip the work. Rows are appended, never
    updated, so concurrent writers never wait on each other; ``changes`` lets compaction fold
    many rows into one without changing the sums."""

    __tablename__ = "change_log"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    table_name: Mapped[str] = mapped_column(Text)
    changes: Mapped[int] = mapped_column(BigInteger, server_default=sql_text("1"))
    logged_at: Mapped[datetime] = _stamp()


class StageStateRow(Base):
    """What a stage last computed for a scope (its window and settings), and the change sums
    of the tables it reads before and after: equal sums now mean the same result."""

    __tablename__ = "stage_state"

    stage: Mapped[str] = mapped_column(Text, primary_key=True)
    scope: Mapped[str] = mapped_column(Text, primary_key=True)
    state: Mapped[dict[str, Any]] = mapped_column(JSONB)
    done_at: Mapped[datetime] = _stamp()


class ClassifyQueueRow(Base):
    """A post that may miss a label (migration 0010's triggers queue new posts, new mentions
    and deleted labels): what the classify stage reads instead of probing every post. The
    stage deletes the rows it read once their labels are written."""

    __tablename__ = "classify_queue"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    post_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("posts.id", ondelete="CASCADE"), index=True
    )


class OutcomeQueueRow(Base):
    """A post that may need reading for outcomes (new or changed posts and mentions, deleted
    assignments): what the outcomes stage reads instead of probing every post."""

    __tablename__ = "outcome_queue"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    post_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("posts.id", ondelete="CASCADE"), index=True
    )


class ThreadQueueRow(Base):
    """A post whose place in a thread or whose direct mentions changed, by its source key (a
    deleted post still names the replies below it): what the thread pass re-walks."""

    __tablename__ = "thread_queue"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    source: Mapped[str] = mapped_column(Text)
    source_id: Mapped[str] = mapped_column(Text)


def _table(row: type[Base]) -> Table:
    return Base.metadata.tables[row.__tablename__]


BRANDS = _table(BrandRow)
POSTS = _table(PostRow)
POST_BRANDS = _table(PostBrandRow)
CLASSIFICATIONS = _table(ClassificationRow)
MODEL_VERSIONS = _table(ModelVersionRow)
QUARANTINE = _table(QuarantineRow)
OUTCOME_DISCOVERIES = _table(OutcomeDiscoveryRow)
OUTCOMES = _table(OutcomeRow)
OUTCOME_VERSIONS = _table(OutcomeVersionRow)
POST_EMBEDDINGS = _table(PostEmbeddingRow)
POST_OUTCOMES = _table(PostOutcomeRow)
OUTCOME_DAILY = _table(OutcomeDailyRow)
CHANGE_LOG = _table(ChangeLogRow)
STAGE_STATE = _table(StageStateRow)


def written_columns(table: Table, *, leave_out: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The columns a writer supplies, in table order.

    Leaves out what the database fills itself (identity keys and ``now()`` stamps) and
    ``leave_out``, the columns another writer owns. Every other column is in the list, so a
    writer whose rows lack a new column fails loudly instead of silently leaving it NULL.
    """
    unknown = set(leave_out) - set(table.columns.keys())
    if unknown:
        raise ValueError(f"{table.name} has no column {', '.join(sorted(unknown))}")
    return tuple(
        c.name
        for c in table.columns
        if c.identity is None and not c.info.get(STAMPED) and c.name not in leave_out
    )


def unique_constraint(table: Table) -> UniqueConstraint:
    """The table's one unique constraint: the natural key its upsert conflicts on."""
    found = [c for c in table.constraints if isinstance(c, UniqueConstraint)]
    if len(found) != 1:
        raise ValueError(f"{table.name} has {len(found)} unique constraints, not one")
    return found[0]


def unique_key(table: Table) -> tuple[str, ...]:
    """The columns of the table's one unique constraint (an ``ON CONFLICT`` target)."""
    return tuple(c.name for c in unique_constraint(table).columns)


def primary_key(table: Table) -> tuple[str, ...]:
    """The primary key's columns, in order (an ``ON CONFLICT`` target)."""
    return tuple(c.name for c in table.primary_key.columns)
