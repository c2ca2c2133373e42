"""Bounded reading: a bad quote or a giant line costs one record and bounded memory (#12)."""

from __future__ import annotations

import io
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from collectors.file import (
    MAX_CSV_RECORD_CHARS,
    MAX_CSV_RECORD_LINES,
    MAX_LINE_BYTES,
    RawRecord,
    bounded_lines,
    iter_records,
)
from grapevine.core.errors import InputError


def good_rows(start: int, n: int) -> list[str]:
    return [f"r{i},Acme Air row {i},2026-10-01T00:00:00Z" for i in range(start, start + n)]


def write_csv(path: Path, rows: list[str], header: str = "id,text,created_at") -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def split(records: Iterator[RawRecord]) -> tuple[list[str], list[RawRecord]]:
    good, bad = [], []
    for r in records:
        if r.error is None:
            good.append(r.record["id"])
        else:
            bad.append(r)
    return good, bad


def test_an_unclosed_quote_costs_one_row_not_the_rest_of_the_file(tmp_path: Path) -> None:
    rows = [*good_rows(0, 10), 'bad-1,"Acme Air oops,2026-10-01T00:00:00Z', *good_rows(10, 9_989)]
    good, bad = split(iter_records(write_csv(tmp_path / "in.csv", rows)))
    assert len(good) == 9_999 and good[-1] == "r9998"
    assert [(b.line_no, b.payload.startswith("bad-1,")) for b in bad] == [(12, True)]
    assert "does not close within" in (bad[0].error or "")


def test_an_unclosed_quote_that_closes_on_a_later_row_is_still_one_bad_row(
    tmp_path: Path,
) -> None:
    rows = [
        *good_rows(0, 3),
        'bad-1,"Acme Air oops,2026-10-01T00:00:00Z',
        *good_rows(3, 3),
        'r6,"Acme Air, quoted",2026-10-01T00:00:00Z',  # its quotes would close bad-1's field
        'r7,"two\nlines",2026-10-01T00:00:00Z',
        *good_rows(8, 3),
    ]
    good, bad = split(iter_records(write_csv(tmp_path / "in.csv", rows)))
    assert good == [f"r{i}" for i in range(11)]
    assert [b.line_no for b in bad] == [5]


def test_an_unclosed_quote_at_the_end_of_the_file(tmp_path: Path) -> None:
    rows = [*good_rows(0, 3), 'bad,"never closed,2026-10-01', "r3,last one,2026-10-01"]
    good, bad = split(iter_records(write_csv(tmp_path / "in.csv", rows)))
    assert good == ["r0", "r1", "r2", "r3"]
    assert [b.line_no for b in bad] == [5]


def test_a_legitimate_multi_line_field_loads(tmp_path: Path) -> None:
    body = "\n".join(f"line {i}, with a comma" for i in range(MAX_CSV_RECORD_LINES - 2))
    rows = [*good_rows(0, 2), f'long,"{body}",2026-10-01', *good_rows(2, 2)]
    good, bad = split(iter_records(write_csv(tmp_path / "in.csv", rows)))
    assert good == ["r0", "r1", "long", "r2", "r3"] and bad == []


def test_text_after_a_closing_quote_is_malformed(tmp_path: Path) -> None:
    rows = ['a,"quoted" then more,2026-10-01', *good_rows(0, 2)]
    good, bad = split(iter_records(write_csv(tmp_path / "in.csv", rows)))
    assert good == ["r0", "r1"]
    assert [b.line_no for b in bad] == [2] and "malformed CSV" in (bad[0].error or "")


def test_an_over_long_csv_line_is_quarantined(tmp_path: Path) -> None:
    rows = [*good_rows(0, 2), "huge," + "x" * (MAX_CSV_RECORD_CHARS + 10) + ",2026", "r2,ok,2026"]
    good, bad = split(iter_records(write_csv(tmp_path / "in.csv", rows)))
    assert good == ["r0", "r1", "r2"]
    assert [b.line_no for b in bad] == [4] and "longer than" in (bad[0].error or "")


def test_a_duplicated_csv_column_rejects_the_file(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "in.csv", ["1,a,b,2026-10-01"], header="id,text,text,created_at")
    with pytest.raises(InputError, match="'text' more than once"):
        list(iter_records(path))


def peak_bytes(path: Path) -> tuple[int, list[RawRecord]]:
    """Peak traced memory while streaming the file; keeps only the error records."""
    tracemalloc.start()
    try:
        bad = [r for r in iter_records(path) if r.error is not None]
        return tracemalloc.get_traced_memory()[1], bad
    finally:
        tracemalloc.stop()


def test_an_unclosed_quote_in_a_big_csv_keeps_memory_bounded(tmp_path: Path) -> None:
    rows = ['bad,"oops,2026-10-01', *good_rows(0, 25_000)]  # ~1.1 MB after the quote
    path = write_csv(tmp_path / "in.csv", rows)
    peak, bad = peak_bytes(path)
    assert [(b.line_no, b.payload) for b in bad] == [(2, 'bad,"oops,2026-10-01\n')]
    assert peak < path.stat().st_size / 2  # the old reader held the whole rest in one field


def test_a_giant_jsonl_line_without_newline_keeps_memory_bounded(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    with path.open("wb") as fh:
        fh.write(b'{"id":"1","text":"ok","created_at":"2026-10-01"}\n')
        fh.write(b'{"id":"2","text":"' + b"x" * (20 * MAX_LINE_BYTES))  # no end, no newline
    peak, bad = peak_bytes(path)
    assert [b.line_no for b in bad] == [2] and "longer than" in (bad[0].error or "")
    assert peak < 5 * MAX_LINE_BYTES  # the old reader held the whole 32 MB line, and copies


def test_bounded_lines_cuts_and_skips() -> None:
    data = io.BytesIO(b"short\n" + b"y" * 25 + b"\nnext\n" + b"z" * 30)
    assert list(bounded_lines(data, 10)) == [
        (b"short\n", True),
        (b"y" * 10, False),
        (b"next\n", True),
        (b"z" * 10, False),
    ]
    text = io.StringIO("a\r\nb\rc", newline="")
    assert list(bounded_lines(text, 10)) == [("a\r\n", True), ("b\r", True), ("c", True)]


def test_a_bom_on_the_first_jsonl_line_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    line = b'{"id":"%d","text":"ok","created_at":"2026-10-01"}\n'
    path.write_bytes(b"\xef\xbb\xbf" + line % 1 + line % 2 + b"\xef\xbb\xbf" + line % 3)
    assert [(r.record or {}).get("id") for r in iter_records(path)] == ["1", "2", "3"]
