"""`grapevine demo` as a user runs it: a real embedded PostgreSQL, no credentials, offline."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

GRAPEVINE = Path(sys.executable).with_name("grapevine")


def run_demo(data_dir: Path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRAPEVINE_")}
    env.update(
        GRAPEVINE_DATA_DIR=str(data_dir),
        HF_HUB_OFFLINE="1",  # prove that nothing is fetched from a model hub
        TRANSFORMERS_OFFLINE="1",
        COLUMNS="200",
    )
    done = subprocess.run(
        [str(GRAPEVINE), "demo"],
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
        cwd=data_dir,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def counts(output: str) -> dict[str, int]:
    line = next(ln for ln in output.splitlines() if ln.startswith("warehouse rows:"))
    return {t: int(n.replace(",", "")) for t, n in re.findall(r"(\w+) ([\d,]+)", line)}


def test_demo_twice_on_the_embedded_postgres(tmp_path: Path) -> None:
    first = run_demo(tmp_path)
    for brand in ("Voltera", "Pedalo Bikes", "Zephyr Cycles", "Kinetik"):
        assert brand in first
    assert "Collection summary" in first and "C2C mentions by day" in first
    assert "What customers say to each other" in first
    before = counts(first)
    assert before["posts"] >= 2000
    assert before["quarantine"] >= 5  # the demo file plants malformed lines
    assert before["classifications"] == before["posts"] + before["post_brands"]
    # why Voltera's customers warn: every alert of the planted episode (12-16 October, swelling
    # batteries and failing chargers) names that cause as its top driver
    drivers = dict(re.findall(r"^  Voltera (2026-10-1[2-6]): driven by (.+)$", first, re.M))
    assert sorted(drivers) == [f"2026-10-{d}" for d in range(12, 17)], first[-3000:]
    for day, why in drivers.items():
        top = why.split(" (")[0]
        assert re.search(r"batter|charger|swell", top), (day, why)
    assert "Biggest outcomes" in first

    second = run_demo(tmp_path)
    assert counts(second) == before
    summary_row = next(ln for ln in second.splitlines() if ln.startswith("│ file"))
    _read, matched, loaded, duplicates, _quarantined, replies = (
        int(c.strip().replace(",", "")) for c in summary_row.split("│")[2:8]
    )
    assert replies > 0  # replies that name no brand are kept as thread context
    assert loaded == 0 and duplicates == matched + replies

    pgdata = tmp_path / "demo" / "pgdata"
    assert (pgdata / "PG_VERSION").exists()  # the data folder is kept for the next run
    assert not (pgdata / "postmaster.pid").exists()  # and the server was stopped cleanly
