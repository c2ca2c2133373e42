"""Shared fixtures: the shipped models are loaded once per test session (a few seconds)."""

from __future__ import annotations

from pathlib import Path

import pytest

from grapevine.core.settings import Settings

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings(sentiment_model="default", advocacy_model="default", classify_batch_size=16)


@pytest.fixture(scope="session")
def sentiment(settings: Settings):
    import nlp

    return nlp.load_sentiment(settings)


@pytest.fixture(scope="session")
def advocacy(settings: Settings):
    import nlp

    return nlp.load_advocacy(settings)


@pytest.fixture(scope="session")
def fixtures() -> Path:
    return FIXTURES
