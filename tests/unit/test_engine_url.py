"""Database URLs in the spellings users paste all end up on the psycopg2 driver."""

from __future__ import annotations

import pytest

from grapevine.core.errors import ConfigError
from warehouse.engine import normalise_url


@pytest.mark.parametrize(
    "url",
    [
        "postgres://u:p@db.example:5433/wh",
        "postgresql://u:p@db.example:5433/wh",
        "postgresql+psycopg2://u:p@db.example:5433/wh",
        "postgresql+psycopg://u:p@db.example:5433/wh",
        "postgres://u:p@db.example:5433/wh?__extra__=%7B%7D",
    ],
)
def test_spellings_normalise_to_psycopg2(url: str) -> None:
    parsed = normalise_url(url)
    assert parsed.drivername == "postgresql+psycopg2"
    assert (parsed.host, parsed.port, parsed.database, parsed.username) == (
        "db.example",
        5433,
        "wh",
        "u",
    )
    assert "__extra__" not in parsed.query


def test_socket_urls_keep_their_host_query() -> None:
    parsed = normalise_url("postgresql://postgres:@/postgres?host=/tmp/pgdata")
    assert parsed.query["host"] == "/tmp/pgdata"


@pytest.mark.parametrize(
    ("url", "message"),
    [("mysql://u@h/db", "not PostgreSQL"), ("localhost:5432/db", "no scheme")],
)
def test_wrong_urls_explain(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        normalise_url(url)


def test_password_is_masked_in_errors() -> None:
    with pytest.raises(ConfigError) as info:
        normalise_url("sqlite://u:secret@h/db")
    assert "secret" not in str(info.value)
