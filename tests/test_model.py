"""The one sequence network: readouts, head shapes, cell options passed to the layer."""

import pytest
import torch

from lstmlab.errors import ConfigError
from lstmlab.model import SequenceRegressor


def test_last_readout_reads_the_last_step_only():
    torch.manual_seed(0)
    model = SequenceRegressor("lstm", 3, 8, horizon=2)
    x = torch.randn(4, 7, 3)
    prediction = model(x)
    assert prediction.shape == (4, 2)
    changed = x.clone()
    changed[:, -1] += 1.0
    assert not torch.allclose(model(changed), prediction)
    output, _ = model.rnn(x)
    torch.testing.assert_close(prediction, model.head(output[:, -1]))


def test_all_readout_gives_one_prediction_per_step():
    torch.manual_seed(0)
    model = SequenceRegressor("gru", 3, 8, horizon=5, readout="all")
    x = torch.randn(4, 7, 3)
    prediction = model(x)  # (B, T, 5)
    assert prediction.shape == (4, 7, 5)
    output, _ = model.rnn(x)
    torch.testing.assert_close(prediction, model.head(output))


def test_same_seed_same_weights_as_before_the_readout_option():
    # the forecaster's saved models keep their layout: rnn.*, head.*
    torch.manual_seed(3)
    keys = list(SequenceRegressor("rnn", 2, 4).state_dict())
    assert keys == ["rnn.cells.0.weight_ih", "rnn.cells.0.weight_hh", "rnn.cells.0.bias",
                    "head.weight", "head.bias"]


def test_unknown_readout_is_refused():
    with pytest.raises(ConfigError, match="unknown readout 'first'; choose one of last, all"):
        SequenceRegressor("lstm", 2, 4, readout="first")
