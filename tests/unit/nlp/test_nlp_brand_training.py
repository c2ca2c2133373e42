"""The brand recipe's pieces: leak-free grouped splits, partial labels, augmentation,
calibration (priors and temperature) and the eval file reader for Dong-style sets."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from nlp import augment, brand_data, calibrate
from nlp.data import advocacy_eval_items
from nlp.text import CONTEXT_SEPARATOR, TARGET_MARKER, model_input
from nlp.types import AdvocacyInput


def test_near_duplicates_share_a_group_key() -> None:
    a = "RT @someone: @Apple my iPhone died again http://t.co/abc"
    b = "@apple my iphone died again!!! https://t.co/xyz"
    c = "@apple my iphone works again"
    assert brand_data.near_dup_key(a) == brand_data.near_dup_key(b)
    assert brand_data.near_dup_key(a) != brand_data.near_dup_key(c)


def test_grouped_split_never_puts_a_group_on_both_sides(shared_data: Path) -> None:
    examples = brand_data.all_brand_examples(shared_data)
    train, val = brand_data.grouped_split(examples)
    assert len(train) + len(val) == len(examples)
    assert not {e.group for e in train} & {e.group for e in val}
    share = len(val) / len(examples)
    assert 0.1 < share < 0.2
    # Deterministic: the same split every time (model cards quote scores on it).
    assert brand_data.grouped_split(examples)[1] == val
    sources = Counter(e.source for e in val)
    assert set(sources) == {
        "targeted_twitter",
        "entity_sentiment",
        "apple_crowdflower",
        "sanders",
        "complaints",
    }


def test_complaints_not_complaint_is_a_partial_label(shared_data: Path) -> None:
    rows = brand_data.complaints(shared_data)
    labels = Counter(e.label for e in rows)
    assert set(labels) == {"badvocacy", brand_data.PARTIAL_NOT_BAD}
    assert all(e.item.brand.startswith("@") for e in rows)


def test_detokenise_undoes_dong_tokenisation() -> None:
    text = "i think it ' s awesome . do n't you ?"
    assert brand_data.detokenise(text) == "i think it's awesome. do n't you?"


def test_entity_names_are_located_by_their_spellings(shared_data: Path) -> None:
    rows = brand_data.entity_sentiment(shared_data)
    marked = [model_input(e.item) for e in rows if e.source == "entity_sentiment"]
    in_text = sum(1 for m in marked if not m.startswith(f"{TARGET_MARKER} :"))
    from nlp.brand_data import _rows

    raw = _rows(shared_data / "entity_sentiment" / "entity_sentiment.csv")
    by_name = sum(1 for r in raw if r["entity"].lower() in r["text"].lower())
    # The usual spellings ("ps5", "home depot") find far more targets than the entity's name.
    assert in_text > 1.3 * by_name and in_text / len(marked) > 0.5


def test_partial_label_loss_is_cross_entropy_for_full_labels() -> None:
    torch = pytest.importorskip("torch")
    from nlp.train import label_mask, partial_label_loss

    labels = ["advocacy", "badvocacy", "none"]
    logits = torch.tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 0.3]])
    ys = ["advocacy", "none"]
    weight = torch.ones(2)
    ours = partial_label_loss(logits, label_mask(ys, labels), weight)
    ce = torch.nn.functional.cross_entropy(logits, torch.tensor([0, 2]))
    assert torch.isclose(ours, ce)
    # A partial label is satisfied by mass on either allowed class, never on badvocacy.
    partial = label_mask(["advocacy|none"], labels)
    good = partial_label_loss(torch.tensor([[0.0, -5.0, 3.0]]), partial, torch.ones(1))
    bad = partial_label_loss(torch.tensor([[0.0, 3.0, -5.0]]), partial, torch.ones(1))
    assert good < 0.1 < bad


def test_resolve_device() -> None:
    torch = pytest.importorskip("torch")
    from grapevine.core.errors import InputError
    from nlp.train import resolve_device

    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(InputError, match="unknown device"):
        resolve_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(InputError, match="no CUDA GPU"):
            resolve_device("cuda")


def test_fit_bias_recovers_a_prior_shift() -> None:
    rng = np.random.default_rng(0)
    gold = rng.choice(3, size=3000, p=[0.15, 0.6, 0.25])
    logits = rng.normal(size=(3000, 3))
    logits[np.arange(3000), gold] += 2.0
    logits[:, 1] -= 1.5  # a model trained where class 1 was rare under-predicts it
    bias = calibrate.fit_bias(logits, gold, ["a"] * 1500 + ["b"] * 1500, fixed=2)
    before = calibrate.macro_f1(gold, logits.argmax(1), 3)
    after = calibrate.macro_f1(gold, (logits + bias).argmax(1), 3)
    assert bias[2] == 0.0 and bias[1] > 0.8
    assert after > before + 0.03


def test_temperature_scaling_reduces_calibration_error() -> None:
    rng = np.random.default_rng(1)
    gold = rng.choice(3, size=4000)
    logits = rng.normal(size=(4000, 3))
    logits[np.arange(4000), gold] += 1.0
    overconfident = logits * 4.0
    t = calibrate.fit_temperature(overconfident, gold)
    assert 3.0 < t < 5.5
    ece_before = calibrate.expected_calibration_error(calibrate.softmax(overconfident), gold)
    ece_after = calibrate.expected_calibration_error(calibrate.apply(overconfident, None, t), gold)
    assert ece_after < ece_before / 2
    # Temperature never changes a label.
    assert (calibrate.apply(overconfident, None, t).argmax(1) == overconfident.argmax(1)).all()


def test_augmentation_is_deterministic_and_balanced() -> None:
    x1, y1 = augment.augmented(seed=3, per_template=2, replies=200)
    x2, y2 = augment.augmented(seed=3, per_template=2, replies=200)
    assert (x1, y1) == (x2, y2)
    counts = Counter(y1)
    assert min(counts.values()) > 0.2 * len(y1)
    replies = [x for x in x1 if x.context is not None]
    assert len(replies) == 200
    text = model_input(replies[0])
    assert text.startswith(f"{TARGET_MARKER} :") and CONTEXT_SEPARATOR in text
    # The brand name never reaches the model: it is marked in the parent.
    assert replies[0].brand.lower() not in text.lower()


def test_reply_input_keeps_the_reply_first() -> None:
    item = AdvocacyInput(
        "don't, they never refund", "Volta Bikes", context="Thinking of a Volta Bikes ebike"
    )
    assert model_input(item) == (
        f"{TARGET_MARKER} : don't, they never refund {CONTEXT_SEPARATOR} "
        f"Thinking of a {TARGET_MARKER} ebike"
    )


def test_eval_reads_dong_style_files() -> None:
    texts = ["i love $T$ . it ' s great .", "$T$ is down again , ugh .", "what is $T$ ?"]
    items, gold = advocacy_eval_items(texts, ["google", "xbox", "bing"], ["positive", "-1", "0"])
    assert gold == ["advocacy", "badvocacy", "none"]
    assert items[0].text == "i love google. it's great."
    assert all("$T$" not in i.text for i in items)
    # Labels outside both vocabularies pass through, so check_labels can name them.
    assert advocacy_eval_items(["x"], ["y"], ["maybe"])[1] == ["maybe"]
