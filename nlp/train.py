"""Fine-tuning of the shipped models (``grapevine train sentiment|advocacy``).

Designed for 2 CPU cores: a 4-layer MiniLM, frozen word embeddings, dynamic padding with
length-bucketed batches, a time budget that shortens the learning-rate schedule instead of
cutting training off mid-schedule, and a fixed seed. Writes a model folder (config, float16
weights, ``train_metrics.json``) that ``load_model`` reads.
"""

from __future__ import annotations

import json
import logging
import math
import random
import shlex
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from nlp import data
from nlp.metrics import classification_report
from nlp.model import ModelConfig, StanceNet, encode, load_tokenizer, pad, save_model
from nlp.text import model_input, normalise
from nlp.types import AdvocacyInput

log = logging.getLogger(__name__)


@dataclass
class TrainOptions:
    """Hyper-parameters; all of them are recorded in the model's ``config.json``."""

    task: str
    data_dir: Path
    out_dir: Path
    epochs: float = 1.0
    seed: int = 13
    lr: float = 1e-4
    batch_size: int = 32
    max_len: int = 64
    n_layers: int = 4
    limit: int | None = None
    max_minutes: float | None = None
    threads: int = 2
    class_weight_power: float = 0.5
    warmup: float = 0.06
    synthetic_per_template: int = 8
    init_from: Path | None = None


def seed_everything(seed: int) -> None:
    """Same seed, same data order, same initial head: reproducible runs on the same machine."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def training_examples(
    opts: TrainOptions,
) -> tuple[list[str], list[str], list[str], list[str], list[str]]:
    """(train texts, train labels, val texts, val labels, label set), already model-ready."""
    if opts.task == "sentiment":
        tx, ty = data.tweeteval_train(opts.data_dir)
        vx, vy = data.tweeteval_val(opts.data_dir)
        return (
            [normalise(t) for t in tx],
            ty,
            [normalise(t) for t in vx],
            vy,
            list(data.SENTIMENT_LABELS),
        )
    # Advocacy: SemEval topics (minus tweets of TweetEval's validation split, see the data
    # README) + SXSW brand emotion + synthetic comparatives; validate on brand_emotion/val.
    val_keys = {data.loose_key(t) for t in data.tweeteval_val(opts.data_dir)[0]}
    sx, sy = data.semeval_topic(opts.data_dir, ("train", "val"), exclude=val_keys)
    bx, by = data.brand_emotion(opts.data_dir, "train")
    cx, cy = data.synthetic_comparative(opts.synthetic_per_template, opts.seed)
    val_inputs, val_labels = data.brand_emotion(opts.data_dir, "val")
    inputs = sx + bx + cx
    return (
        [_adv(i) for i in inputs],
        sy + by + cy,
        [_adv(i) for i in val_inputs],
        val_labels,
        list(data.ADVOCACY_LABELS),
    )


def _adv(item: AdvocacyInput) -> str:
    return model_input(item)


def bucketed_batches(
    lengths: Sequence[int], batch_size: int, rng: random.Random
) -> list[list[int]]:
    """Shuffled batches of similar length: little padding, still random across the epoch."""
    idx = list(range(len(lengths)))
    rng.shuffle(idx)
    chunk = batch_size * 50
    batches: list[list[int]] = []
    for s in range(0, len(idx), chunk):
        part = sorted(idx[s : s + chunk], key=lambda i: lengths[i])
        batches.extend(part[j : j + batch_size] for j in range(0, len(part), batch_size))
    rng.shuffle(batches)
    return batches


@torch.inference_mode()
def predict_ids(model: StanceNet, ids: Sequence[list[int]], batch_size: int = 128) -> np.ndarray:
    """Class probabilities for pre-encoded inputs, in input order (length-sorted internally)."""
    model.eval()
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    out = np.zeros((len(ids), model.head.out_features), dtype=np.float32)
    for s in range(0, len(order), batch_size):
        sel = order[s : s + batch_size]
        x, m = pad([ids[i] for i in sel])
        out[sel] = torch.softmax(model(x, m), dim=-1).numpy()
    return out


def train(opts: TrainOptions) -> dict[str, object]:
    """Train one model and write it to ``opts.out_dir``; return its validation metrics."""
    torch.set_num_threads(opts.threads)
    seed_everything(opts.seed)
    rng = random.Random(opts.seed)
    tx, ty, vx, vy, labels = training_examples(opts)
    if opts.limit and opts.limit < len(tx):
        keep = sorted(rng.sample(range(len(tx)), opts.limit))
        tx, ty = [tx[i] for i in keep], [ty[i] for i in keep]
    log.info("task=%s train=%d val=%d labels=%s", opts.task, len(tx), len(vx), Counter(ty))

    cfg = ModelConfig(
        task=opts.task,
        labels=labels,
        name=f"minilm{opts.n_layers}-{'adv' if opts.task == 'advocacy' else 'sent'}",
        n_layers=opts.n_layers,
        max_len=opts.max_len,
        targeted=opts.task == "advocacy",
    )
    tok = load_tokenizer()
    train_ids = encode(tok, tx, opts.max_len, targeted=cfg.targeted)
    val_ids = encode(tok, vx, opts.max_len, targeted=cfg.targeted)
    y = torch.tensor([labels.index(label) for label in ty])

    model = StanceNet(cfg)
    if opts.init_from is not None:
        # Continue from a trained folder (e.g. a second, shorter stage with more synthetic data).
        from safetensors.torch import load_file

        state = load_file(str(opts.init_from / "weights.safetensors"))
        model.load_state_dict({k: v.float() for k, v in state.items()}, strict=False)
        log.info("initialised from %s", opts.init_from)
    counts = Counter(ty)
    weights = torch.tensor(
        [(len(ty) / (len(labels) * counts[lab])) ** opts.class_weight_power for lab in labels]
    )
    loss_fn = nn.CrossEntropyLoss(weight=weights.float())
    params = [p for p in model.parameters() if p.requires_grad]
    optim = torch.optim.AdamW(params, lr=opts.lr, weight_decay=0.01)

    steps_per_epoch = math.ceil(len(tx) / opts.batch_size)
    total = max(1, int(steps_per_epoch * opts.epochs))
    warmup = max(1, int(total * opts.warmup))
    schedule = {"total": total}
    planned = total

    def lr_at(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (schedule["total"] - step) / max(1, schedule["total"] - warmup))

    sched = torch.optim.lr_scheduler.LambdaLR(optim, lr_at)
    lengths = [len(i) for i in train_ids]
    step, seen, started = 0, 0, time.perf_counter()
    done = False
    while not done:
        for batch in bucketed_batches(lengths, opts.batch_size, rng):
            model.train()
            x, m = pad([train_ids[i] for i in batch])
            loss = loss_fn(model(x, m), y[batch])
            optim.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optim.step()
            sched.step()
            step += 1
            seen += len(batch)
            elapsed = time.perf_counter() - started
            if opts.max_minutes and step >= 20 and step % 10 == 0:
                # Fit the schedule to the time budget at the speed measured so far (the
                # machine is shared, so it changes), so the learning rate still decays to 0.
                affordable = int(opts.max_minutes * 60 / (elapsed / step))
                schedule["total"] = max(min(affordable, planned), warmup + 1, step + 1)
            if step % 50 == 0:
                log.info(
                    "step %d/%d loss %.4f %.1f texts/s elapsed %.1f min",
                    step,
                    schedule["total"],
                    loss.item(),
                    seen / elapsed,
                    elapsed / 60,
                )
            if step >= schedule["total"]:
                done = True
                break

    train_minutes = (time.perf_counter() - started) / 60
    probs = predict_ids(model, val_ids)
    pred = [labels[i] for i in probs.argmax(1)]
    report = classification_report(vy, pred, labels)
    version_hash = save_model(model, cfg, opts.out_dir)
    cfg.train = {
        "command": " ".join(shlex.quote(a) for a in sys.argv),
        "data_dir": str(opts.data_dir),
        "train_examples": len(tx),
        "label_counts": dict(Counter(ty)),
        "steps": step,
        "examples_seen": seen,
        "epochs_done": round(seen / len(tx), 3),
        "minutes": round(train_minutes, 1),
        "hyper_parameters": {
            k: (str(v) if isinstance(v, Path) else v)
            for k, v in vars(opts).items()
            if k not in {"task", "data_dir", "out_dir"}
        },
        "validation": {k: report[k] for k in ("accuracy", "macro_recall", "macro_f1")},
        "weights_sha256_8": version_hash,
    }
    cfg.save(opts.out_dir)
    (opts.out_dir / "train_metrics.json").write_text(
        json.dumps(report, indent=2) + "\n", encoding="utf-8"
    )
    log.info("saved %s (%s): val %s", opts.out_dir, version_hash, cfg.train["validation"])
    return report
