"""Badvocacy spike detection: pure statistics, no I/O.

For one brand and one window (a calendar day in GRAPEVINE_TIMEZONE, default UTC) the detector
compares the window with a trailing baseline (28 days before it, with already-alerted windows
left out so that one crisis does not raise the bar for the next) and fires a
``badvocacy_spike`` when all of these hold:

1. **Enough posts**: the badvocacy count is at least ``min_count`` (default 10).
2. **An improbable count** under an over-dispersed (negative-binomial) baseline, p < ``alpha``
   after correcting over the brands tested for the same window (Holm by default: family-wise,
   so a long watchlist does not multiply false alarms; Benjamini-Hochberg on request).
   The expected count is the baseline *badvocacy rate per other mention* times today's other
   (non-badvocacy) rated mentions: the day's conversation volume is the exposure, as in a
   Poisson/NB regression with an offset. Why: volume is what varies most from day to day
   (weekly cycle, news, launches). A baseline on the raw count must be wide enough for all of
   that, and then misses real spikes (measured: recall at 3x fell to about a third); with the
   volume as exposure the weekly cycle of traffic and volume surges are absorbed, while extra
   badvocacy posts, which add no other mentions, stand out. Weekday seasonality of the *rate*
   itself is modelled when the history has three of every weekday and a chi-square test says
   the weekdays differ. The dispersion is estimated by the method of moments, with a floor and
   widened for the uncertainty of the baseline rate; days that are outliers by more than four
   robust standard deviations (MAD) are left out of the estimates, so an unalerted spike or a
   surge in the last four weeks does not hide the next spike.
3. **A share that rose**: the badvocacy share of rated mentions is significantly above its
   baseline share, p < ``share_alpha`` under a beta-binomial (its intra-day correlation from
   the robust Pearson dispersion of the baseline days, widened for the uncertainty of the
   baseline share). A guard, not the test that is corrected: requiring it as well can only
   lower the false-alarm rate of test 2.

Defaults (``alpha`` 0.05, ``share_alpha`` 0.05) come from ``benchmarks/alerts_bench.py``: on
240 simulated brands x 180 days (watchlists of 10) they give 0.75 false alarms per
brand-quarter and 91 % recall of 3x spikes (0.69 and 91 % with another seed), meeting the
target of at most one false alarm per brand-quarter with at least 90 % recall at 3x.
The first design's 0.001 gives 0.06 false alarms per brand-quarter but recalls only 78 % of 3x
spikes; set GRAPEVINE_ALERT_ALPHA=0.001 where a quieter channel matters more than recall.

Severity (1-10) grows three points per doubling of the expected count, plus up to two points
for improbability far beyond the threshold: 1.5x is about 3, 2x about 4-6, 3x about 6-8,
5x and more 8-10.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Generic, Literal, Protocol, TypeVar

import numpy as np
from scipy import special

K = TypeVar("K", bound=Hashable)
Correction = Literal["holm", "bh", "bonferroni"]
UntestedKind = Literal["short_history", "no_other_mentions"]


class Dated(Protocol):
    """A day of some series (``DayCount`` here, ``surge.VolumeDay`` for volume)."""

    @property
    def day(self) -> date: ...


D = TypeVar("D", bound=Dated)


class HasBaseline(Protocol):
    """A detector configuration: how many days before a window its baseline spans."""

    @property
    def baseline_days(self) -> int: ...


class Tested(Protocol):
    """What :class:`Coverage` needs of an evaluation (badvocacy or volume)."""

    @property
    def testable(self) -> bool: ...
    @property
    def history_days(self) -> int: ...
    @property
    def reason(self) -> str | None: ...
    @property
    def reason_kind(self) -> UntestedKind | None: ...


KIND = "badvocacy_spike"
OUTLIER_Z = 4.0


@dataclass(frozen=True, slots=True)
class DayCount:
    """One day of one brand's series: badvocacy mentions among the rated ones."""

    day: date
    badvocacy: int
    rated: int


@dataclass(frozen=True, slots=True)
class DetectorConfig:
    """Knobs of the detector; the defaults are the benchmark's."""

    min_count: int = 10
    alpha: float = 0.05
    share_alpha: float = 0.05
    correction: Correction = "holm"
    baseline_days: int = 28
    min_history_days: int = 14
    seasonal_min_per_weekday: int = 3
    seasonal_p: float = 0.01
    min_dispersion: float = 0.02
    min_share_correlation: float = 0.002

    def __post_init__(self) -> None:
        # A baseline shorter than the history a test needs makes every window untestable:
        # the detector would run, report nothing, and look like a quiet week.
        if self.min_history_days > self.baseline_days:
            raise ValueError(
                f"min_history_days ({self.min_history_days}) exceeds baseline_days "
                f"({self.baseline_days}): no window could ever be tested"
            )


def short_history_reason(needed: int, has: str | int) -> str:
    """Why a brand-day was not tested, in the words the CLI, the logs and the report use."""
    return f"needs {needed} days of history; has {has}"


NO_OTHER_MENTIONS = "no rated mentions other than badvocacy in the baseline"


@dataclass(slots=True)
class Coverage:
    """How many brand-days a run tested, and why the others could not be.

    Why it exists: "no spikes in 48 brand-days" and "48 brand-days could not be tested" look
    the same from the outside (no alert), but only the first is news; a run on a new warehouse
    with a week of data would otherwise pass for a quiet week.
    """

    min_history_days: int
    tested: int = 0
    short_history: list[int] = field(default_factory=list)
    other_reasons: dict[str, int] = field(default_factory=dict)

    def add(self, evaluation: Tested) -> None:
        if evaluation.testable:
            self.tested += 1
        elif evaluation.reason_kind == "short_history":
            self.short_history.append(evaluation.history_days)
        else:
            reason = evaluation.reason or "not testable"
            self.other_reasons[reason] = self.other_reasons.get(reason, 0) + 1

    @property
    def untested(self) -> int:
        return len(self.short_history) + sum(self.other_reasons.values())

    def reasons(self) -> dict[str, int]:
        """``{reason: brand-days}``; short histories collapse into one "has 3-9" line."""
        out: dict[str, int] = {}
        if self.short_history:
            lo, hi = min(self.short_history), max(self.short_history)
            has = str(lo) if lo == hi else f"{lo}-{hi}"
            out[short_history_reason(self.min_history_days, has)] = len(self.short_history)
        out.update(self.other_reasons)
        return out

    def describe(self) -> str:
        """One sentence: "48 brand-days tested; 12 could not be (needs 14 days ...: 12)"."""
        text = f"{self.tested:,} brand-days tested"
        if self.untested:
            why = ", ".join(f"{reason}: {n:,}" for reason, n in self.reasons().items())
            text += f"; {self.untested:,} could not be ({why})"
        return text


@dataclass(frozen=True, slots=True)
class Evaluation:
    """What the detector concluded for one brand and window, before the correction."""

    day: date
    observed: int
    rated: int
    expected: float
    share: float | None
    baseline_share: float | None
    p_count: float
    p_share: float
    history_days: int
    seasonal: bool = False
    dispersion: float = 0.0
    testable: bool = True
    reason: str | None = None
    reason_kind: UntestedKind | None = None

    @property
    def p_value(self) -> float:
        """The p-value that is corrected across brands: the count test's."""
        return self.p_count


@dataclass(frozen=True, slots=True)
class Finding(Generic[K]):
    """An alert to raise: the evaluation, its corrected p-value and a severity."""

    key: K
    evaluation: Evaluation
    p_adjusted: float
    severity: int
    extra: dict[str, object] = field(default_factory=dict)


def baseline_window(
    history: Sequence[D], day: date, config: HasBaseline, exclude: Collection[date] = ()
) -> list[D]:
    """The trailing ``baseline_days`` before ``day``, without the excluded (alerted) days."""
    out = []
    for h in history:
        age = (day - h.day).days
        if 1 <= age <= config.baseline_days and h.day not in exclude:
            out.append(h)
    return out


def weekday_rates(baseline: Sequence[DayCount], config: DetectorConfig) -> np.ndarray | None:
    """Relative badvocacy rate per weekday (Monday..Sunday, 1 = the overall rate), or None.

    ``None`` when some weekday has fewer than ``seasonal_min_per_weekday`` baseline days, or
    when a chi-square test finds no weekday difference in the rate (p >= ``seasonal_p``). Each
    weekday's rate is shrunk toward the overall one by five pseudo-posts, so a weekday with
    little badvocacy does not get a factor of zero.
    """
    bad = np.zeros(7)
    other = np.zeros(7)
    days = np.zeros(7)
    for h in baseline:
        w = h.day.weekday()
        days[w] += 1
        bad[w] += h.badvocacy
        other[w] += max(h.rated - h.badvocacy, 0)
    if days.min() < config.seasonal_min_per_weekday or bad.sum() <= 0 or other.sum() <= 0:
        return None
    # Only when the weekdays really differ: seven factors estimated from four weeks add noise
    # of their own, which would make ordinary days look surprising.
    table = np.vstack([bad, other])
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        cells = np.where(expected > 0, (table - expected) ** 2 / expected, 0.0)
    if float(special.chdtrc(6, cells.sum())) >= config.seasonal_p:
        return None
    overall = bad.sum() / other.sum()
    pseudo = 5.0
    rates: np.ndarray = (bad + pseudo) / (other + pseudo / overall)
    return rates / overall  # type: ignore[no-any-return]


def nbinom_at_least(k: int, size: float, prob: float) -> float:
    """P(X >= k) for a negative binomial (scipy's parametrisation), via the incomplete beta.

    The same number as ``scipy.stats.nbinom.sf(k - 1, size, prob)`` at a fraction of the
    cost (the benchmark calls it tens of thousands of times).
    """
    if k <= 0:
        return 1.0
    return float(min(max(special.betainc(k, size, 1.0 - prob), 0.0), 1.0))


def betabinom_at_least(k: int, n: int, a: float, b: float) -> float:
    """P(X >= k) for a beta-binomial, summing the upper tail in log space."""
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    j = np.arange(k, n + 1, dtype=float)
    log_pmf = (
        special.gammaln(n + 1.0)
        - special.gammaln(j + 1.0)
        - special.gammaln(n - j + 1.0)
        + special.betaln(j + a, n - j + b)
        - special.betaln(a, b)
    )
    return float(min(max(np.exp(special.logsumexp(log_pmf)), 0.0), 1.0))


def inliers(values: np.ndarray, floor: float) -> np.ndarray:
    """Days within ``OUTLIER_Z`` robust standard deviations (1.4826 MAD) of the median.

    One unalerted spike in 28 days would otherwise inflate the baseline's variance for four
    weeks and hide the next spike; the MAD is not moved by a few such days. ``floor`` keeps the
    cut sensible when most days are equal (MAD = 0).
    """
    median = float(np.median(values))
    spread = max(1.4826 * float(np.median(np.abs(values - median))), floor)
    return np.abs(values - median) <= OUTLIER_Z * spread


def count_p_value(
    observed: int, rated: int, baseline: Sequence[DayCount], day: date, config: DetectorConfig
) -> tuple[float, float, float, bool]:
    """P(X >= observed) under the negative-binomial baseline; also (expected, dispersion, seasonal).

    The expected count is the baseline badvocacy *rate per other mention* times today's other
    (non-badvocacy) rated mentions: the day's conversation volume is the exposure. So a day with
    twice the usual traffic expects twice the usual badvocacy (volume surges and the weekly cycle
    of traffic are absorbed), while extra badvocacy posts, which do not add other mentions, stand
    out. Weekday differences in the rate itself are modelled when the history allows.
    """
    days = [h for h in baseline if h.rated - h.badvocacy > 0]
    if not days:
        return 1.0, float("nan"), 0.0, False
    bad = np.array([h.badvocacy for h in days], dtype=float)
    other = np.array([h.rated - h.badvocacy for h in days], dtype=float)
    rate_all = (bad.sum() + 0.5) / other.sum()
    # Outliers are judged after a first seasonal fit (a strong weekday pattern is not an
    # outlier), and the seasonality is fitted again without them (one spike must not invent
    # a weekday pattern).
    first = weekday_rates(days, config)
    g = np.array([first[h.day.weekday()] for h in days]) if first is not None else 1.0
    floor = rate_all / np.sqrt(max(float(np.median(other)) * rate_all, 1.0))
    keep = inliers(bad / (other * g), floor)
    days = [h for h, k in zip(days, keep, strict=True) if k]
    bad, other = bad[keep], other[keep]
    rates = weekday_rates(days, config)
    seasonal = rates is not None
    if rates is not None:
        exposure = other * np.array([rates[h.day.weekday()] for h in days])
    else:
        exposure = other
    g_today = float(rates[day.weekday()]) if rates is not None else 1.0
    rate0 = (bad.sum() + 0.5) / exposure.sum()  # half a pseudo-post: zero is not "impossible"
    mu = rate0 * exposure
    # Negative binomial: Var(X_t) = mu_t + phi * mu_t^2; method of moments for phi.
    n = len(bad)
    squares = float(np.sum((bad - mu) ** 2)) * n / max(n - 1, 1)  # the rate is fitted too
    phi = (squares - float(np.sum(mu))) / max(float(np.sum(mu**2)), 1e-9)
    phi = max(phi, config.min_dispersion)
    # Predictive: the rate itself is estimated from the baseline's badvocacy posts.
    phi_pred = phi + (1.0 + phi * float(mu.mean())) / (bad.sum() + 0.5)
    expected = rate0 * g_today * max(rated - observed, 1)
    size = 1.0 / phi_pred
    p = nbinom_at_least(observed, size, size / (size + expected))
    return p, expected, phi_pred, seasonal


def share_p_value(
    observed: int, rated: int, baseline: Sequence[DayCount], config: DetectorConfig
) -> tuple[float, float]:
    """P(share >= today's) under a beta-binomial baseline share; also the baseline share."""
    bad = np.array([h.badvocacy for h in baseline], dtype=float)
    tot = np.array([h.rated for h in baseline], dtype=float)
    used = tot > 0
    bad, tot = bad[used], tot[used]
    p0 = (bad.sum() + 0.5) / (tot.sum() + 1.0)
    if rated <= 0:
        return 1.0, p0
    rho = config.min_share_correlation
    if len(tot) > 1:
        # Pearson residuals; their median square estimates the dispersion robustly (the median
        # of a chi-square with one degree of freedom is 0.4549), then outlying days are dropped.
        resid = (bad - tot * p0) / np.sqrt(tot * p0 * (1 - p0))
        dispersion = float(np.median(resid**2)) / 0.4549
        rho = max(rho, (dispersion - 1.0) / max(float(np.median(tot)) - 1.0, 1.0))
        z = resid / np.sqrt(1.0 + (tot - 1.0) * rho)
        keep = np.abs(z) <= OUTLIER_Z
        bad, tot = bad[keep], tot[keep]
        p0 = (bad.sum() + 0.5) / (tot.sum() + 1.0)
    rho = min(rho, 0.5)
    # Concentration of the day-to-day share variation, combined with the estimation
    # uncertainty of p0 (a Beta posterior with concentration sum(rated) + 1).
    inv = rho + 1.0 / (tot.sum() + 2.0)
    concentration = max(1.0 / inv - 1.0, 1e-6)
    a, b = p0 * concentration, (1.0 - p0) * concentration
    p = betabinom_at_least(observed, rated, a, b)
    return p, float(p0)


def evaluate(
    history: Sequence[DayCount],
    today: DayCount,
    config: DetectorConfig | None = None,
    exclude: Collection[date] = (),
) -> Evaluation:
    """Test one brand's window against its baseline (``history`` may hold any days; only the
    trailing ``baseline_days`` before ``today``, minus ``exclude``, are used). Days without
    mentions must be present as zeros: a missing day is taken as "not observed"."""
    config = config or DetectorConfig()
    baseline = baseline_window(history, today.day, config, exclude)
    share = today.badvocacy / today.rated if today.rated else None
    reason = None
    kind: UntestedKind | None = None
    if len(baseline) < config.min_history_days:
        reason, kind = short_history_reason(config.min_history_days, len(baseline)), "short_history"
    elif not any(h.rated > h.badvocacy for h in baseline):
        reason, kind = NO_OTHER_MENTIONS, "no_other_mentions"
    if reason is not None:
        return Evaluation(
            day=today.day,
            observed=today.badvocacy,
            rated=today.rated,
            expected=float("nan"),
            share=share,
            baseline_share=None,
            p_count=1.0,
            p_share=1.0,
            history_days=len(baseline),
            testable=False,
            reason=reason,
            reason_kind=kind,
        )
    p_count, expected, phi, seasonal = count_p_value(
        today.badvocacy, today.rated, baseline, today.day, config
    )
    p_share, baseline_share = share_p_value(today.badvocacy, today.rated, baseline, config)
    return Evaluation(
        day=today.day,
        observed=today.badvocacy,
        rated=today.rated,
        expected=float(expected),
        share=share,
        baseline_share=float(baseline_share),
        p_count=float(p_count),
        p_share=float(p_share),
        history_days=len(baseline),
        seasonal=bool(seasonal),
        dispersion=float(phi),
    )


def adjust(p_values: Sequence[float], method: Correction = "holm") -> list[float]:
    """Multiplicity-adjusted p-values (Holm step-down, Benjamini-Hochberg step-up, Bonferroni)."""
    m = len(p_values)
    if m == 0:
        return []
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [1.0] * m
    if method == "bonferroni":
        return [min(1.0, p * m) for p in p_values]
    if method == "holm":
        running = 0.0
        for rank, i in enumerate(order):
            running = max(running, min(1.0, (m - rank) * p_values[i]))
            adjusted[i] = running
        return adjusted
    if method == "bh":
        running = 1.0
        for rank in range(m - 1, -1, -1):
            i = order[rank]
            running = min(running, p_values[i] * m / (rank + 1))
            adjusted[i] = min(1.0, running)
        return adjusted
    raise ValueError(f"unknown correction {method!r}: use holm, bh or bonferroni")


def severity(observed: int, expected: float, p_adjusted: float, alpha: float) -> int:
    """1-10: three points per doubling over the expected count, up to two for improbability."""
    ratio = observed / max(expected, 0.5)
    surprise = math.log10(alpha / max(p_adjusted, 1e-300)) / 3.0 if p_adjusted < alpha else 0.0
    score = 1.0 + 3.0 * math.log2(max(ratio, 1.0)) + min(2.0, max(0.0, surprise))
    return int(min(10, max(1, round(score))))


def fires(evaluation: Evaluation, p_adjusted: float, config: DetectorConfig) -> bool:
    """All the conditions: enough posts, an improbable count, a share that rose."""
    return (
        evaluation.observed >= config.min_count
        and p_adjusted < config.alpha
        and evaluation.observed > evaluation.expected
        and evaluation.p_share < config.share_alpha
    )


def decide(
    evaluations: Mapping[K, Evaluation], config: DetectorConfig | None = None
) -> list[Finding[K]]:
    """Correct across the brands tested for one window and keep those that fire."""
    config = config or DetectorConfig()
    keys = [k for k, e in evaluations.items() if e.testable]
    adjusted = adjust([evaluations[k].p_value for k in keys], config.correction)
    findings = []
    for key, p_adj in zip(keys, adjusted, strict=True):
        e = evaluations[key]
        if fires(e, p_adj, config):
            findings.append(
                Finding(key, e, p_adj, severity(e.observed, e.expected, p_adj, config.alpha))
            )
    return findings


def run_series(
    series: Mapping[K, Sequence[DayCount]],
    days: Sequence[date],
    config: DetectorConfig | None = None,
    already_alerted: Mapping[K, Collection[date]] | None = None,
    coverage: Coverage | None = None,
) -> list[Finding[K]]:
    """Walk ``days`` in order over several brands' series, as the alert stage and the benchmark
    do: each window is tested against a baseline that leaves out the windows alerted before it
    (given in ``already_alerted`` or found earlier in this walk). ``coverage``, when given,
    counts the brand-days tested and why the others were not."""
    config = config or DetectorConfig()
    alerted: dict[K, set[date]] = {k: set(v) for k, v in (already_alerted or {}).items()}
    by_day: dict[K, dict[date, DayCount]] = {k: {d.day: d for d in s} for k, s in series.items()}
    findings: list[Finding[K]] = []
    for day in sorted(days):
        evaluations = {}
        for key, s in series.items():
            today = by_day[key].get(day)
            if today is None:
                continue
            evaluations[key] = evaluate(s, today, config, alerted.get(key, ()))
            if coverage is not None:
                coverage.add(evaluations[key])
        for finding in decide(evaluations, config):
            alerted.setdefault(finding.key, set()).add(day)
            findings.append(finding)
    return findings
