"""Scores of discovered outcomes against labelled reasons (``grapevine eval outcomes``).

- NMI and ARI (scikit-learn) between the outcome of each post and its gold reason;
- purity: the share of posts whose outcome's majority reason is their own reason;
- coverage: of the reasons with at least 2 % of the posts, the share that some outcome
  captures, i.e. an outcome whose posts are at least 50 % that reason.

Unassigned posts (outcome -1) form one more group, "unassigned", in NMI, ARI and purity (so a
discovery that leaves posts out is judged on them as one lump), never cover a reason, and are
reported as ``unassigned_share``; ``purity_assigned`` is the purity of the assigned posts only.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from grapevine.core.errors import InputError

#: Reasons with at least this share of the rows are expected to be found.
COVERAGE_MIN_SHARE = 0.02
#: An outcome captures a reason when at least this share of its posts carry it.
COVERAGE_MIN_PURITY = 0.5
UNASSIGNED = "unassigned"


def _purity(pred: Sequence[int], gold: Sequence[str]) -> float:
    groups: dict[int, Counter[str]] = {}
    for p, g in zip(pred, gold, strict=True):
        groups.setdefault(p, Counter())[g] += 1
    total = len(gold)
    return sum(c.most_common(1)[0][1] for c in groups.values()) / total if total else 0.0


def score(pred: Sequence[int], gold: Sequence[str]) -> dict[str, Any]:
    """NMI, ARI, purity and coverage of outcome indices ``pred`` (-1 = unassigned) vs ``gold``.

    Also: ``n``, ``n_outcomes``, ``unassigned_share``, ``purity_assigned`` and per eligible
    reason its size and the outcome that captures it (``None`` when none does).
    """
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    if len(pred) != len(gold):
        raise ValueError(f"{len(pred)} predictions but {len(gold)} gold labels")
    n = len(gold)
    pred_list = [int(p) if int(p) >= 0 else -1 for p in pred]
    gold_list = [str(g) for g in gold]
    if n == 0:
        return {
            "n": 0,
            "n_outcomes": 0,
            "nmi": 0.0,
            "ari": 0.0,
            "purity": 0.0,
            "purity_assigned": 0.0,
            "coverage": 0.0,
            "unassigned_share": 0.0,
            "reasons": {},
        }
    assigned = [(p, g) for p, g in zip(pred_list, gold_list, strict=True) if p >= 0]
    outcome_counts: dict[int, Counter[str]] = {}
    for p, g in assigned:
        outcome_counts.setdefault(p, Counter())[g] += 1
    reasons: dict[str, dict[str, Any]] = {}
    for reason, size in sorted(Counter(gold_list).items(), key=lambda kv: (-kv[1], kv[0])):
        if size < COVERAGE_MIN_SHARE * n:
            continue
        best: tuple[float, int] | None = None
        for outcome, counts in outcome_counts.items():
            share = counts[reason] / sum(counts.values())
            if share >= COVERAGE_MIN_PURITY and (best is None or share > best[0]):
                best = (share, outcome)
        reasons[reason] = {
            "n": size,
            "outcome": best[1] if best else None,
            "outcome_share": round(best[0], 4) if best else None,
        }
    covered = sum(1 for r in reasons.values() if r["outcome"] is not None)
    return {
        "n": n,
        "n_outcomes": len(outcome_counts),
        "nmi": round(float(normalized_mutual_info_score(gold_list, pred_list)), 4),
        "ari": round(float(adjusted_rand_score(gold_list, pred_list)), 4),
        "purity": round(_purity(pred_list, gold_list), 4),
        "purity_assigned": round(_purity([p for p, _ in assigned], [g for _, g in assigned]), 4),
        "coverage": round(covered / len(reasons), 4) if reasons else 0.0,
        "unassigned_share": round(1 - len(assigned) / n, 4),
        "reasons": reasons,
    }


def shuffled_baseline(pred: Sequence[int], gold: Sequence[str], *, seed: int = 0) -> dict[str, Any]:
    """:func:`score` of the same outcomes (same sizes, same unassigned share) dealt at random.

    What any discovery has to beat: its scores with the link between text and outcome cut.
    """
    shuffled = np.random.default_rng(seed).permutation(np.asarray(pred, dtype=np.int64))
    return score([int(p) for p in shuffled], gold)


def majority(pred: Sequence[int], gold: Sequence[str]) -> dict[int, tuple[str, float]]:
    """Each outcome's majority reason and that reason's share of the outcome's posts."""
    groups: dict[int, Counter[str]] = {}
    for p, g in zip(pred, gold, strict=True):
        if int(p) >= 0:
            groups.setdefault(int(p), Counter())[str(g)] += 1
    out = {}
    for outcome, counts in groups.items():
        reason, count = counts.most_common(1)[0]
        out[outcome] = (reason, count / sum(counts.values()))
    return out


def read_rows(path: Path) -> list[dict[str, str]]:
    """Rows of a labelled ``.csv``/``.tsv`` (header row) or ``.jsonl`` (one object a line)."""
    from nlp.data import read_table

    if path.suffix.lower() not in {".jsonl", ".ndjson"}:
        return read_table(path)
    rows: list[dict[str, str]] = []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(
                    f"{path}:{lineno}: not JSON ({exc.msg})", hint="one JSON object per line"
                ) from exc
            if not isinstance(obj, dict):
                raise InputError(f"{path}:{lineno}: not a JSON object", hint="one object a line")
            rows.append({str(k): "" if v is None else str(v) for k, v in obj.items()})
    return rows


def mask_texts(texts: Sequence[str], brands: Sequence[str]) -> list[str]:
    """``texts`` with every mention of any of ``brands`` masked (:func:`nlp.outcomes.mask_brands`).

    A labelled file names one brand per row, but posts often name a competitor too; masking
    all of the file's brands everywhere is what the stage does with its watched brands.
    """
    from nlp.outcomes import mask_brands
    from nlp.text import brand_pattern

    patterns = [
        p.pattern for b in sorted(set(brands), key=len, reverse=True) if (p := brand_pattern(b))
    ]
    if not patterns:
        return [mask_brands(t, []) for t in texts]
    combined = re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)
    return [mask_brands(t, [m.span() for m in combined.finditer(t)]) for t in texts]
