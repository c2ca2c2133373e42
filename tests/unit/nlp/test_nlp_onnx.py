"""Inference without torch: the shipped ONNX graphs, their weights hash, and parity with torch."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

from grapevine.core.errors import ModelError
from nlp import AdvocacyInput, Classifier
from nlp.classifiers import DEFAULT_MODELS, MiniLMClassifier, open_model
from nlp.model_files import GRAPH_FILE, WEIGHTS_FILE
from nlp.onnx_backend import META_WEIGHTS, UNBOUND_LOCATION, graph_metadata, graph_problem
from nlp.onnx_export import EMBED_DIRS, SHIPPED

ROOT = Path(__file__).resolve().parents[3]

POSTS = [
    "I absolutely love this, best day ever! 😍",
    "This is the worst service I have ever had, I hate it",
    "The meeting is scheduled for 3pm on Tuesday.",
    "meh, it's fine I guess &amp; the app works http://x.co/a @someone",
    "sooooo goooood!!!!! " * 30,
    "",
]
ITEMS = [
    AdvocacyInput("Acme Air is so much better than Globex", "Acme Air", 0, 8, ((32, 38),)),
    AdvocacyInput("Acme Air is so much better than Globex", "Globex", 32, 38, ((0, 8),)),
    AdvocacyInput("@AcmeAir I am never flying with you guys again", "Acme Air"),
    AdvocacyInput("Acme Air, is the lounge open in Denver? Thanks!", "Acme Air"),
    AdvocacyInput("ugh, mine did exactly that too", "Voltera", context="My Voltera swelled"),
    AdvocacyInput("no brand named here, just a long rant " * 20, "Initech"),
]

# A meta-path finder that makes torch and transformers look uninstalled and records who asked.
BLOCKER = """
import sys
class _Block:
    asked = []
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("torch", "transformers"):
            _Block.asked.append(name)
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None
sys.meta_path.insert(0, _Block())
"""


def _run_without_torch(body: str) -> dict[str, object]:
    code = BLOCKER + body + "\nprint(json.dumps(out))"
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize("task", ["sentiment", "advocacy"])
def test_onnx_predictions_equal_torch(
    task: str, sentiment: Classifier, advocacy: Classifier
) -> None:
    """The float32 graph computes what torch computes; the default int8 graph (what the
    pipeline runs) gives the same labels on these clear cases, its probabilities close."""
    pytest.importorskip("torch")
    default = sentiment if task == "sentiment" else advocacy
    items = POSTS if task == "sentiment" else ITEMS
    onnx = open_model(task, DEFAULT_MODELS[task], backend="onnx")
    reference = open_model(task, DEFAULT_MODELS[task], backend="torch")
    assert onnx.version == reference.version.removesuffix("-torch") + "-onnx"
    assert default.version == onnx.version + "-int8pc"
    exact = onnx.classify(items)
    for a, b in zip(exact, reference.classify(items), strict=True):
        assert a.label == b.label
        assert set(a.probs) == set(b.probs)
        assert all(abs(a.probs[k] - b.probs[k]) < 1e-4 for k in a.probs), (a, b)
    batched = default.classify(items)
    # int8 runs each text alone: what else is in the batch never changes its numbers.
    assert [default.classify([i])[0] for i in items] == batched
    for a, b in zip(batched, exact, strict=True):
        top, second = sorted(b.probs.values(), reverse=True)[:2]
        assert a.label == b.label or top - second < 0.1, (a, b)  # a borderline case may flip
        assert set(a.probs) == set(b.probs)
        assert all(abs(a.probs[k] - b.probs[k]) < 0.1 for k in a.probs), (a, b)


def test_classify_runs_without_torch(
    tmp_path: Path, sentiment: Classifier, advocacy: Classifier
) -> None:
    body = f"""
import json
import nlp
from pathlib import Path
from grapevine.core.errors import ModelError
from grapevine.core.settings import Settings
from nlp.classifiers import DEFAULT_MODELS, MiniLMClassifier, open_model
from nlp.onnx_export import EMBED_DIRS, SHIPPED
settings = Settings(sentiment_model="default", advocacy_model="default")
sent, adv = nlp.load_sentiment(settings), nlp.load_advocacy(settings)
items = [nlp.AdvocacyInput(**i) for i in {[asdict(i) for i in ITEMS]!r}]
out = {{
    "versions": [sent.version, adv.version],
    "sentiment": [[p.label, p.probs] for p in sent.classify({POSTS!r})],
    "advocacy": [[p.label, p.probs] for p in adv.classify(items)],
}}
joint = nlp.load_joint(settings)
out["joint"] = [[a.label, s.label] for a, s in joint.classify_joint(items)]
fp32 = open_model("sentiment", DEFAULT_MODELS["sentiment"], backend="onnx",
                  cache_dir=Path({str(tmp_path)!r}))
out["float32"] = [fp32.version, [p.label for p in fp32.classify({POSTS!r})]]
try:
    open_model("sentiment", DEFAULT_MODELS["sentiment"], backend="torch")
    out["torch_backend"] = "loaded"
except ModelError as exc:
    out["torch_backend"] = str(exc)
out["torch_loaded"] = "torch" in sys.modules or any(m.startswith("torch.") for m in sys.modules)
out["transformers_loaded"] = "transformers" in sys.modules
out["asked"] = _Block.asked
"""
    out = _run_without_torch(body)
    assert out["torch_loaded"] is False and out["transformers_loaded"] is False
    assert out["asked"] == ["torch"]  # only by the explicit torch backend, which then fails
    assert "needs torch" in str(out["torch_backend"])
    assert "grapevine[train]" in str(out["torch_backend"])
    assert out["versions"] == [sentiment.version, advocacy.version]
    here = {"sentiment": sentiment.classify(POSTS), "advocacy": advocacy.classify(ITEMS)}
    for task, preds in here.items():
        there = out[task]
        assert isinstance(there, list)
        assert [p.label for p in preds] == [label for label, _ in there]
        for p, (_, probs) in zip(preds, there, strict=True):
            assert all(abs(p.probs[k] - probs[k]) < 1e-6 for k in p.probs)
    # The default is one joint model: both labels from one pass, also without torch.
    joint = out["joint"]
    assert isinstance(joint, list)
    assert [a for a, _ in joint] == [p.label for p in here["advocacy"]]
    assert {s for _, s in joint} <= {"negative", "neutral", "positive", "unsupported"}
    fp32 = out["float32"]
    assert isinstance(fp32, list)
    assert sentiment.version.endswith("-onnx-int8pc")  # the default, quantised without torch
    assert fp32[0] == sentiment.version.removesuffix("-int8pc")
    assert len(fp32[1]) == len(POSTS)


def test_missing_graph_without_torch_is_a_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    shutil.copytree(DEFAULT_MODELS["sentiment"], folder)
    (folder / GRAPH_FILE).unlink()
    body = f"""
import json
from pathlib import Path
from grapevine.core.errors import ModelError
from nlp.classifiers import MiniLMClassifier
try:
    MiniLMClassifier(Path({str(folder)!r}), cache_dir=Path({str(tmp_path / "cache")!r}))
    out = {{"error": None}}
except ModelError as exc:
    out = {{"error": exc.message, "hint": exc.hint}}
"""
    out = _run_without_torch(body)
    assert out["error"] == f"no {GRAPH_FILE} in {folder}"
    assert "python -m nlp.onnx_export" in str(out["hint"])


@pytest.mark.parametrize("folder", SHIPPED, ids=lambda f: f.name)
def test_shipped_graph_records_its_weights_hash(folder: Path) -> None:
    sha = hashlib.sha256((folder / WEIGHTS_FILE).read_bytes()).hexdigest()
    assert graph_metadata(folder / GRAPH_FILE)[META_WEIGHTS] == sha
    assert graph_problem(folder) is None


@pytest.mark.parametrize("folder", SHIPPED, ids=lambda f: f.name)
def test_shipped_graph_carries_no_weights(folder: Path) -> None:
    import onnx

    path = folder / GRAPH_FILE
    assert path.stat().st_size < 200_000
    graph = onnx.load(str(path), load_external_data=False)
    assert [i.name for i in graph.graph.input] == ["input_ids", "attention_mask"]
    assert len(graph.graph.initializer) > 60  # embeddings, 4 layers, head, markers
    for tensor in graph.graph.initializer:
        location = {e.key: e.value for e in tensor.external_data}.get("location")
        assert location == UNBOUND_LOCATION and not tensor.raw_data, tensor.name


def _retrained_copy(tmp_path: Path) -> Path:
    """The sentiment folder with one weight changed, as after retraining, graph left as is."""
    from safetensors.numpy import load_file, save_file

    folder = tmp_path / "model"
    shutil.copytree(DEFAULT_MODELS["sentiment"], folder)
    state = load_file(str(folder / WEIGHTS_FILE))
    state["head.bias"] = state["head.bias"] + np.float16(0.5)
    save_file(state, str(folder / WEIGHTS_FILE))
    return folder


@pytest.mark.parametrize("backend", ["onnx", "onnx-int8"])
def test_stale_graph_fails_loudly(tmp_path: Path, backend: str) -> None:
    folder = _retrained_copy(tmp_path)
    with pytest.raises(ModelError, match="is stale") as info:
        MiniLMClassifier(folder, backend=backend, cache_dir=tmp_path / "cache")
    assert "python -m nlp.onnx_export" in str(info.value.hint)
    check = subprocess.run(
        [sys.executable, "-m", "nlp.onnx_export", "--check", str(folder)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert check.returncode == 1 and "is stale" in check.stderr


def test_graph_from_another_model_does_not_run(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    from nlp.model import ModelConfig, StanceNet, save_model

    other = tmp_path / "other"
    cfg = ModelConfig.load(DEFAULT_MODELS["advocacy"])
    save_model(StanceNet(cfg), cfg, other)  # same architecture, other weights
    folder = tmp_path / "model"
    shutil.copytree(DEFAULT_MODELS["sentiment"], folder)
    shutil.copy(other / GRAPH_FILE, folder / GRAPH_FILE)
    with pytest.raises(ModelError, match="stale"):
        MiniLMClassifier(folder)
    shutil.copy(EMBED_DIRS[-1] / GRAPH_FILE, folder / GRAPH_FILE)
    with pytest.raises(ModelError, match="not a graph of layout"):
        MiniLMClassifier(folder)


def test_rebuilt_graph_is_the_shipped_one(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    from nlp.onnx_export import rebuild

    for folder in SHIPPED:
        out = rebuild(folder, tmp_path / f"{folder.name}.onnx")
        assert out.read_bytes() == (folder / GRAPH_FILE).read_bytes(), folder.name


def test_saving_a_model_writes_its_graph(tmp_path: Path) -> None:
    """What ``grapevine train`` ends with: weights, config and a graph that runs them."""
    pytest.importorskip("torch")
    from nlp.model import ModelConfig, StanceNet, save_model

    cfg = ModelConfig(
        task="advocacy",
        labels=["advocacy", "badvocacy", "none"],
        name="minilm2-test",
        n_layers=2,
        targeted=True,
    )
    folder = tmp_path / "trained"
    save_model(StanceNet(cfg), cfg, folder)
    assert graph_problem(folder) is None
    onnx = MiniLMClassifier(folder, backend="onnx")
    reference = MiniLMClassifier(folder, backend="torch")
    for a, b in zip(onnx.classify(ITEMS), reference.classify(ITEMS), strict=True):
        assert a.label == b.label
        assert all(abs(a.probs[k] - b.probs[k]) < 1e-4 for k in a.probs)


def test_old_folder_without_graph_gets_one_in_the_cache(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    folder = tmp_path / "model"
    shutil.copytree(DEFAULT_MODELS["sentiment"], folder)
    (folder / GRAPH_FILE).unlink()
    clf = open_model("sentiment", folder, cache_dir=tmp_path / "cache")
    assert [p.label for p in clf.classify(POSTS[:3])] == ["positive", "negative", "neutral"]
    assert list((tmp_path / "cache").glob("*.graph.onnx"))
    assert not (folder / GRAPH_FILE).exists()


def test_tokenizer_matches_transformers() -> None:
    """The torch-free WordPiece gives the ids transformers' BertTokenizer gives."""
    from transformers import AutoTokenizer

    from nlp.model_files import base_model_dir, load_tokenizer
    from nlp.text import MARKERS, model_input, normalise

    reference = AutoTokenizer.from_pretrained(str(base_model_dir()), local_files_only=True)
    reference.add_special_tokens({"additional_special_tokens": list(MARKERS)})
    ours = load_tokenizer()
    texts = [normalise(t) for t in POSTS] + [model_input(i) for i in ITEMS]
    texts += ["[UNUSED0] x[unused0]y [unused0][unused1] [CLS] [PAD]", "naïve café 中文 ｆｕｌｌ"]
    expected = reference(texts, add_special_tokens=False, truncation=False)["input_ids"]
    assert ours.ids(texts) == expected
    assert (ours.cls_token_id, ours.sep_token_id) == (reference.cls_token_id, 102)
