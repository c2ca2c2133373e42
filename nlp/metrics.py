"""Classification metrics (accuracy, macro recall/F1, per-class), without a heavy import."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def classification_report(
    gold: Sequence[str], pred: Sequence[str], labels: Sequence[str]
) -> dict[str, Any]:
    """Metrics over ``labels``. A prediction outside ``labels`` (``unsupported``) counts as wrong.

    Macro averages are taken over the task's labels, as in TweetEval (macro recall) and the
    advocacy target (macro F1), so a rare class such as ``badvocacy`` weighs as much as ``none``.
    """
    n = len(gold)
    per_class: dict[str, dict[str, float | int]] = {}
    for label in labels:
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == label and p == label)
        n_pred = sum(1 for p in pred if p == label)
        support = sum(1 for g in gold if g == label)
        precision = tp / n_pred if n_pred else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "support": support,
        }
    present = [lab for lab in labels if per_class[lab]["support"]] or list(labels)
    accuracy = sum(1 for g, p in zip(gold, pred, strict=True) if g == p) / n if n else 0.0
    return {
        "n": n,
        "accuracy": round(accuracy, 4),
        "macro_recall": round(
            sum(float(per_class[lab]["recall"]) for lab in present) / len(present), 4
        ),
        "macro_f1": round(sum(float(per_class[lab]["f1"]) for lab in present) / len(present), 4),
        "per_class": per_class,
    }
