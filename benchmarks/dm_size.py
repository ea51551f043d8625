"""Size of lstmlab's forecast tests under a known null, by simulation (issue 10).

The null: a random walk ``P`` with N(0, 1) steps and, at each of ``N = 250`` consecutive origins
``t``, two forecasts of equal expected loss for steps ``k = 1..h``: ``P_t + k m_t`` and
``P_t - k m_t``, where ``m_t`` is the mean change over the previous 20 days (a drift estimate
that is pure noise for a random walk). The two are mirror images, so their squared errors have
the same expectation, and consecutive origins share ``k - 1`` future shocks, so the loss
differential is autocorrelated exactly as it is for real multi-step forecasts.

Printed, for h = 1, 2, 5, the rejection rate at 5% of

- the averaged test lstmlab uses for a whole ``h``-step forecast (``diebold_mariano_mean``),
- the per-step test at step ``h`` (``diebold_mariano``, ``h - 1`` lags),
- the test lstmlab used before: all ``N * h`` points pooled into one series, ``h - 1`` lags,
- Clark-West at step ``h``: the naive forecast against the nesting drift forecast ``P_t + k m_t``,
- Pesaran-Timmermann: the direction of ``m_t`` against the next step's, on a walk with drift
  0.1 (54% of days up), so that "more ups than downs" alone must not count as skill.

The last line is ``size at 5%: h=1 X, h=2 Y, h=5 Z`` for the averaged test; each should lie in
[0.03, 0.07]. Only numpy and lstmlab's statistics (scipy for the t and normal tails) run.

    python benchmarks/dm_size.py [--reps 10000] [--seed 0]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from lstmlab.stats import (
    clark_west,
    diebold_mariano,
    diebold_mariano_mean,
    pesaran_timmermann,
)

ORIGINS = 250
DRIFT_WINDOW = 20
HORIZONS = (1, 2, 5)
TESTS = ("averaged", "step h", "pooled (before)", "Clark-West", "Pesaran-Timmermann")


def simulate(horizon: int, n: int, rng: np.random.Generator, drift: float = 0.0) -> dict:
    """One random walk: actual future changes and the drift forecasts at ``n`` origins.

    Returns ``actual`` ``(n, h)`` changes ``P_{t+k} - P_t`` and ``drift`` ``(n, h)`` forecast
    changes ``k m_t``; prices are measured from ``P_t``, so the naive forecast is 0.
    """
    steps = rng.normal(drift, 1.0, n + horizon + DRIFT_WINDOW)
    walk = np.concatenate([[0.0], np.cumsum(steps)])  # (n + h + W + 1,)
    origin = np.arange(DRIFT_WINDOW, DRIFT_WINDOW + n)  # (n,)
    k = np.arange(1, horizon + 1)  # (h,)
    actual = walk[origin[:, None] + k] - walk[origin][:, None]  # (n, h)
    m = (walk[origin] - walk[origin - DRIFT_WINDOW]) / DRIFT_WINDOW  # (n,)
    return {"actual": actual, "drift": k * m[:, None]}


def rejection_rates(horizon: int, reps: int, *, n: int = ORIGINS, seed: int = 0,
                    level: float = 0.05) -> dict[str, float]:
    """Share of ``reps`` simulated nulls in which each test of :data:`TESTS` rejects."""
    rng = np.random.default_rng([seed, horizon])
    rejections = dict.fromkeys(TESTS, 0)
    for _ in range(reps):
        sim = simulate(horizon, n, rng)
        errors_up = sim["actual"] - sim["drift"]  # (n, h)
        errors_down = sim["actual"] + sim["drift"]
        step = horizon - 1
        p_values = {
            "averaged": diebold_mariano_mean(errors_up, errors_down).p_value,
            "step h": diebold_mariano(errors_up[:, step], errors_down[:, step], horizon).p_value,
            "pooled (before)": diebold_mariano(errors_up.reshape(-1), errors_down.reshape(-1),
                                               horizon).p_value,
            "Clark-West": clark_west(sim["actual"][:, step], np.zeros(n),
                                     sim["drift"][:, step], horizon).p_value,
        }
        trend = simulate(1, n, rng, drift=0.1)
        p_values["Pesaran-Timmermann"] = pesaran_timmermann(trend["actual"][:, 0],
                                                            trend["drift"][:, 0]).p_value
        for name, p in p_values.items():
            rejections[name] += bool(p < level)
    return {name: count / reps for name, count in rejections.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    start = time.perf_counter()
    rates = {h: rejection_rates(h, args.reps, seed=args.seed) for h in HORIZONS}
    print(f"null: random walk, N = {ORIGINS} origins, {args.reps} replications, seed "
          f"{args.seed}; rejection rate at the 5% level (Monte Carlo s.e. "
          f"{np.sqrt(0.05 * 0.95 / args.reps):.4f})")
    print(f"{'test':<22}" + "".join(f"{f'h={h}':>8}" for h in HORIZONS))
    for name in TESTS:
        print(f"{name:<22}" + "".join(f"{rates[h][name]:>8.4f}" for h in HORIZONS))
    print(f"({time.perf_counter() - start:.1f} s)")
    print("size at 5%: " + ", ".join(f"h={h} {rates[h]['averaged']:.4f}" for h in HORIZONS))


if __name__ == "__main__":
    main()
