"""Tests of forecast skill: is one forecast's loss really smaller, is its direction real?

Every function takes plain arrays and returns a :class:`Significance` ``(statistic, p_value)``,
so it serves a single split as well as out-of-sample forecasts pooled from a backtest.

- Diebold & Mariano (1995) with the small-sample correction of Harvey, Leybourne & Newbold
  (1997), "HLN" below: equal squared-error loss of two forecasts, two-sided. For step ``k`` of
  a multi-step forecast the loss differential is autocorrelated up to lag ``k - 1`` (consecutive
  origins share ``k - 1`` future shocks), so the variance uses ``k - 1`` lags;
  :func:`diebold_mariano_steps` runs one test per step, :func:`diebold_mariano_mean` one test on
  the loss differential averaged over the steps of each origin (``h - 1`` lags), and
  :func:`diebold_mariano_losses` the same test on any per-point losses (interval scores).
- Pesaran & Timmermann (1992): does the forecast's direction agree with the realised direction
  more often than two independent series with the same up-frequencies would? One-sided.
- Clark & West (2007): for a model that nests the restricted forecast (a return model can output
  zero, which is the naive forecast), DM is biased towards the small model; the CW statistic adds
  back the noise the large model pays for estimating a parameter that is zero. One-sided.

The long-run variance (:func:`long_run_variance`) is the rectangular-kernel estimate that DM and
HLN derived their correction for; with 250 origins it kept the size of the averaged test at 5%
within two percentage points at ``h`` up to 5 where Bartlett weights with the same lags rejected
9% (``benchmarks/dm_size.py``). When it is not positive the Newey & West (1987) Bartlett weights,
which never are, take over.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy import stats as sp_stats

from lstmlab.errors import DataError
from lstmlab.validation import require_int, require_paired

__all__ = [
    "Significance",
    "clark_west",
    "diebold_mariano",
    "diebold_mariano_losses",
    "diebold_mariano_mean",
    "diebold_mariano_steps",
    "long_run_variance",
    "pesaran_timmermann",
]

_NAN_PAIR = (math.nan, math.nan)


class Significance(NamedTuple):
    """A test's statistic and p-value; NaN when the test is undefined (see each function)."""

    statistic: float
    p_value: float

    def significant(self, level: float = 0.05) -> bool:
        """Whether the p-value is below ``level`` (False when it is NaN)."""
        return bool(self.p_value < level)


def long_run_variance(d: np.ndarray, lags: int) -> float:
    """HAC estimate of ``T * Var(mean(d))`` from autocovariances up to ``lags``.

    ``gamma_j = sum_{t > j} (d_t - mean)(d_{t-j} - mean) / T`` and the estimate is
    ``gamma_0 + 2 * sum_{j=1}^{lags} w_j * gamma_j`` with rectangular weights ``w_j = 1``; if that
    is not positive, Bartlett weights ``w_j = 1 - j / (lags + 1)`` (Newey & West 1987).
    """
    centred = np.asarray(d, dtype=np.float64) - np.mean(d)
    n = centred.size
    gammas = np.array([centred[j:] @ centred[: n - j] / n for j in range(lags + 1)])  # (lags+1,)
    variance = gammas[0] + 2.0 * gammas[1:].sum()
    if variance <= 0.0:
        bartlett = 1.0 - np.arange(1, lags + 1) / (lags + 1)
        variance = gammas[0] + 2.0 * (bartlett @ gammas[1:])
    return float(variance)


def _without_variance(mean: float) -> Significance:
    """The verdict when the estimated variance is zero: a constant non-zero differential means
    one forecast wins by the same margin every time (statistic ±inf, p-value 0); a zero mean
    leaves nothing to test (NaN)."""
    if mean == 0.0:
        return Significance(*_NAN_PAIR)
    return Significance(math.copysign(math.inf, mean), 0.0)


def _dm_on_differential(d: np.ndarray, horizon: int) -> Significance:
    """HLN-corrected DM test that the mean of the loss differential ``d (T,)`` is zero."""
    n = d.size
    if n <= horizon:
        raise DataError(f"the Diebold-Mariano test needs more points than the horizon, "
                        f"got {n} point(s) for horizon {horizon}")
    if not d.any():  # equally good at every point
        return Significance(*_NAN_PAIR)
    variance = long_run_variance(d, horizon - 1)
    if variance <= 0.0:
        return _without_variance(float(d.mean()))
    hln = math.sqrt((n + 1 - 2 * horizon + horizon * (horizon - 1) / n) / n)
    statistic = d.mean() / math.sqrt(variance / n) * hln
    return Significance(float(statistic), float(2.0 * sp_stats.t.sf(abs(statistic), df=n - 1)))


def diebold_mariano(errors_a: object, errors_b: object, horizon: int = 1) -> Significance:
    """DM test with the HLN correction of equal squared-error loss, ``horizon - 1`` lags.

    With ``d_t = errors_a[t]**2 - errors_b[t]**2`` over ``T`` points, ``DM = mean(d) /
    sqrt(long_run_variance(d, h - 1) / T)``; HLN scale it by ``sqrt((T + 1 - 2h + h(h - 1) / T)
    / T)`` and compare it with Student's t on ``T - 1`` degrees of freedom.

    Args:
        errors_a, errors_b: errors (actual - forecast) of two forecasts of the same points, (T,).
        horizon: steps ahead of the forecasts (``k`` for step ``k``).

    Returns:
        Two-sided test; a negative statistic means forecast ``a`` has the smaller loss. NaN when
        ``d`` is identically zero; a statistic of ±inf and p-value 0 when ``d`` is a non-zero
        constant.
    """
    errors_a, errors_b = require_paired(errors_a=errors_a, errors_b=errors_b)
    horizon = require_int("horizon", horizon, error=DataError)
    return _dm_on_differential(errors_a**2 - errors_b**2, horizon)


def diebold_mariano_losses(losses_a: object, losses_b: object, horizon: int = 1
                           ) -> Significance:
    """DM test (HLN correction, ``horizon - 1`` lags) of equal mean loss for any per-point
    losses of two forecasts of the same points, ``(T,)`` each: the interval (Winkler) scores of
    two bands, pinball losses, CRPS. ``diebold_mariano`` is this test on squared errors.

    Two-sided; a negative statistic means forecast ``a`` has the smaller mean loss.
    """
    losses_a, losses_b = require_paired(losses_a=losses_a, losses_b=losses_b)
    horizon = require_int("horizon", horizon, error=DataError)
    return _dm_on_differential(losses_a - losses_b, horizon)


def diebold_mariano_steps(errors_a: object, errors_b: object) -> list[Significance]:
    """One DM test per step: ``errors_a (N, h)`` against ``errors_b (N, h)``, step ``k`` with
    ``k - 1`` lags. Rows are consecutive forecast origins."""
    errors_a, errors_b = require_paired(errors_a=errors_a, errors_b=errors_b, ndim=2)
    return [_dm_on_differential(errors_a[:, k] ** 2 - errors_b[:, k] ** 2, k + 1)
            for k in range(errors_a.shape[1])]


def diebold_mariano_mean(errors_a: object, errors_b: object) -> Significance:
    """One DM test over all steps: on ``d_t = mean_k(errors_a[t, k]**2 - errors_b[t, k]**2)``.

    ``errors_a`` and ``errors_b`` are ``(N, h)`` with rows at consecutive origins; ``d_t``
    depends on the shocks of days ``t + 1 .. t + h``, hence ``h - 1`` lags. This is the test that
    says whether a multi-step forecast is better overall, at the right size.
    """
    errors_a, errors_b = require_paired(errors_a=errors_a, errors_b=errors_b, ndim=2)
    d = np.mean(errors_a**2 - errors_b**2, axis=1)  # (N,)
    return _dm_on_differential(d, errors_a.shape[1])


def pesaran_timmermann(actual_change: object, predicted_change: object) -> Significance:
    """Pesaran-Timmermann test that predicted directions carry information, one-sided.

    With ``P`` the hit rate, ``p_y`` and ``p_x`` the frequencies of actual and predicted rises,
    ``P* = p_y p_x + (1 - p_y)(1 - p_x)`` is the hit rate of independent directions, and
    ``PT = (P - P*) / sqrt(V(P) - V(P*))`` with ``V(P) = P*(1 - P*) / n`` and ``V(P*) =
    ((2p_y - 1)^2 p_x(1 - p_x) + (2p_x - 1)^2 p_y(1 - p_y)) / n + 4 p_y p_x (1 - p_y)(1 - p_x) /
    n^2`` is standard normal under independence. Unlike a binomial test against 1/2 it does not
    credit "always up" in a rising market.

    Args:
        actual_change: realised change from the forecast origin, (T,).
        predicted_change: forecast change from the same origin, (T,).

    Returns:
        ``p_value = P(N(0, 1) >= PT)``. Points where either change is zero are left out. NaN when
        the forecast or the outcome always has the same sign (no direction skill can show).
    """
    actual, predicted = require_paired(actual_change=actual_change,
                                       predicted_change=predicted_change)
    moved = (actual != 0) & (predicted != 0)
    y, x = actual[moved] > 0, predicted[moved] > 0  # (n,) rises
    n = y.size
    if n == 0:
        return Significance(*_NAN_PAIR)
    p_y, p_x = y.mean(), x.mean()
    p_star = p_y * p_x + (1 - p_y) * (1 - p_x)
    v_hit = p_star * (1 - p_star) / n
    v_star = (((2 * p_y - 1) ** 2 * p_x * (1 - p_x) + (2 * p_x - 1) ** 2 * p_y * (1 - p_y)) / n
              + 4 * p_y * p_x * (1 - p_y) * (1 - p_x) / n**2)
    if v_hit - v_star <= 0.0:
        return Significance(*_NAN_PAIR)
    statistic = (np.mean(x == y) - p_star) / math.sqrt(v_hit - v_star)
    return Significance(float(statistic), float(sp_stats.norm.sf(statistic)))


def clark_west(
    actual: object, restricted: object, unrestricted: object, horizon: int = 1
) -> Significance:
    """Clark-West test that a larger model forecasts better than the nested restricted one.

    ``f_t = (y - r)^2 - [(y - u)^2 - (r - u)^2]``, which equals ``2 (y - r)(u - r)``: the
    restricted forecast's squared error less the larger model's, adjusted for the noise the
    larger model adds. ``CW = mean(f) / sqrt(long_run_variance(f, h - 1) / T)`` is compared with
    the standard normal, one-sided (Clark & West 2007).

    Args:
        actual: realised values, (T,).
        restricted: the nested forecast, for lstmlab the naive one, (T,).
        unrestricted: the larger model's forecast, (T,).
        horizon: steps ahead (``k`` for step ``k``), sets the ``k - 1`` lags.

    Returns:
        ``p_value = P(N(0, 1) >= CW)``; NaN when the two forecasts are identical.
    """
    y, r, u = require_paired(actual=actual, restricted=restricted, unrestricted=unrestricted)
    horizon = require_int("horizon", horizon, error=DataError)
    if y.size <= horizon:
        raise DataError(f"the Clark-West test needs more points than the horizon, got "
                        f"{y.size} point(s) for horizon {horizon}")
    if not np.any(u != r):
        return Significance(*_NAN_PAIR)
    f = (y - r) ** 2 - ((y - u) ** 2 - (r - u) ** 2)  # (T,)
    variance = long_run_variance(f, horizon - 1)
    if variance <= 0.0:
        return _without_variance(float(f.mean()))
    statistic = f.mean() / math.sqrt(variance / y.size)
    return Significance(float(statistic), float(sp_stats.norm.sf(statistic)))
