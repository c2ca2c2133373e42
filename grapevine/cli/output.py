"""How the CLI's tables reach the user: a rich table on a terminal, or data for a pipe.

``grapevine --format tsv|json COMMAND`` prints every summary table as tab-separated values or
as one JSON object a line, on stdout, while messages move to stderr: the output can be fed to
``cut``, ``jq`` or a spreadsheet. With the default ``table`` format, a console that is not a
terminal (a pipe, a file, a CI log) renders tables at their full width instead of rich's
80-column guess, so no cell is cut ("Americ…").
"""

from __future__ import annotations

import json
import re
import sys
from enum import StrEnum
from typing import IO

from rich.console import Console
from rich.table import Table
from rich.text import Text

#: Width given to a console that writes to a pipe or a file: wide enough for any table we print.
PIPE_WIDTH = 1000

_INT = re.compile(r"[+-]?\d{1,3}(,\d{3})+|[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(\d{1,3}(,\d{3})+|\d*)\.\d+")


class OutputFormat(StrEnum):
    table = "table"
    tsv = "tsv"
    json = "json"


def make_console(
    fmt: OutputFormat, *, stderr: bool = False, file: IO[str] | None = None
) -> Console:
    """The console for messages: stdout for tables, stderr when stdout carries data."""
    console = Console(stderr=stderr or fmt is not OutputFormat.table, file=file)
    if not console.is_terminal:
        console.width = PIPE_WIDTH
    return console


def plain(cell: object) -> str:
    """A cell's text without rich markup."""
    if isinstance(cell, Text):
        return cell.plain
    return Text.from_markup(str(cell)).plain


def table_rows(table: Table) -> tuple[list[str], list[list[str]]]:
    """The headers and the plain-text rows of a rich table (rich keeps cells by column)."""
    headers = [plain(c.header) for c in table.columns]
    columns = [[plain(cell) for cell in c._cells] for c in table.columns]
    return headers, [list(row) for row in zip(*columns, strict=True)] if columns else []


def json_value(cell: str) -> object:
    """Numbers as numbers ("1,234" -> 1234, "+12.5" -> 12.5); "" and "-" as null; text as is."""
    value = cell.strip()
    if value in {"", "-"}:
        return None
    if _INT.fullmatch(value):
        return int(value.replace(",", ""))
    if _FLOAT.fullmatch(value):
        return float(value.replace(",", ""))
    return value


def tsv(table: Table) -> str:
    """The table as TSV: a ``# title`` line, the header, the rows (tabs in cells become spaces)."""
    headers, rows = table_rows(table)
    lines = [f"# {plain(table.title)}"] if table.title else []
    for row in (headers, *rows):
        lines.append("\t".join(c.replace("\t", " ").replace("\n", " ") for c in row))
    return "\n".join(lines) + "\n"


def json_line(table: Table) -> str:
    """The table as one JSON object: ``{"table": title, "rows": [{header: value}, ...]}``."""
    headers, rows = table_rows(table)
    records = [dict(zip(headers, (json_value(c) for c in row), strict=True)) for row in rows]
    return json.dumps({"table": plain(table.title or ""), "rows": records}, ensure_ascii=False)


def emit(table: Table, fmt: OutputFormat, console: Console, out: IO[str] | None = None) -> None:
    """Print a summary table in the chosen format (data formats go to stdout)."""
    if fmt is OutputFormat.table:
        console.print(table)
        return
    stream = out if out is not None else sys.stdout
    stream.write(tsv(table) if fmt is OutputFormat.tsv else json_line(table) + "\n")
    stream.flush()
