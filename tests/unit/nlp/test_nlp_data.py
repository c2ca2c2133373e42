"""Training-data helpers: synthetic comparatives, batching, file reading, metrics."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from grapevine.core.errors import InputError
from nlp.data import read_table, synthetic_comparative, tweeteval_train
from nlp.metrics import classification_report
from nlp.text import OTHER_MARKER, TARGET_MARKER, advocacy_text


def test_synthetic_comparatives_come_in_mirrored_pairs() -> None:
    inputs, labels = synthetic_comparative(n_per_template=2, seed=1)
    assert len(inputs) == len(labels) and len(inputs) % 2 == 0
    for a, b in zip(inputs[::2], inputs[1::2], strict=True):
        assert a.text == b.text and a.brand != b.brand
        marked = advocacy_text(a.text, a.brand, a.start, a.end, a.other_spans)
        assert TARGET_MARKER in marked and OTHER_MARKER in marked
        assert a.brand.lower() not in marked.lower()
    assert synthetic_comparative(2, seed=1) == (inputs, labels)  # reproducible


def test_bucketed_batches_cover_every_example_once() -> None:
    pytest.importorskip("torch")
    from nlp.train import bucketed_batches

    lengths = [random.Random(i).randint(3, 60) for i in range(1000)]
    batches = bucketed_batches(lengths, 32, random.Random(0))
    flat = sorted(i for b in batches for i in b)
    assert flat == list(range(1000))
    assert all(len(b) <= 32 for b in batches)


def test_read_table_by_extension(fixtures: Path, tmp_path: Path) -> None:
    assert len(read_table(fixtures / "sentiment_eval.csv")) == 6
    assert read_table(fixtures / "sentiment_eval.tsv")[0]["label"] == "positive"
    bad = tmp_path / "x.txt"
    bad.write_text("text,label\n")
    with pytest.raises(InputError):
        read_table(bad)


def test_tweeteval_reader(fixtures: Path) -> None:
    texts, labels = tweeteval_train(fixtures / "data")
    assert len(texts) == 9 and set(labels) == {"negative", "neutral", "positive"}


def test_metrics_count_unsupported_as_wrong() -> None:
    report = classification_report(
        ["positive", "negative", "neutral", "neutral"],
        ["positive", "unsupported", "neutral", "positive"],
        ("negative", "neutral", "positive"),
    )
    assert report["accuracy"] == 0.5
    assert report["per_class"]["negative"]["recall"] == 0.0
    assert report["macro_recall"] == pytest.approx((0 + 0.5 + 1) / 3, abs=1e-4)
