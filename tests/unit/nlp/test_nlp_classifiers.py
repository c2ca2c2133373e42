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


def _same(got: list[Prediction], alone: list[Prediction]) -> None:
    """Equal up to float noise (float32 pads a batch to its longest row: ~1e-9 in the
    probabilities; int8 runs every text alone, so its batch-mates never matter)."""
    assert [(p.label, p.lang) for p in got] == [(p.label, p.lang) for p in alone]
    for a, b in zip(got, alone, strict=True):
        assert all(math.isclose(a.probs[k], b.probs[k], abs_tol=1e-6) for k in b.probs)


def test_identical_inputs_are_judged_once(sentiment, advocacy, monkeypatch) -> None:
    """A retweet storm: the same text many times is one model input, and every copy gets the
    answer it gets alone; the same text toward another brand is another input."""
    seen: list[int] = []
    for clf in (sentiment, advocacy):
        real = clf._probs
        monkeypatch.setattr(
            clf, "_probs", lambda texts, real=real: seen.append(len(texts)) or real(texts)
        )
    storm = ["RT @a: never buying from them again, broke in a week"] * 30 + ["I love it!"] * 5
    preds = sentiment.classify(storm)
    assert seen == [2]
    assert all(p == preds[0] for p in preds[:30]) and all(p == preds[30] for p in preds[30:])
    _same(preds[:30], sentiment.classify(storm[:1]) * 30)
    _same(preds[30:], sentiment.classify(["I love it!"]) * 5)
    text = "Switched from Globex to Acme, best decision ever"
    acme, globex = (text.index("Acme"), text.index("Acme") + 4), (14, 20)
    assert text[slice(*globex)] == "Globex"
    items = [AdvocacyInput(text, "Acme", *acme, (globex,))] * 4
    items += [AdvocacyInput(text, "Globex", *globex, (acme,))] * 4
    seen.clear()
    got = advocacy.classify(items)
    assert seen == [2]
    assert all(p == got[0] for p in got[:4]) and all(p == got[4] for p in got[4:])
    _same(got[:4], advocacy.classify(items[:1]) * 4)
    _same(got[4:], advocacy.classify(items[4:5]) * 4)
    assert got[0].probs != got[4].probs  # another target, another input


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


@pytest.mark.parametrize(
    "text",
    [
        "Switched from Globex to Acme Air last month, best decision ever. Globex was a nightmare.",
        "Left Globex for Acme Air in May and I'm so happy. Globex was awful to deal with.",
        "Acme Air got me home on time. Globex stranded my family for two days, disgusting.",
        "Honestly Acme Air has been brilliant since I dropped Globex, whose service is a disgrace.",
    ],
)
def test_advocacy_targeted_with_negative_clause(advocacy, text: str) -> None:
    # Written independently of nlp/augment.py's templates: the model generalised, not recalled.
    preds = advocacy.classify(_pair(text, "Acme Air", "Globex"))
    assert [p.label for p in preds] == ["advocacy", "badvocacy"]


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("@AcmeAir I am never flying with you guys again", "badvocacy"),
        ("Acme Air cancelled my flight again, thanks so much!!", "badvocacy"),
        ("@AcmeAir still no answer to my email from last week", "badvocacy"),
        ("not impressed with Acme Air at all", "badvocacy"),
        ("@AcmeAir hi! do you allow pets in the cabin? thank you", "none"),
        ("Acme Air, can you tell me whether the lounge is open in Denver? Thanks!", "none"),
        ("Acme Air crew were lovely and we landed early, thank you!", "advocacy"),
    ],
)
def test_advocacy_reads_customer_service_tweets(advocacy, text: str, label: str) -> None:
    """Never-again, sarcastic thanks, waiting, negation, polite questions, real praise."""
    (pred,) = advocacy.classify([AdvocacyInput(text, "Acme Air")])
    assert pred.label == label


@pytest.mark.xfail(
    reason="known limitation (model card): a calm 'last booking' without a complaint word is "
    "not yet read as badvocacy",
    strict=True,
)
def test_advocacy_quiet_goodbye(advocacy) -> None:
    (pred,) = advocacy.classify(
        [AdvocacyInput("This will be my final booking with Acme Air.", "Acme Air")]
    )
    assert pred.label == "badvocacy"


@pytest.mark.parametrize(
    ("reply", "parent", "label"),
    [
        (
            "ugh, mine did exactly that too",
            "My Voltera battery swelled after 3 months",
            "badvocacy",
        ),
        (
            "had mine for 2 years and it's been perfect tbh",
            "My Voltera battery swelled after 3 months, avoid",
            "advocacy",
        ),
        ("what size battery did you get?", "My Voltera battery swelled after 3 months", "none"),
    ],
)
def test_advocacy_judges_replies_with_their_parent(
    advocacy, reply: str, parent: str, label: str
) -> None:
    (pred,) = advocacy.classify([AdvocacyInput(reply, "Voltera", context=parent)])
    assert pred.label == label


def test_advocacy_probabilities_are_calibrated_and_versioned(advocacy) -> None:
    # Priors and temperature are fitted on validation and part of the version string.
    assert advocacy.cfg.temperature != 1.0 and advocacy.cfg.logit_bias is not None
    from nlp.model import weights_hash

    assert weights_hash(advocacy_folder()) not in advocacy.version


def advocacy_folder():  # the shipped folder, for the version check above
    from nlp.classifiers import DEFAULT_MODELS

    return DEFAULT_MODELS["advocacy"]


def test_advocacy_rejects_plain_strings(advocacy) -> None:
    from grapevine.core.errors import ModelError

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
    from nlp.classifiers import DEFAULT_MODELS, open_model

    texts = ["I love it!", "meh, it's fine I guess", "never again, awful service 😡"]
    reference = open_model("sentiment", DEFAULT_MODELS["sentiment"], backend="torch")
    onnx = open_model("sentiment", DEFAULT_MODELS["sentiment"], backend="onnx")
    for a, b in zip(onnx.classify(texts), reference.classify(texts), strict=True):
        assert a.label == b.label
        assert all(abs(a.probs[k] - b.probs[k]) < 1e-4 for k in a.probs)
    assert reference.version.endswith("-torch") and onnx.version.endswith("-onnx")
    assert reference.name == onnx.name == sentiment.name
