"""Distil the outcome embedder: a 3-layer student of the wheel's 6-layer all-MiniLM-L6-v2.

Why. Outcome assignment embeds every new post, and the 6-layer encoder was most of the
outcomes stage (about 300 posts/s on 2 cores against the 500 asked for, #14) and a third of a
100k-post night (#16). Cutting the encoder to its first layers without training costs a lot
(labelled fixture NMI 0.80 -> 0.68 with 4 layers, 0.63 with 3), so the student is *trained* to
give the teacher's vectors:

- **student**: 3 of the teacher's 6 layers (``--keep``, default 0,3,5: of the six starts
  measured, the one nearest the teacher before training, held-out cosine 0.67 against 0.31 for
  the first three layers and 0.38 for 0,2,4), the wheel's word/position embeddings frozen and
  shared, so only the layers are trained and shipped (float16, about 10 MB);
- **data**: unlabelled post texts from the *training* splits in ``../shared/data`` (TweetEval
  train, SemEval topic train, entity sentiment, Dong et al. train, brand-emotion train, Apple
  CrowdFlower, Sanders), normalised and handle-masked as the outcomes stage does. No labels are
  used; every text of ``brand_tweets/complaints.csv`` (which scores the embedders, ``grapevine
  eval outcomes``) and of every validation/test split is removed, also where a training split
  repeats it;
- **loss**: 1 - cosine(student, teacher) of the pooled, normalised vectors, plus the mean
  squared error between the student's and the teacher's in-batch cosine-similarity matrices
  (what clustering reads: who is near whom);
- the teacher's vectors are computed once (ONNX, about 5 minutes for 90k texts on 2 cores) and
  cached as float16 under ``--cache`` (git-ignored), so a stopped run resumes cheaply.

Run (CPU, about 40 minutes on 2 cores; ``--device cuda`` on a GPU)::

    python -m nlp.distil_embed --out nlp/models/minilm3-embed

The folder it writes is a shipped embedder folder (``nlp.embed``): ``config.json`` (with the
training record), ``weights.safetensors`` (the student's layers) and ``graph.onnx``.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import logging
import math
import random
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nlp.data import DEFAULT_DATA_DIR, tweeteval_train

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CACHE = ROOT / ".cache" / "distil"
DEFAULT_KEEP = (0, 3, 5)
LAYERS_FILE = "weights.safetensors"


def _csv_texts(path: Path, column: str = "text") -> list[str]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [row[column] for row in csv.DictReader(fh)]


def held_out_texts(data_dir: Path) -> list[str]:
    """Texts that score models: every validation and test split, and the complaints file that
    scores the embedders (``grapevine eval outcomes``). The sources overlap (TweetEval's
    training split holds most of SemEval's topic test tweets), so these are removed from the
    corpus by text, not only left unread."""
    out = (
        (data_dir / "tweeteval" / "sentiment" / "val_text.txt")
        .read_text(encoding="utf-8")
        .splitlines()
    )
    for split in ("val", "test"):
        out += _csv_texts(data_dir / "semeval_topic" / f"{split}.csv")
        out += _csv_texts(data_dir / "brand_emotion" / f"{split}.csv")
    out += _csv_texts(data_dir / "brand_tweets" / "complaints.csv")
    return out


def corpus(data_dir: Path) -> list[str]:
    """The distillation texts: training splits only, normalised, handle-masked, de-duplicated,
    without any text of :func:`held_out_texts`."""
    from nlp.brand_data import detokenise
    from nlp.outcomes import mask_brands
    from nlp.text import normalise

    def clean(text: str) -> str:
        return normalise(mask_brands(text, []))

    texts = list(tweeteval_train(data_dir)[0])
    texts += _csv_texts(data_dir / "semeval_topic" / "train.csv")
    texts += _csv_texts(data_dir / "entity_sentiment" / "entity_sentiment.csv")
    texts += [detokenise(t) for t in _csv_texts(data_dir / "targeted_twitter" / "train.csv")]
    texts += _csv_texts(data_dir / "brand_emotion" / "train.csv")
    texts += _csv_texts(data_dir / "brand_tweets" / "apple_crowdflower.csv")
    texts += _csv_texts(data_dir / "brand_tweets" / "sanders.csv")
    held_out = {clean(t) for t in held_out_texts(data_dir)}
    seen: dict[str, None] = {}
    for text in texts:
        cleaned = clean(text)
        if len(cleaned) >= 8 and cleaned not in held_out:
            seen.setdefault(cleaned, None)
    return list(seen)


def teacher_vectors(texts: Sequence[str], cache: Path) -> np.ndarray:
    """The shipped 6-layer embedder's vectors of ``texts`` (float16), cached by content."""
    from nlp.embed import FULL_FOLDER, EmbedConfig, OnnxEmbedder

    teacher = EmbedConfig.load(FULL_FOLDER).weights_sha256
    digest = hashlib.sha256("\n".join([teacher, *texts]).encode()).hexdigest()[:16]
    path = cache / f"teacher-{digest}.npy"
    if path.exists():
        cached: np.ndarray = np.load(path)
        return cached
    embedder = OnnxEmbedder(FULL_FOLDER)
    started = time.perf_counter()
    done = [0]

    def progress(n: int) -> None:
        done[0] += n
        if done[0] % 10_000 < n:
            elapsed = time.perf_counter() - started
            log.info("teacher: %d/%d texts, %.0f s", done[0], len(texts), elapsed)

    vectors = embedder.encode(list(texts), progress=progress).astype(np.float16)
    cache.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def student_model(keep: Sequence[int]) -> Any:
    """A BertModel with the teacher's layers ``keep`` (in order) and its frozen embeddings."""
    from safetensors.torch import load_file
    from transformers import BertConfig, BertModel

    from nlp.embed import base_weights
    from nlp.model_files import base_model_dir

    cfg = BertConfig.from_pretrained(base_model_dir(), num_hidden_layers=len(keep))
    model = BertModel(cfg, add_pooling_layer=False)
    teacher = load_file(str(base_weights()))
    state: dict[str, Any] = {}
    for name, tensor in teacher.items():
        if name.startswith("embeddings."):
            state[name] = tensor
        elif name.startswith("encoder.layer."):
            index = int(name.split(".")[2])
            if index in keep:
                rest = name.split(".", 3)[3]
                state[f"encoder.layer.{list(keep).index(index)}.{rest}"] = tensor
    missing, _ = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.endswith("position_ids")]
    if missing:
        raise RuntimeError(f"student lacks {missing[:3]}")
    for p in model.embeddings.parameters():
        p.requires_grad_(False)
    return model


def pooled(model: Any, ids: Any, mask: Any) -> Any:
    """Mean of the token vectors under the mask, L2-normalised (sentence-transformers')."""
    import torch

    out = model(input_ids=ids, attention_mask=mask).last_hidden_state
    w = mask.unsqueeze(-1).to(out.dtype)
    return torch.nn.functional.normalize((out * w).sum(1) / w.sum(1).clamp(min=1e-9), dim=1)


def batches(lengths: Sequence[int], size: int, rng: random.Random) -> list[list[int]]:
    """Batches of similar length (little padding), in random order."""
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], rng.random()))
    out = [order[s : s + size] for s in range(0, len(order), size)]
    rng.shuffle(out)
    return out


def agreement(model: Any, ids: Sequence[list[int]], target: np.ndarray, device: Any) -> float:
    """Mean cosine between the student's and the teacher's vectors of held-out texts."""
    import torch

    from nlp.model_files import pad_ids

    model.eval()
    sims = []
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    with torch.inference_mode():
        for s in range(0, len(order), 256):
            sel = order[s : s + 256]
            x, m = (torch.from_numpy(a).to(device) for a in pad_ids([ids[i] for i in sel]))
            got = pooled(model, x, m).float().cpu().numpy()
            sims.append((got * target[sel].astype(np.float32)).sum(1))
    model.train()
    return float(np.concatenate(sims).mean())


def distil(
    out: Path,
    *,
    data_dir: Path = DEFAULT_DATA_DIR,
    cache: Path = DEFAULT_CACHE,
    keep: Sequence[int] = DEFAULT_KEEP,
    epochs: float = 1.0,
    batch_size: int = 64,
    lr: float = 2e-4,
    relation_weight: float = 1.0,
    max_minutes: float | None = None,
    threads: int | None = None,
    device_name: str = "cpu",
    seed: int = 13,
    hf_folder: bool = False,
) -> dict[str, Any]:
    """Train the student and write its folder; return the training record."""
    import torch

    from nlp.model_files import encode, load_tokenizer, pad_ids

    if threads:
        torch.set_num_threads(threads)
    torch.manual_seed(seed)
    rng = random.Random(seed)
    device = torch.device(device_name)
    texts = corpus(data_dir)
    log.info("%d distinct training texts", len(texts))
    target = teacher_vectors(texts, cache)
    ids = encode(load_tokenizer(), texts, 128, targeted=False)
    heldout = [i for i in range(len(texts)) if i % 50 == 0]  # 2 % to watch agreement on
    train_rows = [i for i in range(len(texts)) if i % 50 != 0]
    h_ids, h_target = [ids[i] for i in heldout], target[heldout]
    model = student_model(keep).to(device).train()
    params = [p for p in model.parameters() if p.requires_grad]
    optim = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    steps_per_epoch = math.ceil(len(train_rows) / batch_size)
    total = max(1, round(steps_per_epoch * epochs))
    warm = max(1, total // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(
        optim, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm)))
    )
    start_agree = agreement(model, h_ids, h_target, device)
    log.info("student %s before training: held-out cosine %.4f", list(keep), start_agree)
    started = time.perf_counter()
    step, stopped = 0, "epochs"
    lengths = [len(ids[i]) for i in train_rows]
    while step < total:
        for batch in batches(lengths, batch_size, rng):
            rows = [train_rows[b] for b in batch]
            x, m = (torch.from_numpy(a).to(device) for a in pad_ids([ids[r] for r in rows]))
            t = torch.from_numpy(target[rows].astype(np.float32)).to(device)
            s = pooled(model, x, m)
            loss = (1 - (s * t).sum(1)).mean()
            if relation_weight:
                loss = loss + relation_weight * ((s @ s.T - t @ t.T) ** 2).mean()
            optim.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optim.step()
            sched.step()
            step += 1
            elapsed = time.perf_counter() - started
            if step % 100 == 0:
                log.info("step %d/%d loss %.4f, %.0f s", step, total, loss.item(), elapsed)
            if step >= total:
                break
            if max_minutes is not None and elapsed > max_minutes * 60:
                stopped = "time budget"
                total = step
                break
    minutes = (time.perf_counter() - started) / 60
    end_agree = agreement(model, h_ids, h_target, device)
    log.info("held-out cosine %.4f -> %.4f in %.1f min", start_agree, end_agree, minutes)
    record = {
        "recipe": "distil-v1",
        "keep_layers": list(keep),
        "texts": len(texts),
        "steps": step,
        "epochs": round(step / steps_per_epoch, 3),
        "stopped_by": stopped,
        "batch_size": batch_size,
        "lr": lr,
        "relation_weight": relation_weight,
        "seed": seed,
        "minutes": round(minutes, 1),
        "heldout_cosine_before": round(start_agree, 4),
        "heldout_cosine_after": round(end_agree, 4),
        "device": device_name,
    }
    out.mkdir(parents=True, exist_ok=True)
    model = model.cpu().eval()
    package(model, out, record, name=student_name(keep))
    if hf_folder:  # OUT/transformers, for `grapevine eval outcomes --model OUT/transformers`
        from transformers import AutoTokenizer

        from nlp.model_files import base_model_dir

        model.save_pretrained(out / "transformers")
        AutoTokenizer.from_pretrained(base_model_dir()).save_pretrained(out / "transformers")
    return record


def student_name(keep: Sequence[int]) -> str:
    """The embedder's name: its layer count, so a 4-layer student is never called minilm3."""
    return f"minilm{len(keep)}-distil"


def package(model: Any, out: Path, record: dict[str, Any], name: str) -> Path:
    """Write ``model`` (a trained student) as a shipped embedder folder: its encoder layers
    (float16) as ``weights.safetensors``, ``config.json`` with ``record``, and the graph."""
    import torch
    from safetensors.torch import save_file

    from nlp.embed import EmbedConfig
    from nlp.onnx_export import export_embedder

    out.mkdir(parents=True, exist_ok=True)
    layers = {
        k: v.detach().to(torch.float16).contiguous()
        for k, v in model.state_dict().items()
        if k.startswith("encoder.")
    }
    save_file(layers, str(out / LAYERS_FILE), metadata={"recipe": str(record.get("recipe"))})
    (out / LAYERS_FILE).chmod(0o644)
    n_layers = len({k.split(".")[2] for k in layers})
    EmbedConfig(name=name, n_layers=n_layers, layers_file=LAYERS_FILE, training=record).save(out)
    return export_embedder(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--keep", default=",".join(map(str, DEFAULT_KEEP)))
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=2e-4)
    parser.add_argument("--relation-weight", type=float, default=1.0)
    parser.add_argument("--max-minutes", type=float, default=None)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument(
        "--hf-folder", action="store_true", help="also write OUT/transformers (for transformers)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    record = distil(
        args.out,
        data_dir=args.data_dir,
        cache=args.cache,
        keep=tuple(int(k) for k in args.keep.split(",")),
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        relation_weight=args.relation_weight,
        max_minutes=args.max_minutes,
        threads=args.threads,
        device_name=args.device,
        seed=args.seed,
        hf_folder=args.hf_folder,
    )
    print(json.dumps(record, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
