"""One exception hierarchy for Grapevine.

Every error carries a message that says what was wrong *and what to do about it*, so the CLI
can print it as is and exit non-zero without a traceback.
"""

from __future__ import annotations


class GrapevineError(Exception):
    """Base class of every error Grapevine raises on purpose."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class ConfigError(GrapevineError):
    """A setting is missing or invalid."""


class MissingCredentialsError(ConfigError):
    """A source cannot run because its credentials are not configured; other sources still run."""


class WatchlistError(ConfigError):
    """``brands.yaml`` cannot be read or is invalid."""


class QuerySyntaxError(WatchlistError):
    """A brand's boolean query does not parse."""

    def __init__(self, message: str, *, query: str, position: int) -> None:
        pointer = " " * position + "^"
        super().__init__(
            f"{message} at position {position}:\n  {query}\n  {pointer}",
            hint='queries use AND, OR, NOT, parentheses and "quoted phrases"',
        )
        self.query = query
        self.position = position


class InputError(GrapevineError):
    """One input record is malformed. Callers send it to quarantine and go on."""


class WarehouseError(GrapevineError):
    """The warehouse cannot be reached, migrated or written."""


class EmbeddedPostgresError(WarehouseError):
    """The embedded PostgreSQL could not be started."""


class CollectorError(GrapevineError):
    """A source failed in a way that stops that source (not the others)."""


class ModelError(GrapevineError):
    """A model cannot be loaded or run."""
