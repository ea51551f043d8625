"""Scalers: the affine maps they claim, exact inverses, plain JSON round trips."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lstmlab.data.scale import SCALERS, Scaler, fit_scaler
from lstmlab.errors import ConfigError, DataError

DATA = np.array([[1.0, 10.0, 5.0], [2.0, 30.0, 5.0], [4.0, 20.0, 5.0]])


def test_standard_scaler_gives_zero_mean_unit_std():
    z = fit_scaler("standard", DATA).transform(DATA)
    np.testing.assert_allclose(z.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(z.std(axis=0)[:2], 1.0)


def test_minmax_scaler_maps_training_data_to_unit_interval():
    z = fit_scaler("minmax", DATA).transform(DATA)
    np.testing.assert_allclose(z.min(axis=0), 0.0)
    np.testing.assert_allclose(z.max(axis=0)[:2], 1.0)


@pytest.mark.parametrize("kind", ["standard", "minmax"])
def test_constant_column_is_shifted_not_divided_by_zero(kind):
    scaler = fit_scaler(kind, DATA)
    assert scaler.scale[2] == 1.0
    np.testing.assert_array_equal(scaler.transform(DATA)[:, 2], 0.0)


def test_none_is_the_identity():
    np.testing.assert_array_equal(fit_scaler("none", DATA).transform(DATA), DATA)


@pytest.mark.parametrize("kind", SCALERS)
def test_inverse_and_json_round_trip(kind):
    scaler = fit_scaler(kind, DATA)
    other = np.array([[3.0, -7.0, 8.0]])
    np.testing.assert_allclose(scaler.inverse_transform(scaler.transform(other)), other)
    again = Scaler.from_dict(json.loads(json.dumps(scaler.to_dict())))
    assert again == scaler
    np.testing.assert_array_equal(again.transform(other), scaler.transform(other))


def test_unknown_scaler():
    with pytest.raises(ConfigError) as caught:
        fit_scaler("robust", DATA)
    assert str(caught.value) == (
        "unknown scaler 'robust'; choose one of ['standard', 'minmax', 'none']")


@pytest.mark.parametrize(
    "data", [{"kind": "standard", "offset": [0.0]}, {"kind": "zscore", "offset": [0.0],
                                                      "scale": [1.0]},
             {"kind": "standard", "offset": [0.0, 1.0], "scale": [1.0]}])
def test_malformed_dict(data):
    with pytest.raises(DataError, match=r"^malformed scaler "):
        Scaler.from_dict(data)
