"""Fine-tuning of the shipped models (``grapevine train sentiment|advocacy``).

Designed for 2 CPU cores: a 4-layer MiniLM, frozen word embeddings, dynamic padding with
length-bucketed batches, a time budget that shortens the learning-rate schedule instead of
cutting training off mid-schedule, and a fixed seed. Writes a model folder (config, float16
weights, ``train_metrics.json``) that ``load_model`` reads. ``device`` (``--device``) runs the
same steps on a CUDA GPU when one is there (``auto``) or asked for (``cuda``); the model is
saved from the CPU either way.
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

from grapevine.core.errors import InputError
from nlp import augment, brand_data, calibrate, data
from nlp.brand_data import Example
from nlp.metrics import classification_report
from nlp.model import ModelConfig, StanceNet, encode, load_tokenizer, pad, save_model
from nlp.text import TARGET_MARKER, model_input, normalise
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
    #: ``auto`` (CUDA when available, else CPU), ``cpu`` or ``cuda``.
    device: str = "auto"
    class_weight_power: float = 0.5
    warmup: float = 0.06
    synthetic_per_template: int = 8
    init_from: Path | None = None
    #: ``brand`` (default): brand-directed data + augmentation + replay of the first mix,
    #: grouped validation splits, label priors and temperature fitted on validation.
    #: ``v1``: the first model's mix (SemEval topics + brand emotion + comparatives).
    recipe: str = "brand"
    #: How many SemEval-topic / brand-emotion rows the ``brand`` recipe replays (0 = all).
    replay_semeval: int = 9000
    replay_brand_emotion: int = 3000
    augment_per_template: int = 12
    augment_replies: int = 2500
    #: ``joint`` task: how many TweetEval sentiment rows train the sentiment head (0 = all),
    #: and how many of the ``brand`` recipe's advocacy examples go with them (0 = all).
    joint_sentiment_rows: int = 30000
    joint_advocacy_rows: int = 0
    #: ``joint`` task: what the sentiment head averages, ``all`` tokens (the shipped model) or
    #: the ``post`` before the first ``[SEP]`` (a reply's own sentiment from its joint pass).
    sentiment_pooling: str = "all"


DEVICES = ("auto", "cpu", "cuda")


def resolve_device(name: str) -> torch.device:
    """The torch device for ``--device``: ``auto`` picks CUDA when torch sees a GPU."""
    if name not in DEVICES:
        raise InputError(f"unknown device {name!r}", hint="use auto, cpu or cuda")
    if name == "cuda" and not torch.cuda.is_available():
        raise InputError("--device cuda but torch sees no CUDA GPU", hint="use --device cpu")
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(name)


def seed_everything(seed: int) -> None:
    """Same seed, same data order, same initial head: reproducible runs on the same machine."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


@dataclass
class TrainingData:
    """Model-ready texts and labels; a label may be partial (``"advocacy|none"``)."""

    train_x: list[str]
    train_y: list[str]
    val_x: list[str]
    val_y: list[str]
    labels: list[str]
    #: The data set each validation example comes from, for per-set scores.
    val_sources: list[str]
    #: For a joint model: the sentiment labels (the logit columns after ``labels``).
    sentiment_labels: list[str] | None = None


def training_examples(opts: TrainOptions) -> TrainingData:
    """Training and validation examples for ``opts.task`` and ``opts.recipe``."""
    if opts.task == "sentiment":
        tx, ty = data.tweeteval_train(opts.data_dir)
        vx, vy = data.tweeteval_val(opts.data_dir)
        return TrainingData(
            [normalise(t) for t in tx],
            ty,
            [normalise(t) for t in vx],
            vy,
            list(data.SENTIMENT_LABELS),
            ["tweeteval_val"] * len(vx),
        )
    if opts.task == "joint":
        if opts.sentiment_pooling not in ("all", "post"):
            raise InputError(
                f"unknown sentiment pooling {opts.sentiment_pooling!r}", hint="use all or post"
            )
        return joint_examples(opts)
    if opts.recipe == "brand":
        tr, va = brand_recipe(opts)
        return TrainingData(
            [_adv(e.item) for e in tr],
            [e.label for e in tr],
            [_adv(e.item) for e in va],
            [e.label for e in va],
            list(data.ADVOCACY_LABELS),
            [e.source for e in va],
        )
    # Advocacy: SemEval topics (minus tweets of TweetEval's validation split, see the data
    # README) + SXSW brand emotion + synthetic comparatives; validate on brand_emotion/val.
    val_keys = {data.loose_key(t) for t in data.tweeteval_val(opts.data_dir)[0]}
    sx, sy = data.semeval_topic(opts.data_dir, ("train", "val"), exclude=val_keys)
    bx, by = data.brand_emotion(opts.data_dir, "train")
    cx, cy = data.synthetic_comparative(opts.synthetic_per_template, opts.seed)
    val_inputs, val_labels = data.brand_emotion(opts.data_dir, "val")
    inputs = sx + bx + cx
    return TrainingData(
        [_adv(i) for i in inputs],
        sy + by + cy,
        [_adv(i) for i in val_inputs],
        val_labels,
        list(data.ADVOCACY_LABELS),
        ["brand_emotion"] * len(val_inputs),
    )


def brand_recipe(opts: TrainOptions) -> tuple[list[Example], list[Example]]:
    """(train, validation) examples of the ``brand`` recipe; validation is grouped, leak-free.

    Train: the brand-directed sets' training side, programmatic examples (``nlp.augment``) and
    a replay sample of the first mix so the model keeps what it knew. Validation: the
    brand-directed sets' held-out side (``nlp.brand_data.grouped_split``) plus brand_emotion
    val; each example's ``source`` lets scores be reported per set.
    """
    rng = random.Random(opts.seed)
    train_side, val_side = brand_data.grouped_split(brand_data.all_brand_examples(opts.data_dir))
    val_groups = {e.group for e in val_side}
    val_keys = {data.loose_key(t) for t in data.tweeteval_val(opts.data_dir)[0]}
    sx, sy = data.semeval_topic(opts.data_dir, ("train", "val"), exclude=val_keys)
    replay = [
        brand_data.Example(x, y, "semeval_topic", brand_data._group(x.text))
        for x, y in zip(sx, sy, strict=True)
    ]
    replay = [e for e in replay if e.group not in val_groups]
    if opts.replay_semeval and opts.replay_semeval < len(replay):
        replay = rng.sample(replay, opts.replay_semeval)
    bx, by = data.brand_emotion(opts.data_dir, "train")
    bemo = [brand_data.Example(x, y, "brand_emotion", "") for x, y in zip(bx, by, strict=True)]
    if opts.replay_brand_emotion and opts.replay_brand_emotion < len(bemo):
        bemo = rng.sample(bemo, opts.replay_brand_emotion)
    ax, ay = augment.augmented(opts.seed, opts.augment_per_template, opts.augment_replies)
    synthetic = [brand_data.Example(x, y, "augment", "") for x, y in zip(ax, ay, strict=True)]
    vx, vy = data.brand_emotion(opts.data_dir, "val")
    val = val_side + [
        brand_data.Example(x, y, "brand_emotion", "") for x, y in zip(vx, vy, strict=True)
    ]
    return train_side + replay + bemo + synthetic, val


def joint_examples(opts: TrainOptions) -> TrainingData:
    """Advocacy (the ``brand`` recipe) and post sentiment (TweetEval) for one encoder.

    The joint model reads every post as the advocacy model does, with the brand marked, and
    gives its sentiment from the same pass. So that its sentiment head learns to read marked
    posts, half of the sentiment rows have their first ``@user`` (a tweet addressed to an
    account, as brand tweets are) replaced by the target marker. Sentiment rows in an
    advocacy validation group are left out, so no validation tweet is trained on by either
    head. Validation: the advocacy splits plus TweetEval's validation split (``tweeteval_val``).
    """
    rng = random.Random(opts.seed)
    tr, va = brand_recipe(opts)
    if opts.joint_advocacy_rows and opts.joint_advocacy_rows < len(tr):
        tr = rng.sample(tr, opts.joint_advocacy_rows)
    val_groups = {e.group for e in va if e.group}
    sx, sy = data.tweeteval_train(opts.data_dir)
    rows = [(x, y) for x, y in zip(sx, sy, strict=True) if brand_data._group(x) not in val_groups]
    if opts.joint_sentiment_rows and opts.joint_sentiment_rows < len(rows):
        rows = rng.sample(rows, opts.joint_sentiment_rows)
    sent_x = []
    for x, _ in rows:
        text = normalise(x)
        if rng.random() < 0.5 and "@user" in text:
            text = text.replace("@user", TARGET_MARKER, 1)
        sent_x.append(text)
    vx, vy = data.tweeteval_val(opts.data_dir)
    return TrainingData(
        [_adv(e.item) for e in tr] + sent_x,
        [e.label for e in tr] + [y for _, y in rows],
        [_adv(e.item) for e in va] + [normalise(t) for t in vx],
        [e.label for e in va] + vy,
        list(data.ADVOCACY_LABELS),
        [e.source for e in va] + ["tweeteval_val"] * len(vx),
        list(data.SENTIMENT_LABELS),
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
    """Raw logits for pre-encoded inputs, in input order (length-sorted internally), on the
    device the model is on."""
    model.eval()
    device = next(model.parameters()).device
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    out = np.zeros((len(ids), model.n_outputs), dtype=np.float32)
    for s in range(0, len(order), batch_size):
        sel = order[s : s + batch_size]
        x, m = pad([ids[i] for i in sel])
        out[sel] = model(x.to(device), m.to(device)).float().cpu().numpy()
    return out


def label_mask(ys: Sequence[str], labels: Sequence[str]) -> torch.Tensor:
    """Allowed labels per example (one for a full label, several for ``"advocacy|none"``)."""
    mask = torch.zeros((len(ys), len(labels)), dtype=torch.bool)
    for i, y in enumerate(ys):
        for part in y.split("|"):
            mask[i, labels.index(part)] = True
    return mask


def class_weights(ys: Sequence[str], labels: Sequence[str], power: float) -> torch.Tensor:
    """Per-example weight ``(n / (k · n_c))^power`` of its class; 1 for partial labels."""
    counts = Counter(y for y in ys if "|" not in y)
    total = sum(counts.values())
    per_class = {
        lab: (total / (len(labels) * counts[lab])) ** power if counts[lab] else 1.0
        for lab in labels
    }
    return torch.tensor([per_class.get(y, 1.0) for y in ys], dtype=torch.float32)


def partial_label_loss(
    logits: torch.Tensor,
    allowed: torch.Tensor,
    weight: torch.Tensor,
    columns: torch.Tensor | None = None,
) -> torch.Tensor:
    """Weighted −log P(label ∈ allowed): cross-entropy for full labels, and for a partial
    label ("not badvocacy") the probability mass on any allowed class.

    ``columns`` (a joint model) says which logit columns are each example's task: the softmax
    runs over those only, so an advocacy example never trains the sentiment head and back.
    """
    if columns is not None:
        logits = logits.masked_fill(~columns, float("-inf"))
    logp = torch.log_softmax(logits, dim=-1)
    ll = torch.logsumexp(logp.masked_fill(~allowed, float("-inf")), dim=-1)
    return -(weight * ll).sum() / weight.sum()


def fit_calibration(
    cfg: ModelConfig, logits: np.ndarray, gold: Sequence[str], sources: Sequence[str]
) -> None:
    """Fit label priors on the prior sets (``brand_data.PRIOR_SETS``; complaints as
    badvocacy-or-not), then the temperature on all fully labelled validation examples; store
    both in ``cfg``."""
    labels = cfg.labels
    bad = labels.index("badvocacy")
    sel = [
        i
        for i, g in enumerate(gold)
        if sources[i] in brand_data.PRIOR_SETS
        and (g in labels or sources[i] in brand_data.BAD_OR_NOT_SETS)
    ]
    y = np.array([labels.index(gold[i]) if gold[i] in labels else -1 for i in sel])
    cfg.logit_bias = calibrate.fit_bias(
        logits[sel],
        y,
        [sources[i] for i in sel],
        fixed=labels.index("none"),
        binary=dict.fromkeys(brand_data.BAD_OR_NOT_SETS, bad),
    )
    full = [i for i, g in enumerate(gold) if g in labels]
    yf = np.array([labels.index(gold[i]) for i in full])
    cfg.temperature = calibrate.fit_temperature(logits[full] + np.array(cfg.logit_bias), yf)
    log.info("label priors (logit bias) %s, temperature %.3f", cfg.logit_bias, cfg.temperature)


def scores_by_source(
    logits: np.ndarray,
    gold: Sequence[str],
    sources: Sequence[str],
    labels: Sequence[str],
    cfg: ModelConfig,
) -> dict[str, dict[str, object]]:
    """Validation scores per data set, raw and calibrated (priors + temperature).

    For partially labelled sets (complaints) the score is the accuracy of "badvocacy or not".
    """
    raw = logits.argmax(1)
    probs = calibrate.apply(logits, cfg.logit_bias, cfg.temperature)
    cal = probs.argmax(1)
    out: dict[str, dict[str, object]] = {}
    for source in sorted(set(sources)):
        idx = [i for i, s in enumerate(sources) if s == source]
        full = [i for i in idx if gold[i] in labels]
        entry: dict[str, object] = {"n": len(idx)}
        if full:
            g = [gold[i] for i in full]
            for name, pred in (("raw", raw), ("calibrated", cal)):
                rep = classification_report(g, [labels[pred[i]] for i in full], labels)
                entry[name] = {k: rep[k] for k in ("accuracy", "macro_f1")}
                entry[name]["per_class_f1"] = {  # type: ignore[index]
                    k: v["f1"] for k, v in rep["per_class"].items()
                }
            y = np.array([labels.index(gold[i]) for i in full])
            entry["ece_calibrated"] = calibrate.expected_calibration_error(probs[full], y)
        bad = labels.index("badvocacy")
        is_bad = [gold[i] == "badvocacy" for i in idx]
        if any("|" in gold[i] for i in idx):
            entry["bad_vs_not_accuracy"] = {
                name: round(
                    float(
                        np.mean([(pred[i] == bad) == b for i, b in zip(idx, is_bad, strict=True)])
                    ),
                    4,
                )
                for name, pred in (("raw", raw), ("calibrated", cal))
            }
        out[source] = entry
    return out


def train(opts: TrainOptions) -> dict[str, object]:
    """Train one model and write it to ``opts.out_dir``; return its validation metrics."""
    torch.set_num_threads(opts.threads)
    device = resolve_device(opts.device)
    seed_everything(opts.seed)
    rng = random.Random(opts.seed)
    td = training_examples(opts)
    tx, ty, vx, vy, labels = td.train_x, td.train_y, td.val_x, td.val_y, td.labels
    if opts.limit and opts.limit < len(tx):
        keep = sorted(rng.sample(range(len(tx)), opts.limit))
        tx, ty = [tx[i] for i in keep], [ty[i] for i in keep]
    log.info("task=%s train=%d val=%d labels=%s", opts.task, len(tx), len(vx), Counter(ty))

    joint = td.sentiment_labels is not None
    short = {"advocacy": "adv", "sentiment": "sent", "joint": "joint"}[opts.task]
    cfg = ModelConfig(
        task="advocacy" if joint else opts.task,
        labels=labels,
        name=f"minilm{opts.n_layers}-{short}",
        n_layers=opts.n_layers,
        max_len=opts.max_len,
        targeted=opts.task in ("advocacy", "joint"),
        sentiment_labels=td.sentiment_labels,
        sentiment_pooling=opts.sentiment_pooling if joint else "all",
    )
    columns_of = labels + (td.sentiment_labels or [])
    tok = load_tokenizer()
    train_ids = encode(tok, tx, opts.max_len, targeted=cfg.targeted)
    val_ids = encode(tok, vx, opts.max_len, targeted=cfg.targeted)
    allowed = label_mask(ty, columns_of)
    columns = task_columns(ty, labels, columns_of) if joint else None

    model = StanceNet(cfg)
    if opts.init_from is not None:
        # Continue from a trained folder (e.g. a second, shorter stage with more synthetic data).
        from safetensors.torch import load_file

        state = load_file(str(opts.init_from / "weights.safetensors"))
        model.load_state_dict({k: v.float() for k, v in state.items()}, strict=False)
        log.info("initialised from %s", opts.init_from)
    # Built (and seeded) on the CPU as before, then moved: same initial weights on any device.
    model.to(device)
    allowed = allowed.to(device)
    if joint:
        columns = columns.to(device) if columns is not None else None
        example_weight = joint_class_weights(
            ty, labels, td.sentiment_labels or [], opts.class_weight_power
        ).to(device)
    else:
        example_weight = class_weights(ty, labels, opts.class_weight_power).to(device)
    log.info("training on %s", _device_name(device))
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
            rows = torch.tensor(batch, device=device)
            loss = partial_label_loss(
                model(x.to(device), m.to(device)),
                allowed[rows],
                example_weight[rows],
                None if columns is None else columns[rows],
            )
            optim.zero_grad(set_to_none=True)
            loss.backward()  # type: ignore[no-untyped-call]
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
    logits = predict_ids(model, val_ids)
    model.to("cpu")  # saved, exported to ONNX and checked on the CPU
    sentiment_report: dict[str, object] | None = None
    if joint:
        # Score the sentiment head on TweetEval val, then go on with the advocacy columns
        # and the advocacy validation examples exactly as for an advocacy model.
        s_idx = [i for i, src in enumerate(td.val_sources) if src == "tweeteval_val"]
        a_idx = [i for i, src in enumerate(td.val_sources) if src != "tweeteval_val"]
        s_labels = td.sentiment_labels or []
        s_pred = [s_labels[j] for j in logits[s_idx, len(labels) :].argmax(1)]
        sentiment_report = classification_report([vy[i] for i in s_idx], s_pred, s_labels)
        log.info("sentiment head, TweetEval val: %s", _headline(sentiment_report))
        logits = logits[a_idx, : len(labels)]
        vy = [vy[i] for i in a_idx]
        td.val_sources = [td.val_sources[i] for i in a_idx]
    if cfg.targeted and opts.recipe == "brand":
        fit_calibration(cfg, logits, vy, td.val_sources)
    probs = calibrate.apply(logits, cfg.logit_bias, cfg.temperature)
    pred = [labels[i] for i in probs.argmax(1)]
    full = [i for i, g in enumerate(vy) if g in labels]
    report = classification_report([vy[i] for i in full], [pred[i] for i in full], labels)
    by_source = scores_by_source(logits, vy, td.val_sources, labels, cfg)
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
        "device": _device_name(device),
        "hyper_parameters": {
            k: (str(v) if isinstance(v, Path) else v)
            for k, v in vars(opts).items()
            if k not in {"task", "data_dir", "out_dir"}
        },
        "validation": _headline(report),
        "validation_by_source": by_source,
        "weights_sha256_8": version_hash,
    }
    if sentiment_report is not None:
        cfg.train["validation_sentiment_tweeteval"] = _headline(sentiment_report)
        report = {"advocacy": report, "sentiment": sentiment_report}
    cfg.save(opts.out_dir)
    (opts.out_dir / "train_metrics.json").write_text(
        json.dumps(report, indent=2) + "\n", encoding="utf-8"
    )
    log.info("saved %s (%s): val %s", opts.out_dir, version_hash, cfg.train["validation"])
    return report


def recalibrate(folder: Path, data_dir: Path) -> dict[str, object]:
    """Fit an advocacy model folder's label priors and temperature again, on the validation
    splits of the ``brand`` recipe, without retraining; rewrite its ``config.json``.

    For when the way priors are chosen changes (``brand_data.PRIOR_SETS``): the weights and
    graph stay, the model version changes (calibration is part of it). Runs the shipped
    inference path (ONNX), so it needs no GPU and about a minute.
    """
    from nlp.classifiers import MiniLMClassifier

    clf = MiniLMClassifier(folder)
    if not clf.targeted:
        raise InputError(f"{folder} is not an advocacy model", hint="only advocacy is calibrated")
    opts = TrainOptions(task="advocacy", data_dir=data_dir, out_dir=folder)
    _, val = brand_recipe(opts)
    logits = clf.raw_logits([_adv(e.item) for e in val])[:, : len(clf.labels)]
    cfg = clf.cfg
    before = {"logit_bias": cfg.logit_bias, "temperature": cfg.temperature}
    gold, sources = [e.label for e in val], [e.source for e in val]
    fit_calibration(cfg, logits, gold, sources)
    cfg.train["recalibrated"] = {
        "command": " ".join(shlex.quote(a) for a in sys.argv),
        "prior_sets": list(brand_data.PRIOR_SETS),
        "before": before,
        "validation_by_source": scores_by_source(logits, gold, sources, cfg.labels, cfg),
    }
    cfg.save(folder)
    log.info("recalibrated %s: %s -> %s", folder, before, cfg.logit_bias)
    return {"before": before, "logit_bias": cfg.logit_bias, "temperature": cfg.temperature}


def soup(folders: Sequence[Path], out_dir: Path, data_dir: Path) -> dict[str, object]:
    """Average the weights of models fine-tuned from the same start (a uniform "model soup",
    Wortsman et al., 2022), write them with their graph, and fit the calibration again.

    Two fine-tunes of one model on different samples and orders land in the same basin; their
    average is usually better than either and costs nothing at inference (same size, same
    speed). The folders must share a config (layers, labels, heads): checked here.
    """
    from safetensors.torch import load_file

    from nlp.model_files import ModelConfig

    if len(folders) < 2:
        raise InputError("a soup needs at least two model folders")
    cfgs = [ModelConfig.load(f) for f in folders]
    shape = {
        (
            c.n_layers,
            tuple(c.labels),
            tuple(c.sentiment_labels or ()),
            c.targeted,
            c.sentiment_pooling,
        )
        for c in cfgs
    }
    if len(shape) != 1:
        raise InputError(
            "the models differ in layers, labels or heads", hint="average fine-tunes of one model"
        )
    states = [load_file(str(f / "weights.safetensors")) for f in folders]
    if len({tuple(sorted(st)) for st in states}) != 1:
        raise InputError("the models' weights have different tensors", hint="same config needed")
    cfg = cfgs[-1]
    cfg.train = {
        "command": " ".join(shlex.quote(a) for a in sys.argv),
        "soup_of": [
            {
                "folder": str(f),
                "weights_sha256_8": c.train.get("weights_sha256_8"),
                "train": c.train,
            }
            for f, c in zip(folders, cfgs, strict=True)
        ],
    }
    model = StanceNet(cfg)
    averaged = {k: sum(st[k].float() for st in states) / len(states) for k in states[0]}
    _, unexpected = model.load_state_dict(averaged, strict=False)
    if unexpected:
        raise InputError(f"unexpected tensors {unexpected[:3]}")
    model.eval()
    version_hash = save_model(model, cfg, out_dir)
    cfg.train["weights_sha256_8"] = version_hash
    cfg.save(out_dir)
    result = recalibrate(out_dir, data_dir)
    scores = ModelConfig.load(out_dir).train["recalibrated"]["validation_by_source"]
    (out_dir / "train_metrics.json").write_text(
        json.dumps({"advocacy_validation_by_source": scores}, indent=2) + "\n", encoding="utf-8"
    )
    log.info("soup of %d models saved to %s (%s)", len(folders), out_dir, version_hash)
    return {"weights_sha256_8": version_hash, **result}


def _headline(report: dict[str, object]) -> dict[str, object]:
    return {k: report[k] for k in ("accuracy", "macro_recall", "macro_f1")}


def task_columns(
    ys: Sequence[str], labels: Sequence[str], columns_of: Sequence[str]
) -> torch.Tensor:
    """Per example, the logit columns of its task (a joint model): the main head's for a
    label (or partial label) of ``labels``, the sentiment head's otherwise."""
    main = torch.tensor([c in labels for c in columns_of], dtype=torch.bool)
    rows = [main if y.split("|")[0] in labels else ~main for y in ys]
    return torch.stack(rows) if rows else torch.zeros((0, len(columns_of)), dtype=torch.bool)


def joint_class_weights(
    ys: Sequence[str], labels: Sequence[str], sentiment_labels: Sequence[str], power: float
) -> torch.Tensor:
    """``class_weights`` computed within each task, so neither task's mix sets the other's."""
    is_main = [y.split("|")[0] in labels for y in ys]
    main = iter(class_weights([y for y, m in zip(ys, is_main, strict=True) if m], labels, power))
    sent = iter(
        class_weights(
            [y for y, m in zip(ys, is_main, strict=True) if not m], sentiment_labels, power
        )
    )
    return torch.stack([next(main) if m else next(sent) for m in is_main])


def _device_name(device: torch.device) -> str:
    """``cpu`` or ``cuda (<GPU name>)``: recorded with the run."""
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    return device.type
