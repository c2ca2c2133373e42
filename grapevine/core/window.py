"""``Window``: the half-open interval ``[since, until)`` every stage works on.

One value type instead of the four ISO parsers and the ``{"since": ..., "until": ...}`` dicts
the CLI, the scheduler glue and the file collector each used to carry. Both ends are aware UTC
datetimes or ``None`` (open: "everything there is" on that side). Nothing here reads the clock
except :meth:`Window.last_day`, which is given ``now`` by the CLI, so retries and backfills
compute exactly what the first run did.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

When = str | date | datetime | None


def zone(tz: str | tzinfo = "UTC") -> tzinfo:
    """The ``tzinfo`` of a zone name (``"UTC"`` is ``datetime.UTC``)."""
    if isinstance(tz, tzinfo):
        return tz
    return UTC if tz == "UTC" else ZoneInfo(tz)


def parse_when(value: When, tz: str | tzinfo = "UTC") -> datetime | None:
    """An ISO date or datetime (``Z`` allowed), a ``date`` or a ``datetime`` -> aware UTC.

    A plain date is local midnight in ``tz``, and so is any time written without an offset:
    ``--since 2026-10-01`` starts the day that metrics, alerts and the report call 2026-10-01
    when ``GRAPEVINE_TIMEZONE`` is set. An explicit offset is taken as written. ``None`` and
    ``""`` mean "open". Raises ``ValueError`` naming the accepted forms.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime.combine(value, time(0))
    else:
        raw = str(value).strip()
        try:
            parsed = datetime.fromisoformat(
                raw[:-1] + "+00:00" if raw.endswith(("Z", "z")) else raw
            )
        except ValueError as exc:
            raise ValueError(
                f"{value!r} is not an ISO date or datetime (e.g. 2026-10-01 or 2026-10-01T06:00)"
            ) from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone(tz))
    return parsed.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Window:
    """``[since, until)`` in UTC; ``None`` on a side means open on that side."""

    since: datetime | None = None
    until: datetime | None = None

    def __post_init__(self) -> None:
        since, until = parse_when(self.since), parse_when(self.until)
        object.__setattr__(self, "since", since)
        object.__setattr__(self, "until", until)
        if since is not None and until is not None and until <= since:
            raise ValueError(
                f"empty window: until ({until.isoformat()}) must be after since "
                f"({since.isoformat()})"
            )

    @classmethod
    def parse(cls, since: When, until: When, tz: str | tzinfo = "UTC") -> Window:
        """From user input (ISO strings, dates or datetimes); naive times are in ``tz``."""
        return cls(parse_when(since, tz), parse_when(until, tz))

    @classmethod
    def last_day(cls, since: When, until: When, now: datetime, tz: str | tzinfo = "UTC") -> Window:
        """Closed on both sides: the 24 hours before ``until`` (default ``now``) unless ``since``
        says otherwise. What an API source searches when the user gives no window."""
        end = parse_when(until, tz) or now.astimezone(UTC).replace(microsecond=0)
        start = parse_when(since, tz) or end - timedelta(days=1)
        return cls(start, end)

    @property
    def is_open(self) -> bool:
        """Whether either side is open ("everything there is")."""
        return self.since is None or self.until is None

    def to_dict(self) -> dict[str, str | None]:
        """ISO strings: what a window looks like in an Airflow XCom or a JSON summary."""
        return {
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, str | None] | dict[str, str]) -> Window:
        """The inverse of :meth:`to_dict`; naive ISO strings are UTC."""
        return cls.parse(data.get("since"), data.get("until"))

    def split(self, days: int = 1) -> list[Window]:
        """Consecutive slices of at most ``days`` days (a backfill maps collection over them)."""
        if days < 1:
            raise ValueError("slice length must be at least one day")
        if self.since is None or self.until is None:
            raise ValueError("an open window cannot be cut into slices")
        slices, start = [], self.since
        while start < self.until:
            stop = min(start + timedelta(days=days), self.until)
            slices.append(Window(start, stop))
            start = stop
        return slices

    def __str__(self) -> str:
        since = self.since.isoformat() if self.since else "the beginning"
        until = self.until.isoformat() if self.until else "now"
        return f"{since} to {until}"
