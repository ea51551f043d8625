"""ForecastConfig: defaults, validation messages, JSON round trip."""

import pytest

from lstmlab.config import ForecastConfig
from lstmlab.errors import ConfigError


def test_defaults_are_valid_and_round_trip_through_json():
    config = ForecastConfig()
    assert ForecastConfig.from_json(config.to_json()) == config


def test_lists_from_json_become_tuples():
    config = ForecastConfig.from_dict(
        {"features": ["log_return", "volume"], "split": [0.8, 0.1, 0.1]}
    )
    assert config.features == ("log_return", "volume")
    assert config.split == (0.8, 0.1, 0.1)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("cell", "transformer", "cell must be one of rnn, lstm, gru; got 'transformer'"),
        ("max_epochs", 0, "max_epochs must be a whole number >= 1, got 0"),
        ("max_epochs", -3, "max_epochs must be a whole number >= 1, got -3"),
        ("hidden_size", 2.5, "hidden_size must be a whole number >= 1, got 2.5"),
        ("dropout", 1.0, "dropout must be in [0, 1), got 1.0"),
        ("learning_rate", 0.0, "learning_rate must be positive, got 0.0"),
        ("target", "level", "target must be one of price, return, log_return, change; got 'level'"),
        ("features", (), "features must name at least one column"),
        ("split", (0.5,), "split must be three fractions"),
        ("patience", -1, "patience must be a whole number >= 0, got -1"),
        ("init", "xavier", "init must be one of default, forget_bias, chrono; got 'xavier'"),
        ("init", "chrono", "t_max=None with init='chrono': init='chrono' needs t_max"),
        ("t_max", 60, "t_max=60 with init=None: init='chrono' needs t_max"),
    ],
)
def test_bad_values_raise_config_error_naming_field_and_value(field, value, message):
    with pytest.raises(ConfigError) as excinfo:
        ForecastConfig(**{field: value})
    assert message in str(excinfo.value)


def test_unknown_fields_are_refused():
    with pytest.raises(ConfigError, match=r"unknown config field.*hiden_size"):
        ForecastConfig.from_dict({"hiden_size": 32})


def test_invalid_json_is_a_config_error():
    with pytest.raises(ConfigError, match="not valid JSON"):
        ForecastConfig.from_json("{cell: lstm")


def test_replace_validates():
    assert ForecastConfig().replace(cell="gru").cell == "gru"
    with pytest.raises(ConfigError):
        ForecastConfig().replace(lookback=0)


def test_parse_cells_normalises_and_refuses_unknown_names():
    from lstmlab.config import parse_cells

    assert parse_cells(" LSTM,rnn,lstm ") == ["lstm", "rnn"]
    assert parse_cells(["gru"]) == ["gru"]
    with pytest.raises(ConfigError, match="unknown cell 'tcn'; choose from rnn, lstm, gru"):
        parse_cells("rnn,tcn")
    with pytest.raises(ConfigError, match="unknown cell none given"):
        parse_cells(" , ")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"loss": "laplace"}, "loss must be one of mse, quantile, gaussian, student_t; got "
                              "'laplace'"),
        ({"quantiles": (0.05, 1.2)}, "quantile level 1.2 is outside (0, 1)"),
        ({"quantiles": (0.0, 0.5)}, "quantile level 0.0 is outside (0, 1)"),
        ({"quantiles": (0.5, 0.05)}, "0.05 after 0.5 is not sorted"),
        ({"quantiles": (0.05, 0.5, 0.5)}, "0.5 after 0.5 is duplicated"),
        ({"quantiles": ()}, "quantiles must name at least one level"),
        ({"alpha": 0.0}, "alpha must be in (0, 1), e.g. 0.1 for a 90% interval; got 0.0"),
        ({"alpha": 1.5}, "alpha must be in (0, 1), e.g. 0.1 for a 90% interval; got 1.5"),
        ({"calibration": 1.0}, "calibration must be a fraction in (0, 1)"),
    ],
)
def test_bad_interval_settings_raise_config_error_naming_the_value(changes, message):
    with pytest.raises(ConfigError) as excinfo:
        ForecastConfig(**changes)
    assert message in str(excinfo.value)


def test_configs_saved_before_the_interval_fields_still_load():
    old = ForecastConfig().to_dict()
    for name in ("loss", "quantiles", "alpha", "calibration"):
        del old[name]
    config = ForecastConfig.from_dict(old)
    assert (config.loss, config.alpha, config.quantiles) == ("mse", 0.1, (0.05, 0.5, 0.95))
    quantile = ForecastConfig(loss="quantile", quantiles=[0.1, 0.5, 0.9])
    assert ForecastConfig.from_json(quantile.to_json()) == quantile


def test_rnn_has_only_the_default_init_and_chrono_round_trips():
    with pytest.raises(ConfigError, match="init must be one of default; got 'chrono'"):
        ForecastConfig(cell="rnn", init="chrono", t_max=60)
    config = ForecastConfig(init="chrono", t_max=60)
    assert ForecastConfig.from_json(config.to_json()) == config
