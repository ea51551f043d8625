"""The shared integer check."""

import numpy as np
import pytest

from lstmlab.errors import ConfigError
from lstmlab.validation import require_int


@pytest.mark.parametrize("value", [1, 64, np.int64(3)])
def test_whole_numbers_pass_and_come_back_as_int(value):
    result = require_int("hidden_size", value)
    assert result == value and type(result) is int


@pytest.mark.parametrize("value", [0, -1, 2.5, 2.0, True, "8", None])
def test_everything_else_names_the_argument_and_value(value):
    with pytest.raises(ConfigError) as caught:
        require_int("hidden_size", value)
    assert str(caught.value) == f"hidden_size must be a whole number >= 1, got {value!r}"


def test_minimum_and_error_type_are_configurable():
    assert require_int("seed", 0, minimum=0) == 0
    with pytest.raises(ValueError, match="horizon must be a whole number >= 1, got 0"):
        require_int("horizon", 0, error=ValueError)
