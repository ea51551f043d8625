"""Integrated gradients: exact for a linear model, complete for an LSTM, clear without Captum."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import torch

from lstmlab import LSTM
from lstmlab.errors import ConfigError
from lstmlab.explain.attribution import integrated_gradients


def _attribute(forward, x, baseline, **options):
    return integrated_gradients(forward, x, baseline, units="units", baseline_name="zeros",
                                **options)


def test_a_linear_model_gets_weight_times_input_change():
    torch.manual_seed(0)
    weights = torch.randn(1, 12, 2, dtype=torch.float64)  # (1, T, F)
    x, baseline = torch.randn(1, 12, 2), torch.randn(1, 12, 2)
    found = _attribute(lambda batch: (batch * weights).sum(dim=(1, 2)), x, baseline, steps=4)
    expected = (weights * (x.double() - baseline.double()))[0].numpy()  # (T, F)
    np.testing.assert_allclose(found.values, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(found.per_step, expected.sum(axis=1), rtol=1e-12, atol=1e-12)
    assert found.completeness_error < 1e-12


def test_attributions_of_an_lstm_add_up_to_the_output_change():
    torch.manual_seed(1)
    layer = LSTM(3, 16).double()
    head = torch.nn.Linear(16, 1).double()

    def forward(batch):
        output, _ = layer(batch)  # (B, T, H)
        return head(output[:, -1])[:, 0]  # (B,)

    x = torch.randn(1, 30, 3)
    found = _attribute(forward, x, torch.zeros(1, 30, 3))
    change = found.output - found.baseline_output
    assert abs(change) > 1e-3  # the check below is not trivially met
    assert found.completeness_error < 1e-6 * max(abs(change), 1.0)
    assert found.values.shape == (30, 3) and found.steps == 128
    with torch.no_grad():
        assert found.output == pytest.approx(float(forward(x.double())[0]), rel=1e-12)


def test_an_input_equal_to_its_baseline_gets_no_attribution():
    x = torch.randn(1, 5, 1)
    found = _attribute(lambda batch: (batch**2).sum(dim=(1, 2)), x, x.clone())
    np.testing.assert_array_equal(found.values, np.zeros((5, 1)))


def test_without_captum_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "captum.attr", None)
    with pytest.raises(ConfigError, match=r"needs Captum: pip install 'lstmlab\[explain\]'"):
        _attribute(lambda batch: batch.sum(dim=(1, 2)), torch.ones(1, 2, 1), torch.zeros(1, 2, 1))
