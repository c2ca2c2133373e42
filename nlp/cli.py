"""Typer apps for ``grapevine eval …`` and ``grapevine train …`` (mounted by ``grapevine.cli``).

Also runnable on its own: ``python -m nlp.cli eval sentiment FILE`` /
``python -m nlp.cli train sentiment``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from nlp.data import DEFAULT_DATA_DIR

if TYPE_CHECKING:
    from nlp.embed import SentenceEmbedder

MODELS_DIR = Path(__file__).resolve().parent / "models"

train_app = typer.Typer(
    help="Fine-tune the shipped models on the shared training data.", no_args_is_help=True
)
eval_app = typer.Typer(
    help="Evaluate a model (and the baselines) on a labelled CSV/TSV.", no_args_is_help=True
)

DataDir = Annotated[Path, typer.Option("--data-dir", help="Shared data folder (see its README).")]
Epochs = Annotated[float, typer.Option(help="Passes over the training data (fractions allowed).")]
Seed = Annotated[int, typer.Option(help="Random seed (data order, head initialisation).")]
Lr = Annotated[float, typer.Option("--lr", help="Peak learning rate (linear warm-up and decay).")]
BatchSize = Annotated[int, typer.Option(help="Training batch size.")]
MaxLen = Annotated[int, typer.Option(help="Maximum tokens per input.")]
Layers = Annotated[int, typer.Option(help="Encoder layers kept from the 6-layer MiniLM.")]
Limit = Annotated[int | None, typer.Option(help="Train on a random subset of this many examples.")]
MaxMinutes = Annotated[
    float | None, typer.Option(help="Time budget; the schedule is shortened to fit.")
]
Threads = Annotated[int, typer.Option(help="torch CPU threads.")]
Device = Annotated[
    str,
    typer.Option(
        "--device",
        help="auto (a CUDA GPU when torch sees one, else the CPU), cpu or cuda.",
    ),
]


def _train(task: str, out: Path | None, **kwargs: object) -> None:
    from nlp.train import TrainOptions, train

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    out_dir = out or MODELS_DIR / f"minilm4-{task}"
    report: dict[str, Any] = train(TrainOptions(task=task, out_dir=out_dir, **kwargs))  # type: ignore[arg-type]
    heads = {k: v for k, v in report.items() if k in ("advocacy", "sentiment")} or {task: report}
    keys = ("accuracy", "macro_recall", "macro_f1")
    typer.echo(json.dumps({h: {k: r[k] for k in keys} for h, r in heads.items()}))


@train_app.command("sentiment")
def train_sentiment(
    data_dir: DataDir = DEFAULT_DATA_DIR,
    out: Annotated[Path | None, typer.Option(help="Model folder to write.")] = None,
    epochs: Epochs = 2.0,
    seed: Seed = 13,
    lr: Lr = 1e-4,
    batch_size: BatchSize = 32,
    max_len: MaxLen = 64,
    n_layers: Layers = 4,
    limit: Limit = None,
    max_minutes: MaxMinutes = None,
    threads: Threads = 2,
    device: Device = "auto",
) -> None:
    """Fine-tune the sentiment model on TweetEval (train_reconstructed.tsv; val for scores)."""
    _train(
        "sentiment",
        out,
        data_dir=data_dir,
        epochs=epochs,
        seed=seed,
        lr=lr,
        batch_size=batch_size,
        max_len=max_len,
        n_layers=n_layers,
        limit=limit,
        max_minutes=max_minutes,
        threads=threads,
        device=device,
    )


@train_app.command("advocacy")
def train_advocacy(
    data_dir: DataDir = DEFAULT_DATA_DIR,
    out: Annotated[Path | None, typer.Option(help="Model folder to write.")] = None,
    epochs: Epochs = 2.0,
    seed: Seed = 13,
    lr: Lr = 1e-4,
    batch_size: BatchSize = 32,
    max_len: MaxLen = 64,
    n_layers: Layers = 4,
    limit: Limit = None,
    max_minutes: MaxMinutes = None,
    threads: Threads = 2,
    device: Device = "auto",
    synthetic_per_template: Annotated[
        int, typer.Option(help="Synthetic posts per comparative template.")
    ] = 8,
    init_from: Annotated[
        Path | None, typer.Option(help="Start from this trained model folder.")
    ] = None,
    recipe: Annotated[
        str,
        typer.Option(
            help="'brand': brand-directed sets + augmentation + replay, grouped validation, "
            "priors and temperature fitted on validation; 'v1': the first model's mix."
        ),
    ] = "brand",
    replay_semeval: Annotated[
        int, typer.Option(help="SemEval-topic rows replayed by the brand recipe (0 = all).")
    ] = 9000,
    replay_brand_emotion: Annotated[
        int, typer.Option(help="Brand-emotion rows replayed by the brand recipe (0 = all).")
    ] = 3000,
    augment_per_template: Annotated[
        int, typer.Option(help="Posts per augmentation template (nlp.augment).")
    ] = 12,
    augment_replies: Annotated[
        int, typer.Option(help="Synthetic thread replies (nlp.augment).")
    ] = 2500,
) -> None:
    """Fine-tune the targeted advocacy model (default recipe 'brand': brand-directed tweets,
    complaints, augmentation, replay of SemEval topics and brand emotion)."""
    _train(
        "advocacy",
        out,
        data_dir=data_dir,
        epochs=epochs,
        seed=seed,
        lr=lr,
        batch_size=batch_size,
        max_len=max_len,
        n_layers=n_layers,
        limit=limit,
        max_minutes=max_minutes,
        threads=threads,
        device=device,
        synthetic_per_template=synthetic_per_template,
        init_from=init_from,
        recipe=recipe,
        replay_semeval=replay_semeval,
        replay_brand_emotion=replay_brand_emotion,
        augment_per_template=augment_per_template,
        augment_replies=augment_replies,
    )


@train_app.command("joint")
def train_joint(
    data_dir: DataDir = DEFAULT_DATA_DIR,
    out: Annotated[Path | None, typer.Option(help="Model folder to write.")] = None,
    epochs: Epochs = 1.0,
    seed: Seed = 13,
    lr: Lr = 1e-4,
    batch_size: BatchSize = 32,
    max_len: MaxLen = 64,
    n_layers: Layers = 4,
    max_minutes: MaxMinutes = None,
    threads: Threads = 2,
    device: Device = "auto",
    init_from: Annotated[
        Path | None,
        typer.Option(help="Start from this trained model folder (e.g. the advocacy model)."),
    ] = None,
    sentiment_rows: Annotated[
        int, typer.Option(help="TweetEval rows that train the sentiment head (0 = all).")
    ] = 30000,
    advocacy_rows: Annotated[
        int, typer.Option(help="Advocacy examples of the brand recipe to mix in (0 = all).")
    ] = 0,
    sentiment_pooling: Annotated[
        str,
        typer.Option(
            help="What the sentiment head averages: 'all' tokens, or the 'post' before the first "
            "[SEP] (then a reply read with its parent needs no extra pass for its sentiment)."
        ),
    ] = "all",
) -> None:
    """Fine-tune one encoder for both tasks: targeted advocacy (the 'brand' recipe) and post
    sentiment (TweetEval), so the classify stage needs one encoder pass per mention instead of
    two models. Validation: the advocacy splits and TweetEval val."""
    _train(
        "joint",
        out,
        data_dir=data_dir,
        epochs=epochs,
        seed=seed,
        lr=lr,
        batch_size=batch_size,
        max_len=max_len,
        n_layers=n_layers,
        max_minutes=max_minutes,
        threads=threads,
        device=device,
        init_from=init_from,
        joint_sentiment_rows=sentiment_rows,
        joint_advocacy_rows=advocacy_rows,
        sentiment_pooling=sentiment_pooling,
    )


@train_app.command("soup")
def train_soup(
    folders: Annotated[
        list[Path],
        typer.Argument(
            help="Two or more model folders fine-tuned from the same model.", file_okay=False
        ),
    ],
    out: Annotated[Path, typer.Option(help="Model folder to write.")],
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Average the weights of fine-tunes of one model (a uniform model soup), write the result
    with its graph, and fit its label priors and temperature on the validation splits."""
    from nlp.train import soup

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    typer.echo(json.dumps(soup(folders, out, data_dir)))


@train_app.command("calibrate")
def train_calibrate(
    folder: Annotated[
        Path, typer.Argument(help="An advocacy (or joint) model folder.", file_okay=False)
    ],
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Fit a trained advocacy model's label priors and temperature again on the grouped
    validation splits, without retraining (rewrites its config.json; a new model version)."""
    from nlp.train import recalibrate

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    typer.echo(json.dumps(recalibrate(folder, data_dir)))


FileArg = Annotated[
    Path,
    typer.Argument(
        help="Labelled .csv or .tsv file with a header row.", exists=True, dir_okay=False
    ),
]
TextCol = Annotated[str, typer.Option("--text-col", help="Column holding the post text.")]
LabelCol = Annotated[str, typer.Option("--label-col", help="Column holding the gold label.")]
JsonOut = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")]
Baselines = Annotated[
    bool, typer.Option("--baselines/--no-baselines", help="Also run VADER and TF-IDF + LR.")
]
ModelOpt = Annotated[
    str | None,
    typer.Option("--model", help="'default', a model folder or a HF id (default: settings)."),
]
Backend = Annotated[
    str | None,
    typer.Option(
        "--backend",
        help="Shipped models: onnx (float32) | onnx-int8 | torch-int8 | torch "
        "(default: as the pipeline runs them, GRAPEVINE_MODEL_PRECISION).",
    ),
]


def _classifier(task: str, model: str | None, backend: str | None) -> object:
    from grapevine.core.settings import get_settings
    from nlp import classifiers

    settings = get_settings()
    name = model or (settings.sentiment_model if task == "sentiment" else settings.advocacy_model)
    return classifiers.load_classifier(
        task,
        name,
        batch_size=settings.classify_batch_size,
        backend=backend or classifiers.backend_for(settings.model_precision),
    )


@contextmanager
def _user_errors() -> Iterator[None]:
    """Print our errors as one line (message and hint) and exit 2, without a traceback."""
    from grapevine.core.errors import GrapevineError

    try:
        yield
    except GrapevineError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


def _run_eval(
    task: str,
    file: Path,
    items: list[object],
    gold: list[str],
    *,
    model: str | None,
    backend: str | None,
    baselines: bool,
    data_dir: Path,
    as_json: bool,
) -> None:
    from nlp import evaluate

    with _user_errors():
        evaluate.check_labels(gold, _labels(task), file)
        clf = _classifier(task, model, backend)
        result: dict[str, object] = {"task": task, **evaluate.evaluate_classifier(clf, items, gold)}  # type: ignore[arg-type]
        if baselines:
            result["baselines"] = evaluate.evaluate_baselines(task, items, gold, data_dir)
    if as_json:
        typer.echo(json.dumps(result))
    else:
        _render(result)


def _labels(task: str) -> tuple[str, ...]:
    from nlp import data

    return data.SENTIMENT_LABELS if task == "sentiment" else data.ADVOCACY_LABELS


def _render(result: dict[str, object]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    summary = Table(title=f"{result['task']} evaluation (n={result['n']})")
    summary.add_column("model", overflow="fold")
    for col in ("accuracy", "macro recall", "macro F1", "texts/s", "unsupported"):
        summary.add_column(col, justify="right", no_wrap=True)
    rows: list[tuple[str, dict[str, object]]] = [(str(result["model_version"]), result)]
    rows += list(dict(result.get("baselines") or {}).items())  # type: ignore[call-overload]
    for name, r in rows:
        summary.add_row(
            name,
            f"{r['accuracy']:.3f}",
            f"{r['macro_recall']:.3f}",
            f"{r['macro_f1']:.3f}",
            str(r["texts_per_second"]),
            str(r.get("unsupported", 0)),
        )
    console.print(summary)
    per_class = Table(title=f"per class: {result['model_version']}")
    for col in ("label", "precision", "recall", "F1", "support"):
        per_class.add_column(col, justify="left" if col == "label" else "right")
    for label, m in dict(result["per_class"]).items():  # type: ignore[call-overload]
        per_class.add_row(
            label,
            f"{m['precision']:.3f}",
            f"{m['recall']:.3f}",
            f"{m['f1']:.3f}",
            str(m["support"]),
        )
    console.print(per_class)


@eval_app.command("sentiment")
def eval_sentiment(
    file: FileArg,
    text_col: TextCol = "text",
    label_col: LabelCol = "label",
    as_json: JsonOut = False,
    baselines: Baselines = True,
    model: ModelOpt = None,
    backend: Backend = None,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Score the sentiment model on FILE (labels negative|neutral|positive)."""
    from nlp.data import column, read_table

    with _user_errors():
        rows = read_table(file)
        texts = column(rows, text_col, file)
        gold = [g.strip().lower() for g in column(rows, label_col, file)]
    _run_eval(
        "sentiment",
        file,
        list(texts),
        gold,
        model=model,
        backend=backend,
        baselines=baselines,
        data_dir=data_dir,
        as_json=as_json,
    )


@eval_app.command("advocacy")
def eval_advocacy(
    file: FileArg,
    text_col: TextCol = "text",
    brand_col: Annotated[
        str, typer.Option("--brand-col", help="Column naming the target brand.")
    ] = "brand",
    label_col: LabelCol = "label",
    as_json: JsonOut = False,
    baselines: Baselines = True,
    model: ModelOpt = None,
    backend: Backend = None,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Score the advocacy model on FILE, one (post, target) per row.

    Labels may be advocacy|badvocacy|none or, as in target-dependent sentiment sets (Dong et
    al. 2014: ``--brand-col target``), negative|neutral|positive or -1|0|1 toward the target.
    The target need not be spelled out in the text (the model then judges the post for an
    unnamed entity); a ``$T$`` placeholder is replaced by the target, and texts tokenised
    like Dong's (``it ' s great .``) are detokenised as in training.
    """
    from nlp.data import advocacy_eval_items, column, read_table

    with _user_errors():
        rows = read_table(file)
        texts = column(rows, text_col, file)
        brands = column(rows, brand_col, file)
        labels = column(rows, label_col, file)
        inputs, gold = advocacy_eval_items(texts, brands, labels)
    items: list[object] = list(inputs)
    _run_eval(
        "advocacy",
        file,
        items,
        gold,
        model=model,
        backend=backend,
        baselines=baselines,
        data_dir=data_dir,
        as_json=as_json,
    )


@eval_app.command("splits")
def eval_splits(
    as_json: JsonOut = False,
    baselines: Baselines = True,
    model: ModelOpt = None,
    backend: Backend = None,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Score the advocacy model on our grouped validation splits, per data set.

    The splits are the held-out side of ``nlp.brand_data.grouped_split`` (no near-duplicate
    of a validation tweet is in training) plus brand_emotion/val; this is where models and
    thresholds are chosen. complaints.csv is scored as badvocacy-vs-not (partial labels).
    """
    from nlp import evaluate

    with _user_errors():
        clf = _classifier("advocacy", model, backend)
        result = evaluate.evaluate_splits(clf, data_dir, baselines=baselines)  # type: ignore[arg-type]
    if as_json:
        typer.echo(json.dumps(result))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"validation splits: {result['model_version']}")
    for col in (
        "set",
        "n",
        "accuracy",
        "macro F1",
        "badvocacy F1",
        "bad-vs-not acc.",
        "net advocacy gold / predicted",
    ):
        table.add_column(col, justify="left" if col == "set" else "right")
    for name, r in dict(result["sets"]).items():
        table.add_row(
            name,
            str(r["n"]),
            f"{r['accuracy']:.3f}" if "accuracy" in r else "",
            f"{r['macro_f1']:.3f}" if "macro_f1" in r else "",
            f"{r['badvocacy_f1']:.3f}" if "badvocacy_f1" in r else "",
            f"{r['bad_vs_not_accuracy']:.3f}" if "bad_vs_not_accuracy" in r else "",
            f"{r['net_advocacy_gold']:+.1f} / {r['net_advocacy_predicted']:+.1f}"
            if "net_advocacy_gold" in r
            else "",
        )
    console = Console()
    console.print(table)
    console.print(
        f"mean macro F1 over {', '.join(_brand_addressed())}: "
        f"{result['mean_macro_f1_brand_addressed']:.3f}"
    )
    for name, b in dict(result.get("baselines") or {}).items():
        console.print(f"  baseline {name}: {b['mean_macro_f1_brand_addressed']:.3f}")


OutcomeFile = Annotated[
    Path,
    typer.Argument(
        help="Labelled .csv, .tsv (header row) or .jsonl file.", exists=True, dir_okay=False
    ),
]


def _embedder(model: str) -> SentenceEmbedder:
    from grapevine.core.settings import get_settings
    from nlp.embed import load_embedder

    return load_embedder(model, int8=get_settings().model_precision == "int8")


@eval_app.command("outcomes")
def eval_outcomes(
    file: OutcomeFile,
    text_col: TextCol = "text",
    label_col: Annotated[
        str, typer.Option("--label-col", help="Column holding the gold reason.")
    ] = "reason",
    brand_col: Annotated[
        str | None,
        typer.Option(
            "--brand-col",
            help="Column naming the brand; every brand named in it is masked in every text "
            "(default: 'brand' when the file has it).",
        ),
    ] = None,
    as_json: JsonOut = False,
    min_posts: Annotated[
        int | None,
        typer.Option("--min-posts", help="Fewest posts per outcome (default: settings).", min=2),
    ] = None,
    min_similarity: Annotated[
        float | None,
        typer.Option(
            "--min-similarity", help="Cosine needed to join an outcome (default: settings)."
        ),
    ] = None,
    seed: Seed = 0,
    model: Annotated[
        str, typer.Option("--model", help="Sentence embedder: 'default' or a HF id/path.")
    ] = "default",
) -> None:
    """Discover outcomes in FILE's texts and score them against its labelled reasons.

    Brands are masked, posts the language detector calls non-English stay unassigned (as in
    the outcomes stage), and the rest are embedded, clustered and assigned. Scores: NMI, ARI,
    purity (unassigned posts are one more group) and coverage (reasons with >= 2 % of the
    rows that some outcome holds at >= 50 %), next to the same outcomes dealt at random.
    """
    import time

    import numpy as np

    from grapevine.core.errors import InputError
    from grapevine.core.settings import get_settings
    from nlp import outcomes, outcomes_eval
    from nlp.data import column
    from nlp.lang import detect_language

    settings = get_settings()
    min_posts = min_posts if min_posts is not None else settings.outcome_min_posts
    similarity = (
        min_similarity if min_similarity is not None else settings.outcome_assign_similarity
    )
    with _user_errors():
        rows = outcomes_eval.read_rows(file)
        if not rows:
            raise InputError(f"{file}: no rows", hint="the file needs a header and labelled rows")
        texts = column(rows, text_col, file)
        gold = [g.strip() for g in column(rows, label_col, file)]
        brands: list[str] = []
        if brand_col is not None or "brand" in rows[0]:
            brands = [b for b in column(rows, brand_col or "brand", file) if b.strip()]
        masked = outcomes_eval.mask_texts(texts, brands)
        supported = [detect_language(t)[1] for t in texts]
        keep = [i for i, t in enumerate(masked) if t and supported[i]]
        started = time.perf_counter()
        embedder = _embedder(model)
        vectors = embedder.encode([masked[i] for i in keep])
        embedded = time.perf_counter()
        found = outcomes.discover(
            vectors,
            [masked[i] for i in keep],
            min_posts=min_posts,
            sample=settings.outcome_discovery_sample,
            min_similarity=similarity,
            seed=seed,
        )
        discovered = time.perf_counter()
    pred = np.full(len(texts), -1, dtype=np.int64)
    pred[keep] = found.assigned
    scores = outcomes_eval.score(pred.tolist(), gold)
    majority = outcomes_eval.majority(pred.tolist(), gold)
    baseline = outcomes_eval.shuffled_baseline(pred.tolist(), gold, seed=seed)
    result: dict[str, object] = {
        "task": "outcomes",
        "embedder": embedder.version,
        "params": {
            "min_posts": min_posts,
            "min_similarity": similarity,
            "sample": settings.outcome_discovery_sample,
            "seed": seed,
            "masked_brands": len(set(brands)),
        },
        **scores,
        "unsupported_language": sum(1 for s in supported if not s),
        "empty": sum(1 for i, t in enumerate(masked) if not t and supported[i]),
        "outcomes": [
            {
                "outcome": k,
                "size": o.size,
                "label": o.label,
                "key_phrases": list(o.key_phrases),
                "majority_reason": majority[k][0] if k in majority else None,
                "majority_share": round(majority[k][1], 4) if k in majority else None,
                "representatives": [texts[keep[i]] for i in o.representatives],
            }
            for k, o in enumerate(found.outcomes)
        ],
        "baselines": {"shuffled": {k: baseline[k] for k in ("nmi", "ari", "purity", "coverage")}},
        "seconds": {
            "embed": round(embedded - started, 2),
            "discover": round(discovered - embedded, 2),
        },
    }
    if as_json:
        typer.echo(json.dumps(result))
    else:
        _render_outcomes(result)


def _render_outcomes(result: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title=f"discovered outcomes (n={result['n']}, embedder {result['embedder']})")
    for col in ("outcome", "size", "label", "majority reason", "purity"):
        table.add_column(col, justify="right" if col in ("outcome", "size", "purity") else "left")
    for o in result["outcomes"]:
        share = o["majority_share"]
        table.add_row(
            str(o["outcome"]),
            str(o["size"]),
            o["label"],
            o["majority_reason"] or "",
            f"{share:.2f}" if share is not None else "",
        )
    console.print(table)
    scores = Table(title="scores against the labelled reasons")
    for col in ("", "NMI", "ARI", "purity", "coverage"):
        scores.add_column(col, justify="left" if not col else "right")
    for name, r in (("outcomes", result), ("shuffled", result["baselines"]["shuffled"])):
        scores.add_row(
            name, f"{r['nmi']:.3f}", f"{r['ari']:.3f}", f"{r['purity']:.3f}", f"{r['coverage']:.2f}"
        )
    console.print(scores)
    missed = [r for r, v in result["reasons"].items() if v["outcome"] is None]
    console.print(
        f"unassigned {result['unassigned_share']:.1%} of the posts "
        f"({result['unsupported_language']} not English); "
        f"purity of the assigned posts {result['purity_assigned']:.3f}; "
        f"reasons without an outcome: {', '.join(missed) or 'none'}"
    )


def _brand_addressed() -> tuple[str, ...]:
    from nlp.brand_data import BRAND_ADDRESSED

    return BRAND_ADDRESSED


app = typer.Typer(no_args_is_help=True, rich_markup_mode="markdown")  # help flows to the terminal
app.add_typer(train_app, name="train")
app.add_typer(eval_app, name="eval")

if __name__ == "__main__":
    app()
