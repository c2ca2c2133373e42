"""CLI output for pipes and logs: periodic progress lines and tables as TSV/JSON (issue #13)."""

from __future__ import annotations

import io
import json
import threading

from rich.table import Table

from grapevine.cli.output import OutputFormat, emit, json_value, make_console, tsv
from grapevine.cli.progress import LineProgress, progress_line


def test_progress_line_has_done_total_rate_and_time_left() -> None:
    line = progress_line("classifying posts", 1_200, 5_000, 30.0)
    assert line == "classifying posts: 1,200/5,000 (24%), 40/s, about 1m35s left"
    assert progress_line("importing a.jsonl", 2e6, 8e6, 2.0, unit="B").startswith(
        "importing a.jsonl: 2.0 MB/8.0 MB (25%), 1.0 MB/s"
    )
    assert progress_line("collecting", 50, None, 10.0) == "collecting: 50, 5/s"
    assert progress_line("classifying posts", 10, 10, 5.0, finished=True).endswith("done in 5s")


def test_line_progress_reports_on_a_timer_even_without_advances() -> None:
    lines: list[str] = []
    got_two = threading.Event()

    def write(line: str) -> None:
        lines.append(line)
        if len(lines) >= 2:
            got_two.set()

    ticks = iter(range(0, 10_000, 10))
    with LineProgress(write, interval=0.01, clock=lambda: float(next(ticks))) as bar:
        task = bar.add_task("classifying posts", total=100)
        bar.advance(task, 25)
        # the batch "hangs" here; lines keep coming from the timer thread
        assert got_two.wait(timeout=30), lines
        bar.advance(task, 75)
    assert "classifying posts: 25/100 (25%)" in lines[0]
    assert "100/100 (100%)" in lines[-1] and "done in" in lines[-1]


def _table() -> Table:
    table = Table(title="C2C mentions, 2026-10-01 to 2026-10-02")
    for col in ("brand", "total", "NAS", "share"):
        table.add_column(col)
    table.add_row("American Airlines Group International", "1,234", "[green]+12.5[/]", "45%")
    table.add_row("Globex\tInc", "-", "[red]-3.0[/]", "")
    return table


def test_tsv_has_a_title_comment_header_and_plain_cells() -> None:
    assert tsv(_table()).splitlines() == [
        "# C2C mentions, 2026-10-01 to 2026-10-02",
        "brand\ttotal\tNAS\tshare",
        "American Airlines Group International\t1,234\t+12.5\t45%",
        "Globex Inc\t-\t-3.0\t",
    ]


def test_json_turns_numbers_into_numbers() -> None:
    out = io.StringIO()
    emit(_table(), OutputFormat.json, make_console(OutputFormat.json), out)
    record = json.loads(out.getvalue())
    assert record["rows"][0] == {
        "brand": "American Airlines Group International",
        "total": 1234,
        "NAS": 12.5,
        "share": "45%",
    }
    assert record["rows"][1]["total"] is None and record["rows"][1]["NAS"] == -3.0
    assert [json_value(v) for v in ("2026-10-01", "007", "1,2")] == ["2026-10-01", 7, "1,2"]


def test_a_console_that_is_not_a_terminal_is_wide() -> None:
    console = make_console(OutputFormat.table, file=io.StringIO())
    assert not console.is_terminal and console.width >= 1000
    assert make_console(OutputFormat.tsv).stderr
