"""Fuzz: thousands of hostile JSONL lines and CSV records through the real file collector into
the real Postgres. Every record is loaded or quarantined, none stops the run, and a rerun
changes nothing (#12).

A seeded generator, not hypothesis: the same ~2,400 records every run, so a failure reproduces
at once and the test costs seconds. Every record carries a marker (``id-00042-x``) at the start
of its line, so the test can find it again among the loaded ids or the quarantined payloads.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from grapevine.core.settings import Settings
from grapevine.core.watchlist import Watchlist
from grapevine.stages import collect as pipeline

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 1, tzinfo=UTC)
N = 1_200
MARKER = re.compile(r"id-(\d{5})-x")
WATCHLIST = 'brands:\n  - name: Acme\n    aliases: ["acme air"]\n'
NASTY = [
    "\x00",
    "\ufeff",
    "\r",
    "\n",
    "\u2028",
    "\u202e",
    "\u200b",
    "\ud800",
    "\udfff",
    '"',
    "'",
    "\\",
    ",",
    "\t",
    "😀",
    "ǅ",
    "\u0301",
    "ﬃ",
    "İ",
    "\x7f",
    "\x1b[31m",
    "<script>",
    "%s%n",
    "NaN",
]
BAD_DATES: list[object] = [
    "0001-01-01T00:30:00+01:00",
    "9999-12-31T23:30:00-01:00",
    "0001-01-01",
    "1999-12-31T23:59:59Z",
    "2031-01-01",
    "yesterday",
    "",
    "2026-13-01",
    "2026-10-01T25:00",
    10**20,
    -(10**12),
    True,
    None,
    1e308,
    [],
]


def marker(i: int) -> str:
    return f"id-{i:05d}-x"


def random_text(rng: random.Random, length: int) -> str:
    """Random Unicode with the nasty characters mixed in (lone surrogates too)."""
    out = []
    for _ in range(length):
        roll = rng.random()
        if roll < 0.25:
            out.append(rng.choice(NASTY))
        elif roll < 0.6:
            out.append(chr(rng.randint(0x20, 0x7E)))
        else:
            cp = rng.randint(0xA0, 0x2FFFF)
            out.append(chr(cp))
    return "".join(out)


def date(rng: random.Random) -> str:
    return f"2026-{rng.randint(1, 10):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:00:00Z"


TWINS: set[int] = set()


def jsonl_lines(rng: random.Random) -> list[bytes]:
    """One (sometimes two, for id collisions: ``TWINS``) hostile lines per marker."""
    lines: list[bytes] = []
    for i in range(N):
        rec: dict[str, object] = {
            "id": marker(i),
            "text": f"{random_text(rng, rng.randint(0, 40))} acme air ",
            "created_at": date(rng),
        }
        kind = rng.randrange(16)
        if kind == 1:
            rec["text"] = rng.choice([17, None, ["acme air"], {"a": 1}, True, ""])
        elif kind == 2:
            rec[rng.choice(["likes", "replies", "author_followers"])] = rng.choice(
                ["lots", -3, 2.5, 10**30, "9" * 40, [], {"n": 1}, float("inf"), True]
            )
        elif kind == 3:
            depth = rng.choice([5, 63, 64, 65, 200, 300, 1_000, 1_100])
        elif kind == 4:
            rec["created_at"] = rng.choice(BAD_DATES)
        elif kind == 5:
            rec["url"] = rng.choice(
                [
                    "https://x.com/bob/status/1",
                    "https://bsky.app/profile/did:plc:abc/post/1",
                    "at://did:plc:abc/app.bsky.feed.post/1",
                    "https://mastodon.social/@bob/1",
                    "https://www.reddit.com/user/bob/",
                    ["not", "a", "url"],
                    random_text(rng, 30),
                ]
            )
            rec["author"] = rng.choice(["bob", "@bob", random_text(rng, 8), 7, None])
            rec["source"] = rng.choice(["x", "bluesky", "mastodon", "reddit", " X ", ""])
        elif kind == 6:
            rec["id"] = marker(i) + rng.choice(["\x00", "\ud800", "\udfff", "\ufeff", " "])
        elif kind == 7 and rng.random() < 0.05:
            rec["text"] = "acme air " + "y" * 100_001
        encoded = json.dumps(rec, ensure_ascii=rng.random() < 0.5, allow_nan=True).encode(
            "utf-8", "surrogatepass"
        )
        if kind == 3:  # spliced in as text: json.dumps itself cannot nest this deep
            encoded = encoded[:-1] + b', "extra": ' + b"[" * depth + b"]" * depth + b"}"
        elif kind == 8:  # broken JSON, the marker still first
            cut = rng.randint(len(marker(i)) + 10, len(encoded))
            encoded = rng.choice(
                [
                    encoded[:cut],
                    encoded + b" trailing",
                    b"[" + encoded + b"]",
                    b'"' + marker(i).encode() + b'"',
                    encoded.replace(b":", b"=", 1),
                ]
            )
        elif kind == 9:
            encoded = (
                encoded[:30] + rng.choice([b"\xff", b"\xc3\x28", b"\xed\xa0\x80"]) + encoded[30:]
            )
        elif kind == 10:
            encoded = rng.choice([b"\xef\xbb\xbf", b"  ", b"\t"]) + encoded + b"\r"
        elif kind == 11:
            encoded = encoded.replace(b" acme air", b"\x00 acme air", 1)
        elif kind == 12:
            big = b"1" + b"0" * rng.choice([30, 4_400, 5_000])
            encoded = encoded[:-1] + b', "likes": ' + big + b"}"
        lines.append(encoded)
        if kind == 13:  # the same post again, its id differing only by what Postgres drops
            twin = {**rec, "id": marker(i) + rng.choice(["\x00", "\x00\x00"])}
            lines.append(json.dumps(twin).encode())
            TWINS.add(i)
        if rng.random() < 0.02:
            lines.append(b"   ")  # blank lines are no records
    return lines


def cell(value: str) -> str:
    """A correctly quoted CSV cell."""
    if any(c in value for c in ',"\r\n') or value[:1].isspace():
        return '"' + value.replace('"', '""') + '"'
    return value


def csv_records(rng: random.Random) -> list[bytes]:
    records: list[bytes] = []
    for i in range(N):
        body = f"{random_text(rng, rng.randint(0, 30))} acme air "
        fields = [marker(i), cell(body), date(rng), str(rng.randint(0, 99)), "", "", ""]
        kind = rng.randrange(14)
        if kind == 1:
            fields[1] = '"' + body.replace('"', "") + " acme air oops"  # never closed
        elif kind == 2:
            fields[1] = '"acme air" and then more'
        elif kind == 3:
            fields = fields[: rng.randint(1, 6)] if rng.random() < 0.5 else [*fields, "extra"]
        elif kind == 4:
            fields[1] = cell("acme air \x00 nul")
        elif kind == 5:
            fields[1] = "acme air, unquoted \r carriage return".replace(",", "")
        elif kind == 6:
            fields[1] = cell("acme air\nspans\r\nthree lines, fine")
        elif kind == 7:
            fields[2] = cell(str(rng.choice(BAD_DATES)))
        elif kind == 8:
            fields[3] = rng.choice(["lots", "-4", "9" * 5_000, "1e3", "2.0", " 7 "])
        elif kind == 9:
            fields[4] = cell(rng.choice(["https://x.com/bob/status/1", "at://did:plc:a/p/1"]))
            fields[5] = "bob"
            fields[6] = rng.choice(["x", "bluesky", "reddit", "mastodon"])
        elif kind == 10 and rng.random() < 0.1:
            fields[1] = cell("acme air " + "z" * rng.choice([100_001, 250_000]))
        elif kind == 11:
            fields[0] = marker(i) + "\ufeff"
        line = ",".join(fields).encode("utf-8", "surrogatepass")
        if kind == 12:
            line = line[:12] + b"\xff\xfe" + line[12:]
        elif kind == 13:
            line = line.replace(b"acme air", b"acme air \xed\xa0\x80", 1)
        records.append(line)
    return records


def markers_in(values: list[str]) -> set[int]:
    found: set[int] = set()
    for value in values:
        found.update(int(m) for m in MARKER.findall(value or ""))
    return found


def state(engine: Engine) -> tuple[dict[str, int], str]:
    """Row counts and a hash of everything a rerun could change."""
    with engine.connect() as conn:
        counts = {
            t: int(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one())
            for t in ("posts", "post_brands", "quarantine")
        }
        rows = conn.execute(
            text(
                "SELECT p.id, p.source, p.source_id, p.url, p.content_hash, p.updated_at,"
                " p.raw::text FROM posts p ORDER BY p.id"
            )
        ).all()
        rows += conn.execute(text("SELECT * FROM post_brands ORDER BY 1, 2")).all()
        rows += conn.execute(
            text("SELECT id, fingerprint, error, line_no FROM quarantine ORDER BY id")
        ).all()
    return counts, hashlib.sha256(repr(rows).encode("utf-8", "surrogatepass")).hexdigest()


def account(engine: Engine, path: Path) -> tuple[set[int], set[int]]:
    ref = str(path)
    with engine.connect() as conn:
        loaded = conn.execute(text("SELECT source_id FROM posts")).scalars().all()
        quarantined = (
            conn.execute(text("SELECT payload FROM quarantine WHERE source_ref = :r"), {"r": ref})
            .scalars()
            .all()
        )
    return markers_in(list(loaded)), markers_in(list(quarantined))


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_hostile_records_are_each_loaded_or_quarantined_and_a_rerun_changes_nothing(
    tmp_path: Path, engine: Engine, settings: Settings, fmt: str
) -> None:
    rng = random.Random(20261203)
    path = tmp_path / f"hostile.{fmt}"
    if fmt == "jsonl":
        path.write_bytes(b"\xef\xbb\xbf" + b"\n".join(jsonl_lines(rng)) + b"\n")
    else:
        header = b"id,text,created_at,likes,url,author,source"
        path.write_bytes(b"\n".join([header, *csv_records(rng)]) + b"\r\n")
    watchlist = Watchlist.from_yaml_text(WATCHLIST)
    small = settings.model_copy(update={"load_batch_size": 250})

    first = pipeline.collect_file(path, watchlist, engine, small, now=NOW)
    loaded, quarantined = account(engine, path)
    assert loaded | quarantined == set(range(N))  # nothing lost...
    assert loaded & quarantined <= TWINS  # ...and nothing counted twice (a twin is two lines)
    assert len(loaded) >= 300 and len(quarantined) >= 300  # the mix is really mixed
    assert first.read >= N and first.quarantined >= len(quarantined)
    counts, digest = state(engine)
    assert counts["posts"] == len(loaded) and counts["post_brands"] == len(loaded)

    again = pipeline.collect_file(path, watchlist, engine, small, now=NOW)
    assert (again.read, again.loaded, again.quarantined) == (first.read, 0, first.quarantined)
    assert state(engine) == (counts, digest)
