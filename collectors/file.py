"""File import: JSONL or CSV exports from other tools.

The file is streamed line by line (a 1 GB export never sits in memory), each record is parsed by
the pure :func:`parse_record`, and a bad record becomes a :class:`QuarantineRecord` with its line
number and the reason, while the rest of the file loads.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import logging
import sys
import zlib
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import IO, Any, AnyStr, cast

import orjson

from collectors.base import Cursor, Page
from grapevine.core.domain import Brand, Engagement, Post, QuarantineRecord
from grapevine.core.errors import InputError
from grapevine.core.privacy import Pseudonymiser
from grapevine.core.settings import Settings

log = logging.getLogger(__name__)

MAX_TEXT_CHARS = 100_000
"""Longer "posts" are not posts (Reddit caps at 40,000 characters): they go to quarantine."""
FUTURE_TOLERANCE = timedelta(days=1)
MIN_POST_DATE = datetime(2000, 1, 1, tzinfo=UTC)
"""Social posts older than this are data errors (a year-1 date breaks every date window)."""
_MAX_PAYLOAD_CHARS = 200_000
_INT_FIELDS = ("author_followers", "likes", "replies", "reposts", "score")
_STR_FIELDS = ("source", "url", "author", "parent_id", "thread_id", "lang")

# CSV fields can be large (long posts); the default 128 KiB limit would reject them mid-file.
# The reader bounds records itself (MAX_CSV_RECORD_CHARS), so this limit is never what stops one.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


def parse_timestamp(value: Any) -> datetime:
    """ISO 8601 (``Z`` allowed) or epoch seconds -> aware UTC datetime. Naive means UTC."""
    if isinstance(value, bool):
        raise InputError("created_at must be a timestamp, not a boolean")
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(value, tz=UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise InputError(f"created_at {value!r} is out of range") from exc
    if not isinstance(value, str) or not value.strip():
        raise InputError("created_at is missing or empty")
    raw = value.strip()
    try:
        parsed = datetime.fromisoformat(raw[:-1] + "+00:00" if raw.endswith(("Z", "z")) else raw)
    except ValueError as exc:
        raise InputError(f"created_at {raw[:40]!r} is not an ISO 8601 timestamp") from exc
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError as exc:  # 0001-01-01T00:30+01:00 is before year 1 in UTC
        raise InputError(f"created_at {raw[:40]!r} is out of range") from exc


@dataclass(frozen=True, slots=True)
class DateBounds:
    """The dates a post may carry: outside them it is quarantined, not loaded.

    Every later stage does date arithmetic (a 28-day baseline before the first day, a day
    after the last): a post dated year 1 or 9999 overflows it, and one from next year poisons
    every "latest day". Settings: ``GRAPEVINE_MIN_POST_DATE``, ``GRAPEVINE_MAX_FUTURE_HOURS``.
    """

    min_date: datetime = MIN_POST_DATE
    max_future: timedelta = FUTURE_TOLERANCE

    @classmethod
    def from_settings(cls, settings: Settings) -> DateBounds:
        return cls(
            datetime.combine(settings.min_post_date, time(0), tzinfo=UTC),
            timedelta(hours=settings.max_future_hours),
        )

    def check(self, created_at: datetime, now: datetime) -> None:
        """Raise :class:`InputError` when ``created_at`` is outside the bounds."""
        if created_at < self.min_date:
            raise InputError(
                f"created_at {created_at.isoformat()} is before {self.min_date.date().isoformat()}"
                " (GRAPEVINE_MIN_POST_DATE)"
            )
        if created_at > now + self.max_future:
            raise InputError(f"created_at {created_at.isoformat()} is in the future")


def _int(name: str, value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise InputError(f"{name} must be a whole number, not a boolean")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str):
        try:
            number = int(value.strip())
        except ValueError as exc:
            raise InputError(f"{name} must be a whole number, got {value[:20]!r}") from exc
    else:
        raise InputError(f"{name} must be a whole number, got {type(value).__name__}")
    if number < 0:
        raise InputError(f"{name} must not be negative, got {number}")
    if number > 2**62:
        raise InputError(f"{name} is implausibly large ({number})")
    return number


def _str(name: str, value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise InputError(f"{name} must be a string, got {type(value).__name__}")
    return value


def parse_record(
    record: Mapping[str, Any],
    pseudo: Pseudonymiser,
    *,
    default_source: str = "file",
    now: datetime | None = None,
    bounds: DateBounds = DateBounds(),
) -> Post:
    """One file record -> ``Post``. Raises :class:`InputError` saying what is wrong."""
    if not isinstance(record, Mapping):
        raise InputError(f"record must be a JSON object, got {type(record).__name__}")
    source_id = _str("id", record.get("id"))
    if source_id is None or not source_id.strip():
        raise InputError("id is missing")
    text = record.get("text")
    if not isinstance(text, str):
        raise InputError("text is missing" if text is None else "text must be a string")
    if not text.strip():
        raise InputError("text is empty")
    if len(text) > MAX_TEXT_CHARS:
        raise InputError(f"text has {len(text):,} characters, over the {MAX_TEXT_CHARS:,} limit")
    created_at = parse_timestamp(record.get("created_at"))
    bounds.check(created_at, now or datetime.now(UTC))
    fields = {name: _str(name, record.get(name)) for name in _STR_FIELDS}
    numbers = {name: _int(name, record.get(name)) for name in _INT_FIELDS}
    source = (fields["source"] or default_source).strip().lower()
    author = fields["author"]
    handle = author.lstrip("@") if author else None
    identities = {author or "", handle or ""}
    raw = pseudo.scrub(dict(record), identities, source)
    return Post(
        source=source,
        source_id=source_id.strip(),
        created_at=created_at,
        text=text,
        url=pseudo.url(source, fields["url"], identities),
        author_key=pseudo.author_key(source, handle),
        author_handle=handle,
        author_followers=numbers["author_followers"],
        lang=fields["lang"],
        parent_id=fields["parent_id"],
        thread_id=fields["thread_id"] or fields["parent_id"],
        engagement=Engagement(
            likes=numbers["likes"],
            replies=numbers["replies"],
            reposts=numbers["reposts"],
            score=numbers["score"],
        ),
        raw=raw,
    )


# --- streaming readers -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RawRecord:
    """A record as read: its line number, the decoded object (or the error), and its text."""

    line_no: int
    record: Any
    raw: bytes | str
    error: str | None = None
    offset: int = 0

    @property
    def payload(self) -> str:
        """The record's text as read (decoded only when needed: for quarantine)."""
        if isinstance(self.raw, bytes):
            return self.raw.decode("utf-8", errors="replace")
        return self.raw

    def failed(self, error: str) -> RawRecord:
        return RawRecord(self.line_no, self.record, self.raw, error, self.offset)


def _open_binary(path: Path) -> IO[bytes]:
    if path.suffix.lower() == ".gz":
        return cast(IO[bytes], gzip.open(path, "rb"))
    return path.open("rb")


def file_format(path: Path) -> str:
    """``jsonl`` or ``csv``/``tsv`` from the extension (``.gz`` is looked through)."""
    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    ext = suffixes[-1] if suffixes else ""
    if ext in {".jsonl", ".ndjson", ".json"}:
        return "jsonl"
    if ext in {".csv", ".tsv"}:
        return ext[1:]
    raise InputError(
        f"cannot tell the format of {path.name}",
        hint="name the file .jsonl, .ndjson, .csv or .tsv (optionally .gz)",
    )


def _parse_json_line(line: bytes) -> tuple[Any, str | None]:
    """orjson for speed; the stdlib for what orjson refuses but we can clean (lone surrogates,
    NaN); a clear reason for the rest."""
    try:
        return orjson.loads(line), None
    except orjson.JSONDecodeError:
        pass
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, f"line is not valid UTF-8 (byte {exc.start})"
    try:
        return json.loads(text), None
    except json.JSONDecodeError as exc:
        return None, f"invalid JSON: {exc.msg} at column {exc.colno}"
    except ValueError as exc:  # a number of more than 4,300 digits
        return None, f"invalid JSON: {str(exc).split(':')[0]}"
    except RecursionError:
        return None, "invalid JSON: nested too deeply"


MAX_LINE_BYTES = _MAX_PAYLOAD_CHARS * 8
"""A longer JSONL line is quarantined unread: a post with every character escaped fits."""
MAX_CSV_RECORD_CHARS = 2 * MAX_TEXT_CHARS
"""A CSV record (and so a quoted field) may not run past this many characters..."""
MAX_CSV_RECORD_LINES = 1_000
"""...nor past this many lines: an unclosed quote must cost one row, not the rest of the file."""
_BOM = b"\xef\xbb\xbf"
_SKIP_CHUNK = 1 << 16


def bounded_lines(fh: IO[AnyStr], limit: int) -> Iterator[tuple[AnyStr, bool]]:
    """``(line, complete)`` pairs, never holding more than ``limit`` units of one line.

    A line longer than ``limit`` comes back cut to ``limit`` with ``complete=False``, and the
    rest of it is read and dropped in ``limit``-sized pieces: a 300 MB line without a newline
    costs ``limit`` of memory, not 300 MB (iterating a file object reads whole lines).
    """
    while True:
        line = fh.readline(limit + 1)
        if not line:
            return
        if len(line) <= limit:
            yield line, True
            continue
        rest = line[-1:]
        while rest and rest[-1:] not in ("\n", "\r", b"\n"):
            rest = fh.readline(_SKIP_CHUNK)
        yield line[:limit], False


def read_jsonl(fh: IO[bytes]) -> Iterator[RawRecord]:
    offset = 0
    for line_no, (line, complete) in enumerate(bounded_lines(fh, MAX_LINE_BYTES), start=1):
        offset = fh.tell() if fh.seekable() else offset + len(line)
        stripped = line.strip()
        if stripped.startswith(_BOM):  # Windows tools start files (and concatenations) with one
            stripped = stripped[len(_BOM) :].strip()
        if not stripped:
            continue
        if not complete:
            too_long = f"line is longer than {MAX_LINE_BYTES:,} bytes"
            yield RawRecord(line_no, None, stripped[:_MAX_PAYLOAD_CHARS], too_long, offset)
            continue
        record, error = _parse_json_line(stripped)
        yield RawRecord(line_no, record, stripped, error, offset)


class _LineTooLongError(Exception):
    """A physical CSV line over the record limit (raised through ``csv.reader``)."""


class _RecordTooLongError(Exception):
    """A CSV record still open after the line or character limit (an unclosed quote)."""


class _LineFeed:
    """Physical lines for ``csv.reader``, one record at a time, with push-back.

    ``csv.reader`` pulls lines until a record is complete, so an unclosed quote would pull the
    whole rest of the file into one field. This feed remembers the lines of the current record,
    stops a record that runs past the limits, and lets the caller push back every line after
    the first, so that parsing resumes on the line after the bad one.
    """

    def __init__(self, lines: Iterator[tuple[str, bool]]) -> None:
        self._source = enumerate(lines, start=1)
        self._pending: deque[tuple[int, str, bool]] = deque()
        self.taken: list[tuple[int, str, bool]] = []
        self._chars = 0

    def start(self) -> None:
        self.taken = []
        self._chars = 0

    def push_back_all_but_first(self) -> None:
        self._pending.extendleft(reversed(self.taken[1:]))
        self.taken = self.taken[:1]

    @property
    def first_line(self) -> int:
        return self.taken[0][0] if self.taken else 0

    @property
    def text(self) -> str:
        return "".join(line for _, line, _ in self.taken)

    def __iter__(self) -> _LineFeed:
        return self

    def __next__(self) -> str:
        if self.taken and (
            len(self.taken) >= MAX_CSV_RECORD_LINES or self._chars >= MAX_CSV_RECORD_CHARS
        ):
            raise _RecordTooLongError
        if self._pending:
            item = self._pending.popleft()
        else:
            line_no, (line, complete) = next(self._source)
            item = (line_no, line, complete)
        if not item[2]:
            if self.taken:  # an open record ran into an over-long line: that line is next
                self._pending.appendleft(item)
                raise _RecordTooLongError
            self.taken.append(item)
            raise _LineTooLongError
        self.taken.append(item)
        self._chars += len(item[1])
        return item[1]


def _csv_header(reader: Iterator[list[str]], feed: _LineFeed) -> list[str] | None:
    feed.start()
    try:
        header = next(reader)
    except StopIteration:
        return None
    except (csv.Error, _LineTooLongError, _RecordTooLongError) as exc:
        raise InputError(
            f"cannot read the CSV header: {exc or 'it is not one line of column names'}"
        ) from exc
    header = [h.strip().lstrip("\ufeff") for h in header]
    if "id" not in header or "text" not in header or "created_at" not in header:
        raise InputError(
            f"CSV header {header} lacks a required column",
            hint="required columns: id, text, created_at",
        )
    twice = sorted({h for h in header if header.count(h) > 1})
    if twice:
        raise InputError(
            f"CSV header names {', '.join(repr(h) for h in twice)} more than once",
            hint="rename or remove the duplicate columns: which one to use is a guess",
        )
    return header


def read_csv(fh: IO[bytes], delimiter: str = ",") -> Iterator[RawRecord]:
    """Stream CSV records; a malformed record becomes an error record and parsing goes on.

    Records are strict RFC 4180 (text after a closing quote is an error): in a lenient reader
    a stray quote silently glues the following rows into one field. A record that spans lines
    and then fails (wrong field count, bad quoting, end of file, over the limits) is the sign
    of an unclosed quote: its first line is quarantined and parsing resumes on the next line.
    """
    # surrogateescape keeps invalid bytes visible as lone surrogates so we can quarantine the row.
    text = io.TextIOWrapper(fh, encoding="utf-8", errors="surrogateescape", newline="")
    feed = _LineFeed(bounded_lines(text, MAX_CSV_RECORD_CHARS))
    reader = csv.reader(feed, delimiter=delimiter, strict=True)
    header = _csv_header(reader, feed)
    if header is None:
        return
    while True:
        feed.start()
        error: str | None = None
        row: list[str] = []
        try:
            row = next(reader)
        except StopIteration:
            return
        except _LineTooLongError:
            error = f"line is longer than {MAX_CSV_RECORD_CHARS:,} characters"
        except _RecordTooLongError:
            error = (
                f"a quoted field opened on line {feed.first_line} does not close within"
                f" {MAX_CSV_RECORD_LINES:,} lines or {MAX_CSV_RECORD_CHARS:,} characters"
            )
        except csv.Error as exc:
            error = f"malformed CSV: {exc}"
        if error is None and len(feed.taken) > 1 and len(row) != len(header):
            error = (
                f"a quoted field opened on line {feed.first_line} spans {len(feed.taken)} lines"
                f" and leaves {len(row)} fields, the header has {len(header)}"
            )
        offset = fh.tell() if fh.seekable() else 0
        if error is not None:
            feed.push_back_all_but_first()
            payload = feed.text[:_MAX_PAYLOAD_CHARS]
            if any("\udc80" <= ch <= "\udcff" for ch in payload):
                payload = payload.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            yield RawRecord(feed.first_line, None, payload, error, offset)
            continue
        line_no = feed.first_line
        payload = delimiter.join(row)
        if not any(cell.strip() for cell in row):
            continue
        if any("\udc80" <= ch <= "\udcff" for cell in row for ch in cell):
            clean = payload.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            yield RawRecord(line_no, None, clean, "row is not valid UTF-8", offset)
            continue
        if len(row) != len(header):
            yield RawRecord(
                line_no,
                None,
                payload,
                f"row has {len(row)} fields, the header has {len(header)}",
                offset,
            )
            continue
        yield RawRecord(line_no, dict(zip(header, row, strict=True)), payload, None, offset)


def iter_records(path: Path) -> Iterator[RawRecord]:
    """Stream a file's records, whatever its format.

    A ``.gz`` that is not gzip is an :class:`InputError` (nothing can be read); one that ends
    early (a copy cut short) keeps the records read so far and ends with an error record saying
    where the data stops, so the summary shows it and the quarantine keeps it.
    """
    fmt = file_format(path)
    last = RawRecord(0, None, "")
    with _open_binary(path) as fh:
        records = read_jsonl(fh) if fmt == "jsonl" else read_csv(fh, delimiter=_DELIMITERS[fmt])
        try:
            for last in records:
                yield last
        except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
            if last.line_no == 0 and isinstance(exc, gzip.BadGzipFile):
                raise InputError(
                    f"{path.name} is not a gzip file ({exc})",
                    hint="compress it with gzip, or drop the .gz from its name",
                ) from exc
            log.warning("%s: compressed data ends after line %d: %s", path, last.line_no, exc)
            yield RawRecord(
                last.line_no + 1,
                None,
                "",
                f"the compressed file is cut short or corrupt after line {last.line_no:,}"
                f" ({exc}): the records after it are missing; fetch the file again",
                last.offset,
            )


_DELIMITERS = {"csv": ",", "tsv": "\t"}


class FileCollector:
    """Collects posts from a JSONL/CSV file. The natural key makes re-imports idempotent."""

    source = "file"

    def __init__(
        self,
        path: Path,
        pseudo: Pseudonymiser,
        *,
        batch_size: int = 5000,
        now: datetime | None = None,
        bounds: DateBounds = DateBounds(),
    ) -> None:
        if not path.exists():
            raise InputError(f"{path} does not exist", hint="check the --path you gave")
        if path.is_dir():
            raise InputError(f"{path} is a folder", hint="give one .jsonl or .csv file")
        file_format(path)
        self.path = path
        self.pseudo = pseudo
        self.batch_size = batch_size
        self.now = now or datetime.now(UTC)
        self.bounds = bounds
        self.size = path.stat().st_size

    def collect(
        self,
        brands: Sequence[Brand],
        since: datetime | None,
        until: datetime | None,
        cursors: Mapping[str, Cursor],
    ) -> Iterator[Page]:
        page = Page()
        ref = str(self.path)
        for raw in iter_records(self.path):
            page.progress = raw.offset
            if raw.error is None:
                try:
                    post = parse_record(raw.record, self.pseudo, now=self.now, bounds=self.bounds)
                except InputError as exc:
                    raw = raw.failed(exc.message)
                except (ValueError, TypeError, OverflowError, RecursionError) as exc:
                    # A record the checks above did not foresee must cost one line, not the
                    # run: every rerun would stop at the same line and never load the rest.
                    log.warning("%s line %d: unexpected %r", ref, raw.line_no, exc, exc_info=True)
                    raw = raw.failed(f"cannot parse the record ({type(exc).__name__}: {exc})")
                else:
                    if (since is None or post.created_at >= since) and (
                        until is None or post.created_at < until
                    ):
                        page.posts.append(post)
            if raw.error is not None:
                source_id = raw.record.get("id") if isinstance(raw.record, dict) else None
                page.quarantined.append(
                    QuarantineRecord(
                        source=self.source,
                        error=raw.error,
                        payload=raw.payload[:_MAX_PAYLOAD_CHARS],
                        source_ref=ref,
                        line_no=raw.line_no,
                        source_id=str(source_id) if source_id is not None else None,
                    )
                )
            if len(page.posts) + len(page.quarantined) >= self.batch_size:
                yield page
                page = Page(progress=page.progress)
        page.progress = self.size
        yield page
