"""Covariates and calendar facts as model inputs: columns, warm-up, round trip, no look-ahead."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from lstmlab.data import WindowSpec, latest_window, load_prices, prepare, windows_for
from lstmlab.data.covariates import Covariate, market_proxy
from lstmlab.errors import DataError

from .test_leakage import assert_same_windows, end_of, perturb_from


@pytest.fixture(scope="module")
def frames(price_dir) -> dict[str, pd.DataFrame]:
    return {t: load_prices(price_dir / f"{t}.csv") for t in ("TSLA", "AAPL", "MSFT", "AMZN")}


@pytest.fixture(scope="module")
def covariates(frames) -> list[Covariate]:
    proxy = market_proxy({t: frames[t] for t in ("AAPL", "MSFT", "AMZN")})
    return [Covariate("AAPL", frames["AAPL"], ("log_return", "volume_z")),
            Covariate("market", proxy)]


SETTING = {"lookback": 20, "horizon": 2, "calendar": "XNYS"}


def test_inputs_are_own_features_then_covariates_then_calendar(frames, covariates):
    prepared = prepare(frames["TSLA"], covariates=covariates, **SETTING)
    assert prepared.features[:4] == ["log_return", "AAPL:log_return", "AAPL:volume_z",
                                     "market:log_return"]
    assert prepared.features[4:8] == ["step1:day_of_week", "step1:day_of_month", "step1:month",
                                      "step1:days_to_holiday"]
    assert prepared.train.x.shape[2] == 4 + 2 * 4
    assert prepared.warmup == 19  # AAPL's volume_z needs 19 earlier rows
    assert torch.isfinite(prepared.train.x).all() and torch.isfinite(prepared.test.x).all()


def test_covariate_values_after_training_change_nothing_in_training(frames, covariates):
    before = prepare(frames["TSLA"], covariates=covariates, **SETTING)
    cut_date = frames["TSLA"].index[end_of(before, "train")]
    changed = []
    for i, covariate in enumerate(covariates):
        row = int(covariate.frame.index.searchsorted(cut_date))
        changed.append(Covariate(covariate.name, perturb_from(covariate.frame, row, seed=i),
                                 covariate.features))
    after = prepare(frames["TSLA"], covariates=changed, **SETTING)
    assert_same_windows(before.train, after.train)
    assert before.scaler_x == after.scaler_x and before.scaler_y == after.scaler_y
    assert not torch.equal(before.test.x, after.test.x)  # the change did land


def test_new_data_is_windowed_with_the_same_covariates_and_scalers(frames, covariates):
    prepared = prepare(frames["TSLA"], covariates=covariates, **SETTING)
    by_name = {c.name: c.frame for c in covariates}
    windows = windows_for(frames["TSLA"], prepared.spec, by_name)
    position = int(np.flatnonzero(windows.origin == prepared.test.origin[0])[0])
    torch.testing.assert_close(windows.x[position], prepared.test.x[0])
    last = latest_window(frames["TSLA"], prepared.spec, by_name)
    assert last.shape == (1, 20, prepared.train.x.shape[2]) and torch.isfinite(last).all()
    with pytest.raises(DataError, match=r"fitted with the covariate\(s\) \['AAPL', 'market'\]"):
        windows_for(frames["TSLA"], prepared.spec)


def test_the_spec_round_trips_and_old_specs_still_load(frames, covariates):
    spec = prepare(frames["TSLA"], covariates=covariates, **SETTING).spec
    again = WindowSpec.from_dict(spec.to_dict())
    assert again.covariates == spec.covariates and again.calendar == "XNYS"
    assert again.inputs == spec.inputs
    plain = prepare(frames["TSLA"], lookback=20).spec.to_dict()
    for key in ("covariates", "calendar", "max_fill"):  # a spec written by lstmlab 0.1
        del plain[key]
    old = WindowSpec.from_dict(plain)
    assert old.covariates == () and old.calendar is None and old.inputs == ("log_return",)


# --- known tables: a user's columns of the forecast days, e.g. a scheduled earnings flag -----

@pytest.fixture(scope="module")
def short(synthetic) -> pd.DataFrame:
    return synthetic.iloc[:300]


def _numbered(prices: pd.DataFrame, extra: int = 10) -> pd.DataFrame:
    """A known table whose value on each business day is that day's position (row number)."""
    days = pd.bdate_range(prices.index[0], periods=len(prices) + extra)
    return pd.DataFrame({"v": np.arange(len(days), dtype=np.float64)}, index=days)


def _known_prepare(prices: pd.DataFrame, table: pd.DataFrame, scaler: str = "standard"):
    return prepare(prices, lookback=10, horizon=2, scaler=scaler, split=(0.6, 0.2, 0.2),
                   known=[Covariate("k", table, ("v",))], known_calendar="none")


def test_a_window_at_t_sees_the_known_values_of_t_plus_1_to_t_plus_h(short):
    prepared = _known_prepare(short, _numbered(short), scaler="none")
    assert prepared.spec.inputs == ("log_return", "step1:k:v", "step2:k:v")
    for windows in (prepared.train, prepared.val, prepared.test):
        last = windows.x[:, -1, 1:].double().numpy()  # (N, 2) at the window's last row
        expected = np.stack([windows.origin + 1, windows.origin + 2], axis=1)
        assert np.array_equal(last, expected)


def test_the_known_scaler_is_fitted_on_the_training_rows_only(short):
    table = _numbered(short)
    prepared = _known_prepare(short, table)
    needed = int(prepared.train.origin[-1]) + 2  # the last training window reads t+1, t+2
    later = table.copy()
    later.iloc[needed + 1 :, 0] += 1000.0  # every value no training window reads
    again = _known_prepare(short, later)
    assert again.spec.scaler_x == prepared.spec.scaler_x
    assert torch.equal(again.train.x, prepared.train.x)
    touched = table.copy()
    touched.iloc[needed, 0] += 1000.0  # the last value training reads: the scaler moves
    assert _known_prepare(short, touched).spec.scaler_x != prepared.spec.scaler_x


def test_forecasting_needs_the_known_values_of_the_days_after_the_data(short):
    prepared = _known_prepare(short, _numbered(short))
    last = short.index[-1]
    cut = _numbered(short).loc[: last + pd.offsets.BDay(1)]  # one future day of the two
    missing = f"{last + pd.offsets.BDay(2):%Y-%m-%d}"
    with pytest.raises(DataError, match=f"lacks 1 trading day.*first {missing}"):
        latest_window(short, prepared.spec, {"k": cut})
    with pytest.raises(DataError, match=r"known table\(s\) \['k'\]; pass their tables"):
        latest_window(short, prepared.spec)
    window = latest_window(short, prepared.spec, {"k": _numbered(short)})
    spec = WindowSpec.from_dict(prepared.spec.to_dict())
    assert spec.known == (("k", ("v",)),) and spec.known_calendar == "none"
    assert torch.equal(latest_window(short, spec, {"k": _numbered(short)}), window)
