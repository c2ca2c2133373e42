"""Label priors and temperature, fitted on validation data (never on a test split).

Two post-hoc corrections of a trained model's logits, stored in its ``config.json`` and
applied at inference (``(logits + bias) / temperature``):

- **Label priors** (``logit_bias``): the training mix is not the stream the product reads.
  Brand conversations are complaint-heavy, so the decision thresholds learnt from a mix with
  11 % badvocacy are wrong for them. A per-class bias is the logit-adjustment form of a prior
  change; it is chosen to maximise the mean macro-F1 over the brand-addressed validation sets,
  each counted equally so the largest does not decide alone.
- **Temperature** scaling (Guo et al., 2017): one scalar that makes the probabilities match
  observed accuracy, so "confidence below 0.6" means what it says. It never changes a label.

Pure numpy; cheap to import.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    out: np.ndarray = e / e.sum(axis=1, keepdims=True)
    return out


def apply(logits: np.ndarray, bias: Sequence[float] | None, temperature: float) -> np.ndarray:
    """Calibrated probabilities from raw logits."""
    adjusted = logits + (np.asarray(bias, dtype=logits.dtype) if bias is not None else 0.0)
    return softmax(adjusted / max(temperature, 1e-3))


def macro_f1(gold: np.ndarray, pred: np.ndarray, n_labels: int) -> float:
    """Macro F1 over the labels present in ``gold``."""
    scores = []
    for k in range(n_labels):
        support = int((gold == k).sum())
        if not support:
            continue
        tp = int(((gold == k) & (pred == k)).sum())
        n_pred = int((pred == k).sum())
        p = tp / n_pred if n_pred else 0.0
        r = tp / support
        scores.append(2 * p * r / (p + r) if p + r else 0.0)
    return float(np.mean(scores)) if scores else 0.0


def fit_bias(
    logits: np.ndarray,
    gold: np.ndarray,
    groups: Sequence[str],
    *,
    fixed: int,
    grid: Sequence[float] = tuple(np.round(np.arange(-2.0, 2.01, 0.1), 2)),
    binary: Mapping[str, int] | None = None,
) -> list[float]:
    """Per-class logit bias (class ``fixed`` stays 0) maximising mean per-group macro-F1.

    ``binary`` names groups labelled only "class k or not" (complaints: badvocacy or not, see
    ``nlp.brand_data``); they are scored by the macro-F1 of that yes/no decision, and their
    ``gold`` is k for yes and anything else for no. A small penalty on the bias size breaks
    ties toward "change nothing", so a flat optimum does not drift to the edge of the grid.
    """
    n_labels = logits.shape[1]
    free = [k for k in range(n_labels) if k != fixed]
    names = sorted(set(groups))
    index = {g: np.array([i for i, x in enumerate(groups) if x == g]) for g in names}
    binary = binary or {}

    def group_score(name: str, pred: np.ndarray) -> float:
        ix = index[name]
        if name in binary:
            k = binary[name]
            return macro_f1((gold[ix] == k).astype(int), (pred[ix] == k).astype(int), 2)
        return macro_f1(gold[ix], pred[ix], n_labels)

    best: tuple[float, list[float]] = (-1.0, [0.0] * n_labels)
    for values in itertools.product(grid, repeat=len(free)):
        bias = np.zeros(n_labels)
        bias[free] = values
        pred = (logits + bias).argmax(1)
        score = float(np.mean([group_score(name, pred) for name in names]))
        score -= 1e-4 * float(np.abs(bias).sum())
        if score > best[0]:
            best = (float(score), [float(v) for v in bias])
    return best[1]


def nll(logits: np.ndarray, gold: np.ndarray, temperature: float) -> float:
    """Mean negative log-likelihood of ``gold`` at ``temperature``."""
    z = logits / temperature
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-logp[np.arange(len(gold)), gold].mean())


def fit_temperature(logits: np.ndarray, gold: np.ndarray) -> float:
    """The temperature minimising validation NLL (bounded scalar search)."""
    from scipy.optimize import minimize_scalar

    result = minimize_scalar(lambda t: nll(logits, gold, t), bounds=(0.05, 10.0), method="bounded")
    return round(float(result.x), 4)


def expected_calibration_error(probs: np.ndarray, gold: np.ndarray, bins: int = 10) -> float:
    """ECE: mean |confidence − accuracy| over equal-width confidence bins, weighted by size."""
    conf = probs.max(1)
    correct = probs.argmax(1) == gold
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for lo, hi in itertools.pairwise(edges):
        sel = (conf > lo) & (conf <= hi)
        if sel.any():
            total += sel.mean() * abs(conf[sel].mean() - correct[sel].mean())
    return round(float(total), 4)
