"""Outcomes: what customers talk about when they advocate or warn (issue #14).

Tables (what each column means):

``outcome_discoveries``: one clustering run. ``embedder_version`` is the sentence embedder
that produced the vectors clustered; ``n_posts`` the posts clustered (a sample of at most
``GRAPEVINE_OUTCOME_DISCOVERY_SAMPLE``), ``n_outcomes`` the outcomes found; ``params`` the
settings used (min posts, similarity, sample, seed); ``window_start``/``window_end`` the posts'
time range (null: all history); ``discovered_at`` when it ran.

``outcomes``: one row per stable outcome id. ``label`` a human label built from the top key
phrases; ``key_phrases`` (jsonb list) the class-based TF-IDF phrases; ``size`` the posts the
latest discovery put in the cluster; ``centroid`` the L2-normalised mean embedding (float4
array) new posts are compared with; ``representative_post_ids`` (jsonb list) 3-5 posts
closest to the centroid; ``status`` 'active', or 'retired' once a re-discovery no longer finds
it (kept so history and trends still have a name); ``first_discovery_id``/``last_discovery_id``
the discoveries that found it first and last.

``outcome_versions``: each outcome as each discovery saw it (label, phrases, size, centroid),
with ``matched_similarity``, the centroid cosine to the previous version when a re-discovery
matched it (null for a new outcome).

``post_embeddings``: ``vector`` is the post's embedding with brand names masked, float16
little-endian (``dim * 2`` bytes), by ``embedder_version``. Kept so that a re-discovery does not
embed history again; deleted with the post.

``post_outcomes``: one row per post the outcomes stage has read. ``outcome_id`` null means
unassigned and ``reason`` says why ('unsupported_language': the embedder does not read the
language, so it is not guessed; 'below_similarity': no outcome is close enough; 'empty':
nothing left once brands, handles and links are masked); a check keeps the two together.
``score`` the cosine to the assigned outcome's centroid (or to the best one when below the
threshold); ``discovery_id`` the discovery whose outcomes it was compared with.

``outcome_daily``: per brand x outcome x local day (``GRAPEVINE_TIMEZONE``): ``mentions`` (C2C
mentions of the brand in posts about the outcome), ``customers`` (distinct authors that day),
``advocacy``/``badvocacy`` (current advocacy model only); see ``sql/metrics/outcome_daily.sql``.

``alerts.drivers``: the outcomes that drive a badvocacy alert, a jsonb list of
``{outcome_id, label, window_badvocacy, window_share, baseline_badvocacy, baseline_share, lift,
p_value, examples: [{post_id, text, url}]}`` ('[]' when none, or before this revision).

(As in 0004, meanings are written here and in the models, not as COMMENT ON COLUMN: the models
would have to repeat every comment to keep autogenerate quiet.)

``analytics.outcome_opportunity(since, until)``: the opportunity scores over any window, the
one definition that the ``outcome_opportunity`` view (the last 28 days of data), the report and
the CLI read (``warehouse.outcomes.outcome_opportunity``). A function because the window is a
parameter and distinct customers cannot be summed from days. It reads only ``analytics``
views (``int_outcome_mentions``, ``int_competitor_groups``) and runs with the caller's
rights, so the read-only analyst may call it with any window and sees nothing the views do
not show. PL/pgSQL only to plan the query at every call with the window's values (``RETURN
QUERY EXECUTE … USING``): a SQL function's plan for "any window" guessed one post and looped
over every classification for each (a minute on 20,000 posts instead of a fifth of a second).
The query text is checked when first called, so it may name the views, which are recreated
after migrations (``warehouse.views``).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-10
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSONB = postgresql.JSONB(astext_type=sa.Text())
_CENTROID: postgresql.ARRAY[float] = postgresql.ARRAY(postgresql.REAL())


def _stamp(name: str) -> sa.Column[object]:
    return sa.Column(
        name, sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def _jsonb(name: str, default: str) -> sa.Column[object]:
    return sa.Column(name, _JSONB, server_default=sa.text(f"'{default}'::jsonb"), nullable=False)


def _count(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.Integer(), server_default=sa.text("0"), nullable=False)


# Ulwick's opportunity score measured from what customers tell each other; the definitions
# an analyst reads are in the header of sql/marts/outcome_opportunity.sql.
OPPORTUNITY_FUNCTION = """
CREATE FUNCTION analytics.outcome_opportunity(since timestamptz, until timestamptz)
RETURNS TABLE (
    set_id integer,
    set_name text,
    brand_id integer,
    brand text,
    outcome_id integer,
    outcome text,
    base_customers bigint,
    customers bigint,
    mentions bigint,
    advocacy bigint,
    badvocacy bigint,
    customer_share double precision,
    importance double precision,
    satisfaction double precision,
    opportunity double precision,
    unsatisfied_customers bigint,
    best_brand_id integer,
    best_brand text,
    best_brand_satisfaction double precision
)
LANGUAGE plpgsql STABLE
-- The planner cannot size the recursive competitor groups and would JIT-compile this small
-- query for seconds on every call.
SET jit = off
AS $function$
BEGIN
RETURN QUERY EXECUTE $query$
with members as materialized (
    -- each brand's competitive set, read once (a recursive view)
    select brand_id, brand, group_id, group_name, group_size
    from analytics.int_competitor_groups
),

read_mentions as (
    -- mentions in [$1, $2) = [since, until) whose post the outcomes stage could read
    -- (null: open end)
    select
        g.group_id as set_id,
        m.brand_id,
        m.outcome_id,
        m.outcome,
        m.author_key,
        m.advocacy
    from analytics.int_outcome_mentions as m
    inner join members as g on m.brand_id = g.brand_id
    where ($1 is null or m.created_at >= $1)
        and ($2 is null or m.created_at < $2)
        and m.unassigned_reason is distinct from 'unsupported_language'
),

groups as (
    select distinct
        group_id as set_id,
        group_name as set_name,
        group_size as set_size
    from members
),

brand_names as (
    select brand_id, brand from members
),

brand_customers as (
    select set_id, brand_id, count(distinct author_key) as base_customers
    from read_mentions
    group by set_id, brand_id
),

set_customers as (
    select set_id, count(distinct author_key) as base_customers
    from read_mentions
    group by set_id
),

brand_outcomes as (
    select
        set_id,
        brand_id,
        outcome_id,
        max(outcome) as outcome,
        count(distinct author_key) as customers,
        count(*) as mentions,
        count(*) filter (where advocacy = 'advocacy') as advocacy,
        count(*) filter (where advocacy = 'badvocacy') as badvocacy,
        count(distinct author_key) filter (where advocacy = 'badvocacy') as unsatisfied_customers
    from read_mentions
    where outcome_id is not null
    group by set_id, brand_id, outcome_id
),

set_outcomes as (
    select
        set_id,
        outcome_id,
        max(outcome) as outcome,
        count(distinct author_key) as customers,
        count(*) as mentions,
        count(*) filter (where advocacy = 'advocacy') as advocacy,
        count(*) filter (where advocacy = 'badvocacy') as badvocacy,
        count(distinct author_key) filter (where advocacy = 'badvocacy') as unsatisfied_customers
    from read_mentions
    where outcome_id is not null
    group by set_id, outcome_id
),

judged_brands as (
    select
        *,
        count(*) over (partition by set_id, outcome_id) as judged_brands
    from brand_outcomes
    where advocacy + badvocacy >= 5
),

best_brands as (
    -- the set's brand whose judged mentions of the outcome are most often advocacy, among
    -- brands with at least 5 judged (advocacy or badvocacy) mentions of it; none unless two
    -- brands qualify (a "best" of one is only the brand itself)
    select distinct on (set_id, outcome_id)
        set_id,
        outcome_id,
        brand_id as best_brand_id,
        10.0 * advocacy / (advocacy + badvocacy) as best_brand_satisfaction
    from judged_brands
    where judged_brands >= 2
    order by
        set_id,
        outcome_id,
        cast(advocacy as double precision) / (advocacy + badvocacy) desc,
        advocacy + badvocacy desc,
        brand_id
),

counted as (
    select
        o.set_id, o.brand_id, o.outcome_id, o.outcome, c.base_customers, o.customers,
        o.mentions, o.advocacy, o.badvocacy, o.unsatisfied_customers
    from brand_outcomes as o
    inner join brand_customers as c on o.set_id = c.set_id and o.brand_id = c.brand_id
    union all
    select
        o.set_id, null, o.outcome_id, o.outcome, c.base_customers, o.customers,
        o.mentions, o.advocacy, o.badvocacy, o.unsatisfied_customers
    from set_outcomes as o
    inner join set_customers as c on o.set_id = c.set_id
    inner join groups as g on o.set_id = g.set_id
    where g.set_size >= 2  -- a brand without competitors has its brand row only
),

shares as (
    select
        *,
        cast(customers as double precision) / nullif(base_customers, 0) as customer_share
    from counted
),

scored as (
    -- importance is relative: the outcome the most customers of the brand (set) raise scores
    -- 10, the others in proportion. A single outcome is raised by a few percent of customers
    -- at most, so 10 x the raw share would sit near 0 beside any satisfaction and every
    -- opportunity would equal its importance.
    select
        *,
        10.0 * customer_share
        / nullif(max(customer_share) over (partition by set_id, brand_id), 0) as importance,
        case
            when advocacy + badvocacy > 0 then 10.0 * advocacy / (advocacy + badvocacy)
        end as satisfaction
    from shares
)

select
    s.set_id,
    g.set_name,
    s.brand_id,
    b.brand,
    s.outcome_id,
    s.outcome,
    s.base_customers,
    s.customers,
    s.mentions,
    s.advocacy,
    s.badvocacy,
    cast(s.customer_share as double precision),
    cast(s.importance as double precision),
    cast(s.satisfaction as double precision),
    cast(s.importance + greatest(s.importance - s.satisfaction, 0) as double precision),
    s.unsatisfied_customers,
    bb.best_brand_id,
    bn.brand,
    cast(bb.best_brand_satisfaction as double precision)
from scored as s
inner join groups as g on s.set_id = g.set_id
left join brand_names as b on s.brand_id = b.brand_id
left join best_brands as bb on s.set_id = bb.set_id and s.outcome_id = bb.outcome_id
left join brand_names as bn on bb.best_brand_id = bn.brand_id
$query$ USING since, until;
END
$function$
"""


def upgrade() -> None:
    op.create_table(
        "outcome_discoveries",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("embedder_version", sa.Text(), nullable=False),
        sa.Column("n_posts", sa.Integer(), nullable=False),
        sa.Column("n_outcomes", sa.Integer(), nullable=False),
        _jsonb("params", "{}"),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=True),
        _stamp("discovered_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcome_discoveries")),
    )
    op.create_table(
        "outcomes",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        _jsonb("key_phrases", "[]"),
        _count("size"),
        sa.Column("centroid", _CENTROID, nullable=False),
        _jsonb("representative_post_ids", "[]"),
        sa.Column("status", sa.Text(), server_default=sa.text("'active'"), nullable=False),
        sa.Column("first_discovery_id", sa.Integer(), nullable=False),
        sa.Column("last_discovery_id", sa.Integer(), nullable=False),
        _stamp("created_at"),
        _stamp("updated_at"),
        sa.CheckConstraint(
            "status = ANY (ARRAY['active'::text, 'retired'::text])", name=op.f("ck_outcomes_status")
        ),
        sa.ForeignKeyConstraint(
            ["first_discovery_id"],
            ["outcome_discoveries.id"],
            name=op.f("fk_outcomes_first_discovery_id_outcome_discoveries"),
        ),
        sa.ForeignKeyConstraint(
            ["last_discovery_id"],
            ["outcome_discoveries.id"],
            name=op.f("fk_outcomes_last_discovery_id_outcome_discoveries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcomes")),
    )
    op.create_table(
        "outcome_versions",
        sa.Column("outcome_id", sa.Integer(), nullable=False),
        sa.Column("discovery_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        _jsonb("key_phrases", "[]"),
        _count("size"),
        sa.Column("centroid", _CENTROID, nullable=False),
        sa.Column("matched_similarity", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["outcome_id"],
            ["outcomes.id"],
            name=op.f("fk_outcome_versions_outcome_id_outcomes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["discovery_id"],
            ["outcome_discoveries.id"],
            name=op.f("fk_outcome_versions_discovery_id_outcome_discoveries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("outcome_id", "discovery_id", name=op.f("pk_outcome_versions")),
    )
    op.create_index(
        "ix_outcome_versions_discovery_id", "outcome_versions", ["discovery_id"], unique=False
    )
    op.create_table(
        "post_embeddings",
        sa.Column("post_id", sa.BigInteger(), nullable=False),
        sa.Column("embedder_version", sa.Text(), nullable=False),
        sa.Column("vector", postgresql.BYTEA(), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["posts.id"],
            name=op.f("fk_post_embeddings_post_id_posts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("post_id", name=op.f("pk_post_embeddings")),
    )
    op.create_table(
        "post_outcomes",
        sa.Column("post_id", sa.BigInteger(), nullable=False),
        sa.Column("outcome_id", sa.Integer(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("discovery_id", sa.Integer(), nullable=False),
        _stamp("assigned_at"),
        sa.CheckConstraint(
            "reason = ANY (ARRAY['unsupported_language'::text, 'below_similarity'::text,"
            " 'empty'::text])",
            name=op.f("ck_post_outcomes_reason"),
        ),
        sa.CheckConstraint(
            "(outcome_id IS NULL) = (reason IS NOT NULL)",
            name=op.f("ck_post_outcomes_unassigned_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["posts.id"],
            name=op.f("fk_post_outcomes_post_id_posts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["outcome_id"], ["outcomes.id"], name=op.f("fk_post_outcomes_outcome_id_outcomes")
        ),
        sa.ForeignKeyConstraint(
            ["discovery_id"],
            ["outcome_discoveries.id"],
            name=op.f("fk_post_outcomes_discovery_id_outcome_discoveries"),
        ),
        sa.PrimaryKeyConstraint("post_id", name=op.f("pk_post_outcomes")),
    )
    # counts and drivers per outcome; retiring or re-assigning reads the outcome's posts
    op.create_index("ix_post_outcomes_outcome_id", "post_outcomes", ["outcome_id"], unique=False)
    op.create_table(
        "outcome_daily",
        sa.Column("brand_id", sa.Integer(), nullable=False),
        sa.Column("outcome_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        _count("mentions"),
        _count("customers"),
        _count("advocacy"),
        _count("badvocacy"),
        _stamp("computed_at"),
        sa.ForeignKeyConstraint(
            ["brand_id"],
            ["brands.id"],
            name=op.f("fk_outcome_daily_brand_id_brands"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["outcome_id"],
            ["outcomes.id"],
            name=op.f("fk_outcome_daily_outcome_id_outcomes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("brand_id", "outcome_id", "day", name=op.f("pk_outcome_daily")),
    )
    # trends and windows read a range of days across brands and outcomes
    op.create_index("ix_outcome_daily_day", "outcome_daily", ["day"], unique=False)
    op.add_column("alerts", _jsonb("drivers", "[]"))

    op.execute(OPPORTUNITY_FUNCTION)


def downgrade() -> None:
    # warehouse.migrate drops the analytics views (the outcome_opportunity view calls this)
    # before any downgrade runs.
    op.execute("DROP FUNCTION IF EXISTS analytics.outcome_opportunity(timestamptz, timestamptz)")
    op.drop_column("alerts", "drivers")
    op.drop_index("ix_outcome_daily_day", table_name="outcome_daily")
    op.drop_table("outcome_daily")
    op.drop_index("ix_post_outcomes_outcome_id", table_name="post_outcomes")
    op.drop_table("post_outcomes")
    op.drop_table("post_embeddings")
    op.drop_index("ix_outcome_versions_discovery_id", table_name="outcome_versions")
    op.drop_table("outcome_versions")
    op.drop_table("outcomes")
    op.drop_table("outcome_discoveries")
