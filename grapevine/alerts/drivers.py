"""Spike drivers: which outcomes a badvocacy spike is about. Pure statistics, no I/O.

A badvocacy alert says customers warn each other more than usual; its drivers say *about what*.
An outcome drives the spike when its share of the brand's badvocacy in the alert window is
significantly above its share in the baseline:

* **Test**: Fisher's exact test, one-sided (window share greater), on the 2x2 table
  (this outcome vs every other) x (window vs baseline) of the brand's badvocacy mentions. Exact
  at the small counts a spike's outcomes have, and conditional on the totals, so a window with
  five times the usual badvocacy does not make every outcome "significant": only the ones whose
  *share* rose.
* **Correction**: Holm over the outcomes tested (``detect.adjust``, the alert test's own
  correction), so a vocabulary of 40 outcomes does not turn noise into drivers.
* **Lift**: window share / baseline share, with add-one (Laplace) smoothing of the baseline
  share, so an outcome new in the window has a large but finite lift.

Drivers are the outcomes with lift > 1 and a corrected p below ``alpha``
(GRAPEVINE_OUTCOME_DRIVER_ALPHA), sorted by corrected p, then by lift; the first ``top`` (3).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from scipy import stats

from grapevine.alerts.detect import adjust


@dataclass(frozen=True, slots=True)
class DriverExample:
    """A post that shows the outcome (chosen by the caller, e.g. the largest reach)."""

    post_id: int
    text: str
    url: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"post_id": self.post_id, "text": self.text, "url": self.url}


@dataclass(frozen=True, slots=True)
class Driver:
    """One outcome that drives a badvocacy spike (shares are of the brand's badvocacy)."""

    outcome_id: int
    label: str
    window_badvocacy: int
    window_share: float
    baseline_badvocacy: int
    #: Unsmoothed; None when the baseline had no badvocacy at all.
    baseline_share: float | None
    lift: float
    #: Holm-corrected over the outcomes tested.
    p_value: float
    examples: tuple[DriverExample, ...] = ()

    def with_examples(self, examples: Sequence[DriverExample]) -> Driver:
        return replace(self, examples=tuple(examples))

    def to_json(self) -> dict[str, Any]:
        """The shape stored in ``alerts.drivers`` and read by the message and the report."""
        return {
            "outcome_id": self.outcome_id,
            "label": self.label,
            "window_badvocacy": self.window_badvocacy,
            "window_share": self.window_share,
            "baseline_badvocacy": self.baseline_badvocacy,
            "baseline_share": self.baseline_share,
            "lift": self.lift,
            "p_value": self.p_value,
            "examples": [e.to_json() for e in self.examples],
        }


def fisher_greater(a: int, b: int, c: int, d: int) -> float:
    """One-sided Fisher's exact p-value that the first row's share of the first column is
    greater: ``P(X >= a)`` for the hypergeometric X of the table [[a, b], [c, d]]."""
    return float(stats.fisher_exact([[a, b], [c, d]], alternative="greater").pvalue)


def spike_drivers(
    window: Mapping[int, int],
    baseline: Mapping[int, int],
    *,
    alpha: float,
    labels: Mapping[int, str],
    top: int = 3,
) -> list[Driver]:
    """The outcomes whose share of the brand's badvocacy rose in the alert window.

    ``window`` and ``baseline`` map outcome id -> badvocacy mentions in the alert window and in
    the baseline. Every key counts in the totals; only keys in ``labels`` are tested (so pass
    unassigned posts under a key without a label, e.g. -1: they make the shares honest without
    becoming a driver). Returns at most ``top`` drivers, most significant first.
    """
    keys = set(window) | set(baseline)
    n_window = sum(window.values())
    n_base = sum(baseline.values())
    tested = sorted(k for k in keys if k in labels)
    if n_window <= 0 or not tested:
        return []
    p_raw = []
    for k in tested:
        a, c = window.get(k, 0), baseline.get(k, 0)
        p_raw.append(fisher_greater(a, n_window - a, c, n_base - c))
    p_adj = adjust(p_raw, "holm")
    found = []
    for k, p in zip(tested, p_adj, strict=True):
        a, c = window.get(k, 0), baseline.get(k, 0)
        share = a / n_window
        lift = share / ((c + 1) / (n_base + len(keys)))
        if lift > 1.0 and p < alpha:
            found.append(
                Driver(
                    outcome_id=k,
                    label=labels[k],
                    window_badvocacy=a,
                    window_share=share,
                    baseline_badvocacy=c,
                    baseline_share=c / n_base if n_base else None,
                    lift=lift,
                    p_value=p,
                )
            )
    found.sort(key=lambda d: (d.p_value, -d.lift, d.outcome_id))
    return found[:top]
