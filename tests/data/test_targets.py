"""Targets relative to the window's last price, and their exact inversion."""

from __future__ import annotations

import numpy as np
import pytest

from lstmlab.data.targets import (
    TARGETS,
    check_target,
    future_prices,
    make_targets,
    targets_to_prices,
)
from lstmlab.errors import ConfigError

PRICE = np.array([10.0, 11.0, 12.1, 9.0, 9.9, 10.5])


def test_future_prices_are_the_next_h_rows():
    future = future_prices(PRICE, np.array([0, 2]), 3)
    np.testing.assert_array_equal(future, [[11.0, 12.1, 9.0], [9.0, 9.9, 10.5]])


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("price", [[11.0, 12.1]]),
        ("return", [[0.1, 0.21]]),
        ("log_return", [[np.log(1.1), np.log(1.21)]]),
        ("change", [[1.0, 2.1]]),
    ],
)
def test_definitions_at_horizon_two(target, expected):
    y = make_targets(target, PRICE[[0]], future_prices(PRICE, np.array([0]), 2))
    np.testing.assert_allclose(y, expected)


def test_cumulative_return_is_the_compounded_one_step_returns():
    y = make_targets("return", PRICE[[0]], future_prices(PRICE, np.array([0]), 3))
    one_step = PRICE[1:4] / PRICE[0:3] - 1
    assert y[0, 2] == pytest.approx(np.prod(1 + one_step) - 1)


@pytest.mark.parametrize("target", TARGETS)
def test_inversion_is_exact(target):
    origins = np.array([0, 1, 2])
    future = future_prices(PRICE, origins, 3)
    y = make_targets(target, PRICE[origins], future)
    np.testing.assert_allclose(targets_to_prices(target, y, PRICE[origins]), future, rtol=1e-12)


def test_unknown_target():
    with pytest.raises(ConfigError) as caught:
        check_target("direction")
    assert str(caught.value) == (
        "unknown target 'direction'; choose one of ['price', 'return', 'log_return', 'change']")
