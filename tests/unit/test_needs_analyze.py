"""When a load's changes make the planner's statistics stale (issue #16: ANALYZE after loads)."""

from __future__ import annotations

import pytest

from warehouse.engine import needs_analyze


@pytest.mark.parametrize(
    ("changed", "estimated", "expected"),
    [
        (0, -1, False),  # nothing written: nothing to analyse, even on a fresh table
        (1, -1, True),  # never analysed: the planner guesses, so any load counts
        (50, 0, False),  # a handful of rows into an empty table: autovacuum's threshold
        (51, 0, True),
        (10_050, 100_000, False),  # 10 % + 50 of a big table is still fine
        (10_051, 100_000, True),
    ],
)
def test_needs_analyze(changed: int, estimated: float, expected: bool) -> None:
    assert needs_analyze(changed, estimated) is expected
