"""The README's settings table lists every setting, and only settings (issue #13).

``GRAPEVINE_IMPORT_GLOB`` was missing from it, so users of file imports could not find how to
schedule them. Every field of :class:`grapevine.core.settings.Settings` must appear in the table
under "## Configuration" as ``GRAPEVINE_<FIELD>``, and every name there must be a field.
"""

from __future__ import annotations

import re
from pathlib import Path

from grapevine.core.settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def settings_table(readme: str) -> list[str]:
    """The rows of the first table after the "## Configuration" heading."""
    section = readme.split("\n## Configuration\n", 1)[1]
    lines = section.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| setting |"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append(line)
    return rows


def listed_names(rows: list[str]) -> set[str]:
    """The names in each row's first cell."""
    return {
        name for row in rows for name in re.findall(r"`(GRAPEVINE_[A-Z0-9_]+)`", row.split("|")[1])
    }


def test_every_setting_is_in_the_readme_table_and_nothing_else() -> None:
    rows = settings_table(README.read_text(encoding="utf-8"))
    assert rows, "the README has no settings table under ## Configuration"
    fields = {f"GRAPEVINE_{name.upper()}" for name in Settings.model_fields}
    listed = listed_names(rows)
    assert sorted(fields - listed) == [], "settings missing from the README table"
    assert sorted(listed - fields) == [], "README table rows that are not settings"


def test_each_row_has_a_default_and_a_meaning() -> None:
    for row in settings_table(README.read_text(encoding="utf-8")):
        cells = [c.strip() for c in row.strip().strip("|").split("|")]
        assert len(cells) == 3 and all(cells), row
