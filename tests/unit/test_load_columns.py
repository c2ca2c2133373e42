"""The loaders' rows line up with the column lists derived from ``warehouse.models``.

The lists are derived (a column added to a model joins them); the rows are built by hand. These
tests fail when the two drift apart: a new column without a value, or a value under the wrong
column after the model's columns were reordered.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from grapevine.core.domain import BrandMention, Engagement, Post, QuarantineRecord
from warehouse import classifications, load
from warehouse.models import POSTS, written_columns


def _post() -> Post:
    return Post(
        source="reddit",
        source_id="t3_abc",
        created_at=datetime(2026, 10, 1, 10, tzinfo=UTC),
        text="Acme Air lost my bag",
        url="https://example.test/t3_abc",
        author_key="k-author",
        author_handle="someone",
        author_followers=42,
        lang="en",
        parent_id="t3_parent",
        thread_id="t3_thread",
        engagement=Engagement(likes=1, replies=2, reposts=3, score=4),
        raw={"id": "abc"},
    )


def test_post_row_puts_each_value_under_its_column() -> None:
    post = _post()
    values = load.post_row(post, is_c2c=False, keep_handle=True)
    row = dict(zip(load._POST_COLUMNS, values, strict=True))

    for name, value in row.items():
        if name == "created_at":
            assert value == post.created_at.isoformat()
        elif name == "raw":
            assert value == '{"id":"abc"}'
        elif name == "is_c2c":
            assert value is False
        elif name == "content_hash":
            assert isinstance(value, str) and len(value) == 32
        elif hasattr(post.engagement, name):
            assert value == getattr(post.engagement, name), name
        else:
            assert value == getattr(post, name), name


def test_mention_rows_match_the_staging_columns() -> None:
    item = load.LoadItem(_post(), [BrandMention("Acme Air", 0, 8, "acme air", brand_owned=True)])
    batch = load.prepare_batch([item], {"Acme Air": 7})

    (line,) = batch.mentions.splitlines()
    assert dict(zip(load._MENTION_COLUMNS, line.split("\t"), strict=True)) == {
        "source": "reddit",
        "source_id": "t3_abc",
        "brand_id": "7",
        "mention_start": "0",
        "mention_end": "8",
        "matched_alias": "acme air",
        "brand_owned": "True",
    }


def test_quarantine_row_puts_each_value_under_its_column() -> None:
    rec = QuarantineRecord("file", "bad json", "{oops", source_ref="a.jsonl", line_no=3)
    row = dict(zip(load._QUARANTINE_COLUMNS, load._quarantine_row(rec), strict=True))

    assert row.pop("fingerprint") == load.quarantine_fingerprint(rec)
    assert row == {name: getattr(rec, name) for name in row}


def test_label_row_puts_each_value_under_its_column() -> None:
    lab = classifications.Label(
        post_id=1,
        brand_id=2,
        task="advocacy",
        label="advocacy",
        probs={"advocacy": 0.9, "none": 0.1},
        lang="en",
        model_name="m",
        model_version="v1",
    )
    row = dict(zip(classifications._LABEL_COLUMNS, classifications._label_row(lab), strict=True))

    assert row.pop("confidence") == 0.9
    assert row.pop("probs") == '{"advocacy": 0.9, "none": 0.1}'
    assert row == {name: getattr(lab, name) for name in row}


def test_written_columns_leave_out_what_the_database_fills() -> None:
    columns = written_columns(POSTS)

    assert "id" not in columns  # identity
    assert "collected_at" not in columns and "updated_at" not in columns  # now() stamps
    # post_row hashes everything after the key: the key must come first.
    assert columns[: len(load._POST_KEY)] == load._POST_KEY
    with pytest.raises(ValueError, match="no column nope"):
        written_columns(POSTS, leave_out=("nope",))
