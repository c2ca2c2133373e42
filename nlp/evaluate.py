"""Evaluation of a classifier on a labelled file, with the two baselines run alongside.

The baselines give every score a reference point: VADER (a lexicon, no training) and TF-IDF +
logistic regression trained on the very same training data as the shipped model.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from grapevine.core.errors import InputError
from nlp import data
from nlp.metrics import classification_report
from nlp.text import model_input, normalise
from nlp.types import AdvocacyInput, Classifier

log = logging.getLogger(__name__)

Predictor = Callable[[Sequence[Any]], list[str]]


def check_labels(labels: Sequence[str], allowed: Sequence[str], path: Path) -> None:
    """Fail with the offending values when a file carries labels outside the task's."""
    bad = sorted({lab for lab in labels if lab not in allowed})
    if bad:
        raise InputError(
            f"{path}: labels {bad[:5]} are not {'|'.join(allowed)}", hint="fix or drop those rows"
        )


def timed_report(
    predict: Predictor, items: Sequence[Any], gold: Sequence[str], labels: Sequence[str]
) -> dict[str, Any]:
    """Metrics plus end-to-end throughput of ``predict`` on ``items``."""
    started = time.perf_counter()
    pred = predict(items)
    elapsed = time.perf_counter() - started
    report = classification_report(gold, pred, labels)
    report["texts_per_second"] = round(len(items) / elapsed, 1) if elapsed > 0 else None
    report["unsupported"] = sum(1 for p in pred if p not in labels)
    return report


def evaluate_classifier(
    clf: Classifier, items: Sequence[Any], gold: Sequence[str]
) -> dict[str, Any]:
    """Run ``clf`` end to end (normalise, language id, batching, inference) and score it."""
    if items:
        clf.classify(list(items[:2]))  # warm-up: lazy language-id model, first-call allocations
    report = timed_report(lambda xs: [p.label for p in clf.classify(xs)], items, gold, clf.labels)
    return {"model": clf.name, "model_version": clf.version, **report}


# --- baselines -----------------------------------------------------------------------------


def _text_of(item: Any) -> str:
    return item.text if isinstance(item, AdvocacyInput) else str(item)


def vader_predictor(task: str) -> Predictor:
    """VADER compound score with its authors' ±0.05 thresholds (not target-aware)."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    names = (
        ("negative", "neutral", "positive")
        if task == "sentiment"
        else ("badvocacy", "none", "advocacy")
    )

    def predict(items: Sequence[Any]) -> list[str]:
        out = []
        for item in items:
            score = analyzer.polarity_scores(normalise(_text_of(item)))["compound"]
            out.append(names[0] if score <= -0.05 else names[2] if score >= 0.05 else names[1])
        return out

    return predict


def tfidf_predictor(task: str, data_dir: Path, seed: int = 13) -> Predictor:
    """TF-IDF (word 1-2 grams) + balanced logistic regression on the model's training data.

    For advocacy the inputs are the same target-marked texts the model reads, so the
    baseline is as targeted as a bag of words can be.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    if not data_dir.exists():
        raise InputError(
            f"training data folder {data_dir} not found (the TF-IDF baseline trains on it)",
            hint="pass --data-dir or --no-baselines",
        )
    if task == "sentiment":
        texts, labels = data.tweeteval_train(data_dir)
        train_x = [normalise(t) for t in texts]
    else:
        # The shipped model's own training examples (brand recipe), full labels only.
        from nlp.train import TrainOptions, brand_recipe

        train_side, _ = brand_recipe(TrainOptions("advocacy", data_dir, Path(), seed=seed))
        full = [e for e in train_side if "|" not in e.label]
        labels = [e.label for e in full]
        train_x = [model_input(e.item) for e in full]
    pipe = make_pipeline(
        TfidfVectorizer(
            ngram_range=(1, 2),
            min_df=2,
            sublinear_tf=True,
            token_pattern=r"(?u)\[?\b\w+\b\]?",  # noqa: S106 (not a password)
        ),
        LogisticRegression(C=2.0, class_weight="balanced", max_iter=2000, random_state=seed),
    )
    pipe.fit(train_x, labels)

    def predict(items: Sequence[Any]) -> list[str]:
        if task == "sentiment":
            xs = [normalise(_text_of(i)) for i in items]
        else:
            xs = [model_input(i) for i in items]
        return [str(p) for p in pipe.predict(xs)]

    return predict


def _net(labels: Sequence[str]) -> float:
    n = len(labels)
    return round(100 * (labels.count("advocacy") - labels.count("badvocacy")) / n, 1) if n else 0.0


def split_examples(data_dir: Path) -> list[Any]:
    """The validation side of the brand recipe: grouped splits plus brand_emotion/val."""
    from nlp import brand_data

    _, val = brand_data.grouped_split(brand_data.all_brand_examples(data_dir))
    bx, by = data.brand_emotion(data_dir, "val")
    val += [brand_data.Example(x, y, "brand_emotion", "") for x, y in zip(bx, by, strict=True)]
    return val


def score_splits(val: Sequence[Any], preds: Sequence[str]) -> dict[str, Any]:
    """Per-set scores of ``preds`` on ``split_examples`` (partial labels: bad-vs-not only)."""
    from nlp import brand_data

    sets: dict[str, dict[str, Any]] = {}
    for source in sorted({e.source for e in val}):
        idx = [i for i, e in enumerate(val) if e.source == source]
        full = [i for i in idx if "|" not in val[i].label]
        entry: dict[str, Any] = {"n": len(idx)}
        if len(full) == len(idx):
            rep = classification_report(
                [val[i].label for i in full], [preds[i] for i in full], data.ADVOCACY_LABELS
            )
            entry.update(
                accuracy=rep["accuracy"],
                macro_f1=rep["macro_f1"],
                badvocacy_f1=rep["per_class"]["badvocacy"]["f1"],
            )
            # What a marketer sees: net advocacy = 100 × (advocacy − badvocacy) / mentions.
            entry["net_advocacy_gold"] = _net([val[i].label for i in idx])
            entry["net_advocacy_predicted"] = _net([preds[i] for i in idx])
        entry["bad_vs_not_accuracy"] = round(
            sum((preds[i] == "badvocacy") == (val[i].label == "badvocacy") for i in idx) / len(idx),
            4,
        )
        sets[source] = entry
    addressed = [sets[s]["macro_f1"] for s in brand_data.BRAND_ADDRESSED if s in sets]
    return {
        "sets": sets,
        "mean_macro_f1_brand_addressed": round(sum(addressed) / len(addressed), 4),
    }


def evaluate_splits(clf: Classifier, data_dir: Path, *, baselines: bool = False) -> dict[str, Any]:
    """Scores of ``clf`` (and optionally the baselines) per grouped validation split."""
    val = split_examples(data_dir)
    items = [e.item for e in val]
    preds = [p.label for p in clf.classify(items)]
    result: dict[str, Any] = {
        "model": clf.name,
        "model_version": clf.version,
        **score_splits(val, preds),
    }
    if baselines:
        result["baselines"] = {
            "vader": score_splits(val, vader_predictor("advocacy")(items)),
            "tfidf_logreg": score_splits(val, tfidf_predictor("advocacy", data_dir)(items)),
        }
    return result


def evaluate_baselines(
    task: str, items: Sequence[Any], gold: Sequence[str], data_dir: Path
) -> dict[str, Any]:
    """Scores of VADER and TF-IDF + LR on ``items`` (TF-IDF fit time not counted in texts/s)."""
    labels = data.SENTIMENT_LABELS if task == "sentiment" else data.ADVOCACY_LABELS
    return {
        "vader": timed_report(vader_predictor(task), items, gold, labels),
        "tfidf_logreg": timed_report(tfidf_predictor(task, data_dir), items, gold, labels),
    }
