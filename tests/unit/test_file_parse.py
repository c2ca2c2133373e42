"""Pure parsing of file records and the streaming readers (no database)."""

from __future__ import annotations

import contextlib
import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from collectors.file import FileCollector, file_format, iter_records, parse_record
from grapevine.core.errors import InputError
from grapevine.core.privacy import REDACTED, Pseudonymiser

PSEUDO = Pseudonymiser(b"0123456789abcdef0123")
NOW = datetime(2026, 11, 1, tzinfo=UTC)


def parse(record: dict) -> object:
    return parse_record(record, PSEUDO, now=NOW)


def test_full_record() -> None:
    post = parse_record(
        {
            "id": 17,
            "text": "Globex lost my bag",
            "created_at": "2026-10-01T12:00:00+02:00",
            "source": "Forum",
            "author": "@Bob",
            "author_followers": "120",
            "likes": 3,
            "replies": "",
            "parent_id": "16",
        },
        PSEUDO,
        now=NOW,
    )
    assert post.source == "forum" and post.source_id == "17"
    assert post.created_at == datetime(2026, 10, 1, 10, tzinfo=UTC)
    assert post.author_followers == 120 and post.engagement.likes == 3
    assert post.engagement.replies is None
    assert post.thread_id == "16"  # a reply without thread_id belongs to its parent's thread
    assert post.author_key == PSEUDO.author_key("forum", "Bob")
    assert post.raw["author"] == REDACTED


def test_naive_timestamps_are_utc() -> None:
    post = parse({"id": "1", "text": "x", "created_at": "2026-10-01 08:00:00"})
    assert post.created_at == datetime(2026, 10, 1, 8, tzinfo=UTC)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ({"text": "x", "created_at": "2026-10-01"}, "id is missing"),
        ({"id": " ", "text": "x", "created_at": "2026-10-01"}, "id is missing"),
        ({"id": "1", "created_at": "2026-10-01"}, "text is missing"),
        ({"id": "1", "text": 5, "created_at": "2026-10-01"}, "text must be a string"),
        ({"id": "1", "text": "  ", "created_at": "2026-10-01"}, "text is empty"),
        ({"id": "1", "text": "x"}, "created_at is missing"),
        ({"id": "1", "text": "x", "created_at": "yesterday"}, "not an ISO 8601"),
        ({"id": "1", "text": "x", "created_at": "2031-01-01"}, "in the future"),
        ({"id": "1", "text": "x", "created_at": "2026-10-01", "likes": "lots"}, "likes must be"),
        ({"id": "1", "text": "x", "created_at": "2026-10-01", "likes": -2}, "must not be negative"),
        ({"id": "1", "text": "x", "created_at": "2026-10-01", "likes": True}, "not a boolean"),
        ({"id": "1", "text": "x", "created_at": "2026-10-01", "url": ["a"]}, "url must be"),
        ({"id": "1", "text": "y" * 1_000_001, "created_at": "2026-10-01"}, "over the"),
        ({"id": [1], "text": "x", "created_at": "2026-10-01"}, "id must be a string"),
    ],
)
def test_bad_records_say_why(record: dict, reason: str) -> None:
    with pytest.raises(InputError) as info:
        parse(record)
    assert reason in str(info.value)


@given(
    st.dictionaries(
        st.sampled_from(["id", "text", "created_at", "likes", "author", "url", "source", "x"]),
        st.one_of(
            st.none(), st.integers(), st.floats(), st.text(), st.booleans(), st.lists(st.integers())
        ),
    )
)
def test_parser_never_raises_anything_but_input_error(record: dict) -> None:
    with contextlib.suppress(InputError):
        parse(record)


def test_format_by_extension(tmp_path: Path) -> None:
    assert file_format(Path("a.jsonl")) == "jsonl"
    assert file_format(Path("a.ndjson.gz")) == "jsonl"
    assert file_format(Path("a.CSV")) == "csv"
    with pytest.raises(InputError, match="cannot tell the format"):
        file_format(Path("a.xlsx"))


def test_jsonl_reader_reports_line_numbers_and_bad_bytes(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    good = json.dumps({"id": "1", "text": "ok", "created_at": "2026-10-01"}).encode()
    path.write_bytes(good + b"\n\n{broken\n" + b'{"id": "2", "text": "\xff\xfe"}\n' + good + b"\n")
    records = list(iter_records(path))
    assert [r.line_no for r in records] == [1, 3, 4, 5]
    assert records[0].error is None
    assert "invalid JSON" in (records[1].error or "")
    assert "not valid UTF-8" in (records[2].error or "")


def test_csv_reader_handles_quotes_newlines_and_short_rows(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text(
        'id,text,created_at\n1,"multi\nline, with comma",2026-10-01\n2,short\n3,"ok",2026-10-02\n',
        encoding="utf-8",
    )
    records = list(iter_records(path))
    assert records[0].record["text"] == "multi\nline, with comma"
    assert "2 fields" in (records[1].error or "")
    assert records[1].line_no == 4
    assert records[2].record["id"] == "3"


def test_csv_without_required_columns_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text("name,body\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match="required columns"):
        list(iter_records(path))


def test_gzip_is_read_transparently(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write(json.dumps({"id": "1", "text": "hi", "created_at": "2026-10-01"}) + "\n")
    assert [r.record["id"] for r in iter_records(path)] == ["1"]


def test_collector_pages_and_windows(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    lines = [
        json.dumps({"id": str(i), "text": f"post {i}", "created_at": f"2026-10-{i:02d}T00:00:00Z"})
        for i in range(1, 11)
    ]
    path.write_text("\n".join([*lines, "not json"]) + "\n", encoding="utf-8")
    collector = FileCollector(path, PSEUDO, batch_size=4, now=NOW)
    pages = list(
        collector.collect(
            [], datetime(2026, 10, 3, tzinfo=UTC), datetime(2026, 10, 7, tzinfo=UTC), {}
        )
    )
    ids = [p.source_id for page in pages for p in page.posts]
    assert ids == ["3", "4", "5", "6"]
    assert [q.line_no for page in pages for q in page.quarantined] == [11]
    assert pages[-1].progress == path.stat().st_size
    assert all(page.cursor is None for page in pages)


def test_collector_rejects_missing_paths(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        FileCollector(tmp_path / "missing.jsonl", PSEUDO)
    with pytest.raises(InputError, match="is a folder"):
        FileCollector(tmp_path, PSEUDO)
