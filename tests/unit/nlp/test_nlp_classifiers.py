"""Real inference with the shipped models (loaded once per session, offline)."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest

import nlp
from nlp import AdvocacyInput, Prediction


def _check(preds: list[Prediction], labels: tuple[str, ...], n: int) -> None:
    assert len(preds) == n
    for p in preds:
        assert p.label in labels
        assert set(p.probs) == set(labels)
        assert math.isclose(sum(p.probs.values()), 1.0, abs_tol=1e-5)
        assert max(p.probs, key=p.probs.__getitem__) == p.label


def test_import_is_light() -> None:
    code = (
        "import sys, nlp; nlp.normalise('x'); nlp.detect_language('hello'); "
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_metadata(sentiment, advocacy) -> None:
    assert sentiment.labels == ("negative", "neutral", "positive")
    assert advocacy.labels == ("advocacy", "badvocacy", "none")
    for clf in (sentiment, advocacy):
        assert clf.name and clf.version and clf.name in clf.version
        assert isinstance(clf, nlp.Classifier)


def test_sentiment_clear_cases(sentiment) -> None:
    texts = [
        "I absolutely love this, best day ever! 😍",
        "This is the worst service I have ever had, I hate it",
        "The meeting is scheduled for 3pm on Tuesday.",
    ]
    preds = sentiment.classify(texts)
    _check(preds, sentiment.labels, 3)
    assert [p.label for p in preds] == ["positive", "negative", "neutral"]
    assert all(p.lang == "en" for p in preds)


def test_sentiment_handles_junk_and_empty_batches(sentiment) -> None:
    assert sentiment.classify([]) == []
    preds = sentiment.classify(["", "\x00\x00", "😀" * 3000, "word " * 50_000, "\ud83d"])
    _check(preds, sentiment.labels, 5)


def test_non_english_is_unsupported(sentiment) -> None:
    (pred,) = sentiment.classify(["Ich hasse diesen Laden, nie wieder kaufe ich dort ein"])
    assert pred == Prediction("unsupported", {}, "de")


def test_order_is_preserved_across_length_sorting(sentiment) -> None:
    texts = [
        "I love it!",
        "I hate this so much, worst purchase ever, total garbage and a waste",
    ] * 10
    labels = [p.label for p in sentiment.classify(texts)]
    assert labels == ["positive", "negative"] * 10


def test_advocacy_clear_cases(advocacy) -> None:
    items = [
        AdvocacyInput(
            "Just bought an Acme phone and I love it, highly recommend Acme to everyone!", "Acme"
        ),
        AdvocacyInput(
            "Acme lost my bag again and support hung up on me. Avoid Acme at all costs.", "Acme"
        ),
    ]
    preds = advocacy.classify(items)
    _check(preds, advocacy.labels, 2)
    assert [p.label for p in preds] == ["advocacy", "badvocacy"]


def _pair(text: str, target: str, other: str) -> list[AdvocacyInput]:
    from nlp.text import locate_brand

    out = []
    for a, b in ((target, other), (other, target)):
        start, end = locate_brand(text, a)[0]
        out.append(AdvocacyInput(text, a, start, end, tuple(locate_brand(text, b))))
    return out


@pytest.mark.parametrize(
    "text",
    [
        "Acme Air is so much better than Globex",
        "Globex lost my bag again. Flying Acme Air from now on, they were great",
    ],
)
def test_advocacy_is_targeted(advocacy, text: str) -> None:
    preds = advocacy.classify(_pair(text, "Acme Air", "Globex"))
    _check(preds, advocacy.labels, 2)
    assert [p.label for p in preds] == ["advocacy", "badvocacy"]


@pytest.mark.xfail(
    reason="known limitation (model card): a strongly negative clause about the other brand "
    "pulls the target toward badvocacy too",
    strict=True,  # passing one day means the limitation is gone: update the card
)
def test_advocacy_targeted_with_negative_clause(advocacy) -> None:
    text = (
        "Switched from Globex to Acme Air last month, best decision ever. Globex was a nightmare."
    )
    preds = advocacy.classify(_pair(text, "Acme Air", "Globex"))
    assert [p.label for p in preds] == ["advocacy", "badvocacy"]


def test_advocacy_rejects_plain_strings(advocacy) -> None:
    from grapevine.errors import ModelError

    with pytest.raises(ModelError):
        advocacy.classify(["not an AdvocacyInput"])


def test_foreign_label_mapping() -> None:
    from nlp.classifiers import map_labels

    assert map_labels({0: "negative", 1: "neutral", 2: "positive"}, "advocacy") == [
        "badvocacy",
        "none",
        "advocacy",
    ]
    assert map_labels({0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"}, "sentiment") == [
        "negative",
        "neutral",
        "positive",
    ]
    assert map_labels({0: "NEGATIVE", 1: "POSITIVE"}, "sentiment") == ["negative", "positive"]


def test_onnx_backend_matches_torch_float32(sentiment) -> None:
    from nlp.classifiers import DEFAULT_MODELS, MiniLMClassifier

    texts = ["I love it!", "meh, it's fine I guess", "never again, awful service 😡"]
    reference = MiniLMClassifier(DEFAULT_MODELS["sentiment"], backend="torch")
    onnx = MiniLMClassifier(DEFAULT_MODELS["sentiment"], backend="onnx")
    for a, b in zip(onnx.classify(texts), reference.classify(texts), strict=True):
        assert a.label == b.label
        assert all(abs(a.probs[k] - b.probs[k]) < 1e-4 for k in a.probs)
    assert reference.version.endswith("-torch") and onnx.version.endswith("-onnx")
    assert reference.name == onnx.name == sentiment.name
