"""The embedder distillation script (``nlp.distil_embed``): its data and the folder it writes.

The training itself is measured, not re-run, here (25 minutes on 2 cores; the model card has the
command and the scores); these tests pin what a retrain relies on: the corpus never holds what
scores the embedders, a student starts from the teacher's layers, and ``package`` writes a
folder that loads without torch and computes what the trained torch model computes.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import numpy as np
import pytest

from nlp.data import DEFAULT_DATA_DIR
from nlp.outcomes import mask_brands
from nlp.text import normalise

torch = pytest.importorskip("torch")

from nlp import distil_embed  # noqa: E402
from nlp.embed import EmbedConfig, load_embedder  # noqa: E402

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "outcome_reasons.csv"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.skipif(not DEFAULT_DATA_DIR.exists(), reason="../shared/data is not beside the clone")
def test_corpus_leaves_out_what_scores_the_embedders() -> None:
    texts = distil_embed.corpus(DEFAULT_DATA_DIR)
    assert len(texts) > 50_000 and len(set(texts)) == len(texts)
    # Handles are dropped or @user; e-mail addresses stay, and so do 3 doubled "@@handle"s.
    handles = [t for t in texts if re.search(r"(?<![\w.])@(?!user\b)\w", t)]
    assert len(handles) <= 5, handles[:5]
    # Every validation/test text and every text that scores the embedders is out, even where a
    # training split repeats it (TweetEval's training split holds most SemEval topic test tweets).
    held_out = [r["text"] for r in _rows(DEFAULT_DATA_DIR / "brand_tweets" / "complaints.csv")]
    held_out += [r["text"] for r in _rows(FIXTURE)]
    held_out += (
        (DEFAULT_DATA_DIR / "tweeteval" / "sentiment" / "val_text.txt")
        .read_text(encoding="utf-8")
        .splitlines()
    )
    for split in ("val", "test"):
        held_out += [r["text"] for r in _rows(DEFAULT_DATA_DIR / "semeval_topic" / f"{split}.csv")]
        held_out += [r["text"] for r in _rows(DEFAULT_DATA_DIR / "brand_emotion" / f"{split}.csv")]
    leaked = {normalise(mask_brands(t, [])) for t in held_out} & set(texts)
    assert not leaked, sorted(leaked)[:5]


def test_student_starts_from_the_teachers_layers() -> None:
    from safetensors.torch import load_file

    from nlp.embed import base_weights

    student = distil_embed.student_model((0, 3, 5))
    teacher = load_file(str(base_weights()))
    state = student.state_dict()
    for mine, theirs in ((0, 0), (1, 3), (2, 5)):
        name = "attention.self.query.weight"
        got, want = state[f"encoder.layer.{mine}.{name}"], teacher[f"encoder.layer.{theirs}.{name}"]
        assert torch.equal(got, want)
    words = "embeddings.word_embeddings.weight"
    assert torch.equal(state[words], teacher[words])
    trainable = {n for n, p in student.named_parameters() if p.requires_grad}
    assert trainable and not any(n.startswith("embeddings.") for n in trainable)


def test_a_student_is_named_for_its_layer_count() -> None:
    from nlp.embed import DISTILLED_FOLDER

    shipped = EmbedConfig.load(DISTILLED_FOLDER)
    assert distil_embed.student_name(distil_embed.DEFAULT_KEEP) == shipped.name
    assert distil_embed.student_name((0, 2, 3, 5)) == "minilm4-distil"


def test_package_writes_a_folder_that_loads_without_torch(tmp_path: Path) -> None:
    """A (briefly nudged) student packaged into a folder: ONNX Runtime on the float16 layers
    gives the torch model's vectors, and the record lands in config.json."""
    student = distil_embed.student_model((0, 5))
    with torch.no_grad():
        for p in student.encoder.parameters():
            p.add_(0.001 * torch.randn_like(p))
    record = {"recipe": "distil-v1", "keep_layers": [0, 5], "steps": 0}
    folder = tmp_path / "student"
    distil_embed.package(student.eval(), folder, record, name="test-student")
    cfg = EmbedConfig.load(folder)
    assert (cfg.name, cfg.n_layers, cfg.layers_file) == ("test-student", 2, "weights.safetensors")
    assert cfg.training == record
    assert json.loads((folder / "config.json").read_text())["training"]["keep_layers"] == [0, 5]
    embedder = load_embedder(str(folder), int8=False)
    assert embedder.version.startswith("test-student-") and embedder.version.endswith("-onnx")
    texts = ["the charger died after a week", "support never answered my email", "love it"]
    ids = embedder.token_ids([normalise(t) for t in texts])
    from nlp.model_files import pad_ids

    x, m = (torch.from_numpy(a) for a in pad_ids(ids))
    with torch.inference_mode():
        expected = distil_embed.pooled(student.half().float(), x, m).numpy()
    assert np.abs(embedder.encode(texts) - expected).max() < 1e-4
