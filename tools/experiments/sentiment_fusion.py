"""Does fusing post sentiment help the advocacy model? (issue #10, a variant in the model card)

    .venv/bin/python tools/experiments/sentiment_fusion.py [--data ../shared/data]

Both shipped models' calibrated probabilities on every grouped validation example
(``nlp.evaluate.split_examples``, never a test split), then a multinomial logistic regression
on their logs, 5-fold cross-validation grouped by near-duplicate group, with and without the
prior grid of ``nlp.calibrate``. Prints per-set macro F1 / bad-vs-not accuracy as ``grapevine
eval splits`` scores them. About 2 minutes on 2 cores. December 2026: no gain (fused
67.6-68.6 vs 68.6 alone), so nothing is shipped from it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

LAB = ["advocacy", "badvocacy", "none"]
SMAP = {"positive": "advocacy", "negative": "badvocacy", "neutral": "none"}


def report(name: str, val: list[Any], preds: list[str]) -> float:
    from nlp.evaluate import score_splits

    r = score_splits(val, preds)
    cells = []
    for k, v in r["sets"].items():
        f1 = "-" if v.get("macro_f1") is None else f"{100 * v['macro_f1']:.1f}"
        cells.append(f"{k[:10]}={f1}/{100 * v['bad_vs_not_accuracy']:.1f}")
    mean = float(r["mean_macro_f1_brand_addressed"])
    print(f"{name:30s} mean_addressed={100 * mean:.1f} " + " ".join(cells))
    return mean


def main(argv: list[str] | None = None) -> int:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold

    import nlp
    from nlp.evaluate import split_examples

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    args = parser.parse_args(argv)
    val = split_examples(args.data)
    adv, sen = nlp.load_advocacy(), nlp.load_sentiment()
    pa = adv.classify([e.item for e in val])
    ps = sen.classify([e.item.text for e in val])
    a = np.array([[p.probs.get(c, np.nan) for c in LAB] for p in pa])
    s = np.array(
        [[p.probs.get(c, np.nan) for c in ("negative", "neutral", "positive")] for p in ps]
    )
    ok = ~np.isnan(a).any(1) & ~np.isnan(s).any(1)
    adv_labels = [p.label for p in pa]
    report("advocacy model alone", val, adv_labels)
    report("sentiment mapped to advocacy", val, [SMAP.get(p.label, p.label) for p in ps])
    x = np.hstack(
        [np.log(np.nan_to_num(a, nan=1 / 3) + 1e-6), np.log(np.nan_to_num(s, nan=1 / 3) + 1e-6)]
    )
    y = np.array([LAB.index(e.label) if e.label in LAB else -1 for e in val])
    full = (y >= 0) & ok
    groups = np.array([e.group or f"row{i}" for i, e in enumerate(val)])
    for c in (0.1, 1.0):
        probs = np.zeros((len(val), 3))
        for tr, te in GroupKFold(5).split(x, y, groups):
            fit = tr[full[tr]]
            probs[te] = (
                LogisticRegression(C=c, max_iter=2000).fit(x[fit], y[fit]).predict_proba(x[te])
            )

        def labels(bias: np.ndarray, probs: np.ndarray = probs) -> list[str]:
            best = (np.log(probs + 1e-6) + bias).argmax(1)
            return [LAB[j] if ok[i] else adv_labels[i] for i, j in enumerate(best)]

        report(f"fused, C={c}", val, labels(np.zeros(3)))
        grid = [
            np.array([ba, bb, 0.0])
            for ba in np.arange(-1, 1.01, 0.1)
            for bb in np.arange(-1, 1.01, 0.1)
        ]
        from nlp.evaluate import score_splits

        best = max(
            grid, key=lambda b: score_splits(val, labels(b))["mean_macro_f1_brand_addressed"]
        )
        report(f"fused, C={c}, priors {best[0]:+.1f}/{best[1]:+.1f}", val, labels(best))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
