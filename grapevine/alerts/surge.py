"""Volume-surge detection: pure statistics, no I/O.

A badvocacy spike says customers warn each other more than usual; a *surge* says they talk
about the brand much more than usual, whatever they say (a crisis, a campaign, a viral post).
For one brand and one window (a calendar day in GRAPEVINE_TIMEZONE) the detector compares the
day's C2C mentions with the same trailing baseline as the badvocacy test (``baseline_days``
before the day, already-surged days left out, at least ``min_history_days`` of them) and fires a
``volume_surge`` when all of these hold:

1. **Enough mentions**: at least ``min_count`` (GRAPEVINE_ALERT_SURGE_MIN_COUNT, default 30).
2. **More than expected and improbable**: P(X >= today's mentions) < ``alpha`` after correcting
   over the brands tested for the same day (the badvocacy test's alpha and correction, Holm by
   default). The expected count comes from a log-linear negative-binomial regression on the
   baseline days (in the spirit of Farrington's outbreak detection, which public-health
   surveillance uses for counts like these):

   - **weekday** levels (six dummies) whenever the baseline has three of every weekday: social
     volume almost always has a weekly cycle, and a test for it from four weeks misses the
     common weekend bump, which then alerts every busy Saturday;
   - a **trend** (log mentions linear in time), kept when it rises and its Wald test gives
     p < ``trend_p``: a brand that grows steadily expects today's volume on its growth path,
     not the four-week average, so steady growth does not alert. A falling trend is not
     extrapolated (noise that made one significant would turn ordinary days into surges);
   - days further than four robust standard deviations (MAD) from a first fit are left out
     (an unalerted surge or an outage must not move the baseline);
   - the dispersion (Var = mu + phi mu^2) is estimated by the method of moments, with a floor;
   - the p-value allows for what four weeks cannot pin down: the prediction's own uncertainty
     (the covariance of the fitted terms at today's row) and the uncertainty of the dispersion
     (averaged over its scaled inverse chi-square, as a t-test does).

Severity (1-10) is the badvocacy test's: three points per doubling of the expected count, plus
up to two for improbability. ``benchmarks/alerts_bench.py`` measures the false alarms per
brand-quarter (days with neither a planted surge nor a badvocacy spike) and the recall of the
planted 2-4x surges, on the badvocacy benchmark's simulated brands and watchlists.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeVar

import numpy as np
from scipy import special

from grapevine.alerts.detect import (
    Correction,
    Coverage,
    UntestedKind,
    adjust,
    baseline_window,
    inliers,
    severity,
    short_history_reason,
)

K = TypeVar("K", bound=Hashable)

KIND = "volume_surge"


@dataclass(frozen=True, slots=True)
class VolumeDay:
    """One day of one brand's series: its C2C mentions (whatever their labels)."""

    day: date
    mentions: int


@dataclass(frozen=True, slots=True)
class SurgeConfig:
    """Knobs of the surge detector; history, alpha and correction are the badvocacy test's."""

    min_count: int = 30
    alpha: float = 0.05
    correction: Correction = "holm"
    baseline_days: int = 28
    min_history_days: int = 14
    seasonal_min_per_weekday: int = 3
    trend_p: float = 0.05
    min_dispersion: float = 0.02

    def __post_init__(self) -> None:
        if self.min_history_days > self.baseline_days:
            raise ValueError(
                f"min_history_days ({self.min_history_days}) exceeds baseline_days "
                f"({self.baseline_days}): no window could ever be tested"
            )


@dataclass(frozen=True, slots=True)
class SurgeEvaluation:
    """What the surge detector concluded for one brand and day, before the correction."""

    day: date
    observed: int
    expected: float
    p_value: float
    history_days: int
    seasonal: bool = False
    #: Fitted growth per day (1.02 = +2 % a day); None when no trend was kept.
    trend: float | None = None
    dispersion: float = 0.0
    testable: bool = True
    reason: str | None = None
    reason_kind: UntestedKind | None = None


@dataclass(frozen=True, slots=True)
class Surge(Generic[K]):
    """A surge to raise: the evaluation, its corrected p-value and a severity."""

    key: K
    evaluation: SurgeEvaluation
    p_adjusted: float
    severity: int


@dataclass(frozen=True, slots=True)
class _Fit:
    beta: np.ndarray
    mu: np.ndarray
    information: np.ndarray

    @property
    def cov(self) -> np.ndarray:
        """The coefficients' covariance: the inverse Fisher information."""
        return np.linalg.pinv(self.information)


def _design(
    days: Sequence[date], today: date, weekdays: bool, trend: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Rows for the baseline days and today's row: intercept, [days before today], [six
    weekday dummies, Monday the reference]. Time is counted from today, so the intercept is
    today's level."""

    def row(d: date) -> list[float]:
        out = [1.0]
        if trend:
            out.append(float((d - today).days))
        if weekdays:
            out.extend(1.0 if d.weekday() == w else 0.0 for w in range(1, 7))
        return out

    return np.array([row(d) for d in days]), np.array(row(today))


def _fit(y: np.ndarray, x: np.ndarray, phi: float, start: np.ndarray | None = None) -> _Fit:
    """Negative-binomial regression (log link, dispersion ``phi`` held fixed) by iteratively
    reweighted least squares, from ``start`` (coefficients) or from the data."""
    eta = np.clip(x @ start, -30.0, 30.0) if start is not None else np.log(y + 0.5)
    mu = np.exp(eta)
    beta = np.zeros(x.shape[1])
    for _ in range(50):
        w = mu / (1.0 + phi * mu)
        z = eta + (y - mu) / mu
        beta = _solve((x.T * w) @ x, (x.T * w) @ z)
        new = np.clip(x @ beta, -30.0, 30.0)
        done = float(np.max(np.abs(new - eta))) < 1e-8
        eta, mu = new, np.exp(new)
        if done:
            break
    w = mu / (1.0 + phi * mu)
    return _Fit(beta, mu, (x.T * w) @ x)


def _solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(a, b)
    except np.linalg.LinAlgError:  # a weekday without mentions: a singular column
        return np.linalg.lstsq(a, b, rcond=None)[0]  # type: ignore[no-any-return]


def _dispersion(y: np.ndarray, mu: np.ndarray, params: int, floor: float) -> float:
    """Method of moments for Var = mu + phi mu^2 (degrees of freedom for the fitted terms)."""
    n = len(y)
    squares = float(np.sum((y - mu) ** 2)) * n / max(n - params, 1)
    phi = (squares - float(np.sum(mu))) / max(float(np.sum(mu**2)), 1e-9)
    return max(phi, floor)


def _fit_dispersed(
    y: np.ndarray, x: np.ndarray, floor: float, start: np.ndarray | None = None
) -> tuple[_Fit, float]:
    """Fit and dispersion, alternated (from a Poisson fit; three rounds are plenty)."""
    phi = floor
    fit = _fit(y, x, 0.0, start)
    for _ in range(3):
        phi = _dispersion(y, fit.mu, x.shape[1], floor)
        fit = _fit(y, x, phi, fit.beta)
    return fit, phi


def _wald_p(fit: _Fit, columns: slice) -> float:
    """p-value of the Wald test that the coefficients in ``columns`` are all zero."""
    b = fit.beta[columns]
    cov = fit.cov[columns, columns]
    stat = float(b @ np.linalg.pinv(cov) @ b)
    return float(special.chdtrc(len(b), stat))


@dataclass(frozen=True, slots=True)
class VolumeModel:
    """Today's volume as the baseline predicts it (see :func:`expected_volume`)."""

    #: Median prediction of today's mean (exp of the linear predictor).
    level: float
    #: Variance of the log of that prediction (fitted level, trend and weekday terms).
    log_variance: float
    #: Negative-binomial dispersion of a day around its mean: Var = mu + phi mu^2.
    dispersion: float
    #: Residual degrees of freedom the dispersion was estimated with (0: not estimated).
    df: int
    seasonal: bool = False
    growth: float | None = None

    @property
    def expected(self) -> float:
        """The mean of the prediction: exp(log level + variance / 2)."""
        return self.level * math.exp(min(self.log_variance / 2.0, 30.0))


def expected_volume(baseline: Sequence[VolumeDay], today: date, config: SurgeConfig) -> VolumeModel:
    """Today's volume as predicted from the baseline (see the module docstring for the model)."""
    days = [h.day for h in baseline]
    y = np.array([h.mentions for h in baseline], dtype=float)
    if y.sum() < 10:
        # Too few mentions to fit any shape: a flat rate with half a pseudo-mention, so that
        # a brand nobody talked about can still surge, but one mention is no surprise.
        return VolumeModel(
            level=(y.sum() + 0.5) / len(y),
            log_variance=1.0 / (y.sum() + 0.5),
            dispersion=config.min_dispersion,
            df=0,
        )

    # Outliers are judged against the full model, fitted twice: the second time without the
    # first pass's outliers, so one huge day cannot bend the fit that judges it.
    weekdays = _every_weekday(days, config.seasonal_min_per_weekday)
    x, _ = _design(days, today, weekdays, True)
    keep = np.ones(len(y), dtype=bool)
    fit = None
    for _ in range(2):
        fit = _fit(y[keep], x[keep], 0.0, None if fit is None else fit.beta)
        mu_all = np.exp(np.clip(x @ fit.beta, -30.0, 30.0))
        floor = 1.0 / math.sqrt(max(float(np.median(mu_all)), 1.0))
        keep = inliers(y / np.maximum(mu_all, 1e-9), floor)
    days = [d for d, k in zip(days, keep, strict=True) if k]
    y = y[keep]
    weekdays = weekdays and _every_weekday(days, config.seasonal_min_per_weekday)

    # The trend is kept only when the baseline shows it (a Wald test on the full model), and
    # only when it rises: a falling one that noise made significant would predict too little
    # for today and turn an ordinary day into a surge (and a brand in decline that is back at
    # its usual level is no news either).
    x, _ = _design(days, today, weekdays, True)
    start = fit.beta if fit is not None and len(fit.beta) == x.shape[1] else None
    fit, phi = _fit_dispersed(y, x, config.min_dispersion, start)
    trend = float(fit.beta[1]) > 0 and _wald_p(fit, slice(1, 2)) < config.trend_p
    x, x0 = _design(days, today, weekdays, trend)
    if not trend:
        fit, phi = _fit_dispersed(y, x, config.min_dispersion, np.delete(fit.beta, 1))
    return VolumeModel(
        level=math.exp(min(float(x0 @ fit.beta), 30.0)),
        log_variance=float(x0 @ fit.cov @ x0),
        dispersion=phi,
        df=len(y) - x.shape[1],
        seasonal=weekdays,
        growth=math.exp(float(fit.beta[1])) if trend else None,
    )


def _every_weekday(days: Sequence[date], at_least: int) -> bool:
    return bool(np.bincount([d.weekday() for d in days], minlength=7).min() >= at_least)


#: Grid over log(c), the ratio of the true to the estimated day-to-day variance.
_LOG_SCALE = np.linspace(-4.0, 7.0, 221)


def surge_p_value(observed: int, model: VolumeModel) -> float:
    """P(X >= observed) for today's mentions under the baseline's model.

    A negative binomial around the predicted mean, widened for the prediction's own uncertainty
    (log(mu) ~ N(log level, log_variance), so 1 + phi becomes (1 + phi) e^variance), and averaged
    over the uncertainty of the day-to-day variance itself, which four weeks estimate only
    roughly: the true variance is the estimate times c, c ~ df / chi-square(df), as in a
    t-test. Without that average an underestimated dispersion makes ordinary days look
    improbable (measured on simulated baselines: three times too many p < 0.005).
    """
    if observed <= 0:
        return 1.0
    if model.df > 0:
        scale = np.exp(_LOG_SCALE)
        x = model.df / scale
        half = model.df / 2.0
        log_density = half * np.log(x) - x / 2.0  # chi-square(df) at x, times x (d log c)
        weights = np.exp(log_density - log_density.max())
        weights /= weights.sum()
    else:
        scale, weights = np.ones(1), np.ones(1)
    mu = model.level
    phi = np.maximum((scale * (mu + model.dispersion * mu**2) - mu) / mu**2, 1e-6)
    v = np.minimum(model.log_variance * scale, 30.0)
    mean = mu * np.exp(v / 2.0)
    size = 1.0 / ((1.0 + phi) * np.exp(v) - 1.0)
    tails = special.betainc(observed, size, mean / (size + mean))
    return float(min(max(float(np.sum(weights * tails)), 0.0), 1.0))


def evaluate_surge(
    history: Sequence[VolumeDay],
    today: VolumeDay,
    config: SurgeConfig | None = None,
    exclude: Collection[date] = (),
) -> SurgeEvaluation:
    """Test one brand's day against its baseline (``history`` may hold any days; only the
    trailing ``baseline_days`` before ``today``, minus ``exclude``, are used). Days without
    mentions must be present as zeros: a missing day is taken as "not observed"."""
    config = config or SurgeConfig()
    baseline = baseline_window(history, today.day, config, exclude)
    if len(baseline) < config.min_history_days:
        return SurgeEvaluation(
            day=today.day,
            observed=today.mentions,
            expected=float("nan"),
            p_value=1.0,
            history_days=len(baseline),
            testable=False,
            reason=short_history_reason(config.min_history_days, len(baseline)),
            reason_kind="short_history",
        )
    model = expected_volume(baseline, today.day, config)
    return SurgeEvaluation(
        day=today.day,
        observed=today.mentions,
        expected=float(model.expected),
        p_value=surge_p_value(today.mentions, model),
        history_days=len(baseline),
        seasonal=model.seasonal,
        trend=model.growth,
        dispersion=float(model.dispersion),
    )


def surge_fires(evaluation: SurgeEvaluation, p_adjusted: float, config: SurgeConfig) -> bool:
    """Enough mentions, more than expected, and improbable after the correction."""
    return (
        evaluation.observed >= config.min_count
        and evaluation.observed > evaluation.expected
        and p_adjusted < config.alpha
    )


def decide_surges(
    evaluations: Mapping[K, SurgeEvaluation], config: SurgeConfig | None = None
) -> list[Surge[K]]:
    """Correct across the brands tested for one day and keep those that fire."""
    config = config or SurgeConfig()
    keys = [k for k, e in evaluations.items() if e.testable]
    adjusted = adjust([evaluations[k].p_value for k in keys], config.correction)
    out = []
    for key, p_adj in zip(keys, adjusted, strict=True):
        e = evaluations[key]
        if surge_fires(e, p_adj, config):
            out.append(Surge(key, e, p_adj, severity(e.observed, e.expected, p_adj, config.alpha)))
    return out


def run_surges(
    series: Mapping[K, Sequence[VolumeDay]],
    days: Sequence[date],
    config: SurgeConfig | None = None,
    already_alerted: Mapping[K, Collection[date]] | None = None,
    coverage: Coverage | None = None,
) -> list[Surge[K]]:
    """Walk ``days`` in order over several brands' series, as ``detect.run_series`` does: each
    day is tested against a baseline without the days that surged before it."""
    config = config or SurgeConfig()
    alerted: dict[K, set[date]] = {k: set(v) for k, v in (already_alerted or {}).items()}
    by_day = {k: {d.day: d for d in s} for k, s in series.items()}
    found: list[Surge[K]] = []
    for day in sorted(days):
        evaluations = {}
        for key, s in series.items():
            today = by_day[key].get(day)
            if today is None:
                continue
            evaluations[key] = evaluate_surge(s, today, config, alerted.get(key, ()))
            if coverage is not None:
                coverage.add(evaluations[key])
        for surge in decide_surges(evaluations, config):
            alerted.setdefault(surge.key, set()).add(day)
            found.append(surge)
    return found
