"""Hostile single records: each must become a clear quarantine reason, never an exception.

Issue #12: one such line used to crash the whole import, and every rerun crashed at the same
line, so nothing after it could ever load.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from collectors.file import DateBounds, FileCollector, parse_record
from grapevine.core.errors import InputError
from grapevine.core.privacy import Pseudonymiser
from grapevine.core.settings import Settings
from grapevine.core.text import MAX_JSON_DEPTH, TOO_DEEP, clean_json, json_depth

PSEUDO = Pseudonymiser(b"0123456789abcdef0123")
NOW = datetime(2026, 11, 1, tzinfo=UTC)
GOOD = b'{"id":"g%d","text":"Acme Air was fine","created_at":"2026-10-01T10:00:00Z"}'


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


HOSTILE = {
    "before year 1 in UTC": '{"id":"a","text":"x","created_at":"0001-01-01T00:30:00+01:00"}',
    "after 9999 in UTC": '{"id":"a","text":"x","created_at":"9999-12-31T23:30:00-01:00"}',
    "5,000-digit likes": '{"id":"a","text":"x","created_at":"2026-10-01","likes":'
    + "9" * 5000
    + "}",
    "300 deep": '{"id":"a","text":"x","created_at":"2026-10-01","x":' + nested(300) + "}",
    "1,000 deep": '{"id":"a","text":"x","created_at":"2026-10-01","x":' + nested(1000) + "}",
    "1,000 deep, with author": '{"id":"a","text":"x","created_at":"2026-10-01","author":"bo",'
    '"x":' + nested(1000) + "}",
    "year 1": '{"id":"a","text":"x","created_at":"0001-01-01T00:00:00Z"}',
}


@pytest.mark.parametrize("line", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_line_is_quarantined_and_the_rest_loads(tmp_path: Path, line: str) -> None:
    path = tmp_path / "posts.jsonl"
    path.write_bytes(GOOD % 1 + b"\n" + line.encode() + b"\n" + GOOD % 2 + b"\n")
    pages = list(FileCollector(path, PSEUDO, now=NOW).collect([], None, None, {}))
    posts = [p for page in pages for p in page.posts]
    bad = [q for page in pages for q in page.quarantined]
    assert [p.source_id for p in posts] == ["g1", "g2"]
    assert [q.line_no for q in bad] == [2]
    assert bad[0].error  # a reason a person can read


@pytest.mark.parametrize(
    ("created_at", "reason"),
    [
        ("0001-01-01T00:30:00+01:00", "out of range"),
        ("9999-12-31T23:30:00-01:00", "out of range"),
        ("0001-01-01T00:00:00Z", "before 2000-01-01"),
        ("1999-12-31T23:59:59Z", "before 2000-01-01"),
        ("2026-11-02T00:00:01Z", "in the future"),
    ],
)
def test_dates_outside_the_sane_range_are_refused(created_at: str, reason: str) -> None:
    with pytest.raises(InputError, match=reason):
        parse_record({"id": "1", "text": "x", "created_at": created_at}, PSEUDO, now=NOW)


def test_date_bounds_come_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRAPEVINE_MIN_POST_DATE", "2020-06-01")
    monkeypatch.setenv("GRAPEVINE_MAX_FUTURE_HOURS", "2")
    bounds = DateBounds.from_settings(Settings())
    assert bounds == DateBounds(datetime(2020, 6, 1, tzinfo=UTC), timedelta(hours=2))
    record = {"id": "1", "text": "x", "created_at": "2020-05-31T23:00:00Z"}
    with pytest.raises(InputError, match="before 2020-06-01"):
        parse_record(record, PSEUDO, now=NOW, bounds=bounds)
    later = {"id": "1", "text": "x", "created_at": "2026-11-01T03:00:00Z"}
    with pytest.raises(InputError, match="in the future"):
        parse_record(later, PSEUDO, now=NOW, bounds=bounds)
    assert parse_record({**later, "created_at": "2026-11-01T01:00:00Z"}, PSEUDO, now=NOW)


def test_json_depth_is_iterative_and_stops_at_the_limit() -> None:
    deep: list = []
    for _ in range(100_000):
        deep = [deep]
    assert json_depth(deep) == MAX_JSON_DEPTH + 1
    assert json_depth({"a": [1, {"b": []}]}) == 4
    assert json_depth("x") == 0


def test_clean_json_survives_what_slips_past_the_checks() -> None:
    deep: list = []
    for _ in range(5_000):
        deep = [deep]
    cleaned = clean_json({"x": deep})
    assert json_depth(cleaned, 10_000) == MAX_JSON_DEPTH
    probe = cleaned["x"]
    while probe != TOO_DEEP:
        probe = probe[0]


def test_scrub_refuses_deep_payloads_even_when_handles_are_kept() -> None:
    deep: list = []
    for _ in range(2_000):
        deep = [deep]
    for pseudo in (PSEUDO, Pseudonymiser(b"0123456789abcdef0123", keep_handles=True)):
        with pytest.raises(InputError, match="nested more than"):
            pseudo.scrub({"x": deep}, {"bo"})


def test_an_unforeseen_parser_error_costs_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last line of defence: a bug in a check must not stop every rerun at that line."""
    import collectors.file

    real = collectors.file.parse_record

    def flaky(record: dict, *args: object, **kwargs: object) -> object:
        if record.get("id") == "g2":
            raise OverflowError("something nobody foresaw")
        return real(record, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(collectors.file, "parse_record", flaky)
    path = tmp_path / "posts.jsonl"
    path.write_bytes(b"\n".join(GOOD % i for i in (1, 2, 3)) + b"\n")
    pages = list(FileCollector(path, PSEUDO, now=NOW).collect([], None, None, {}))
    assert [p.source_id for page in pages for p in page.posts] == ["g1", "g3"]
    bad = [q for page in pages for q in page.quarantined]
    assert [(q.line_no, q.error) for q in bad] == [
        (2, "cannot parse the record (OverflowError: something nobody foresaw)")
    ]
