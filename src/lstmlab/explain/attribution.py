"""How much each input step moved the model's output: integrated gradients, with its check.

Integrated gradients (Sundararajan, Taly & Yan 2017, "Axiomatic attribution for deep networks")
attribute ``f(x) - f(x')`` to the inputs by integrating the gradient along the straight path
from a baseline ``x'`` to ``x``: ``IG_j = (x_j - x'_j) ∫₀¹ ∂f(x' + a (x - x'))/∂x_j da``. The
attributions sum to ``f(x) - f(x')`` exactly (completeness); the quadrature leaves an error,
reported next to them so that a reader can judge them. The integral is computed by Captum.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from lstmlab.errors import ConfigError

if TYPE_CHECKING:
    from torch import Tensor

__all__ = ["IG_STEPS", "Attribution", "integrated_gradients"]

IG_STEPS = 128  # Gauss-Legendre points along the path


@dataclass(frozen=True)
class Attribution:
    """Integrated-gradients attributions of one output to one input sequence."""

    values: np.ndarray  # (T, F) attribution of each step and feature
    output: float  # f(x)
    baseline_output: float  # f(baseline)
    units: str  # the units of the output and the attributions
    baseline_name: str  # what the baseline input is
    steps: int  # quadrature points

    @property
    def per_step(self) -> np.ndarray:
        """(T,) attribution of each step, summed over the features."""
        per_step: np.ndarray = self.values.sum(axis=1)
        return per_step

    @property
    def completeness_error(self) -> float:
        """``|sum of attributions - (f(x) - f(baseline))|``: zero for the exact integral."""
        return abs(float(self.values.sum()) - (self.output - self.baseline_output))


def integrated_gradients(forward: Callable[[Tensor], Tensor], x: Tensor, baseline: Tensor, *,
                         units: str, baseline_name: str, steps: int = IG_STEPS) -> Attribution:
    """Attribute ``forward(x)`` (a batch ``(B, T, F)`` to outputs ``(B,)``) for ``x (1, T, F)``.

    Runs in float64 on copies, so that the completeness error measures the quadrature and not
    float32 round-off; ``forward`` must accept float64 inputs (a model cast with ``.double()``
    does). Raises :class:`ConfigError` when Captum is not installed.
    """
    try:
        from captum.attr import IntegratedGradients
    except ImportError:
        raise ConfigError("the attribution strip needs Captum: pip install 'lstmlab[explain]'"
                          ) from None
    import torch

    inputs, reference = x.double(), baseline.double()  # (1, T, F)
    method = IntegratedGradients(forward)
    with torch.enable_grad():
        values = method.attribute(inputs, baselines=reference, n_steps=steps,
                                  method="gausslegendre")  # (1, T, F)
    with torch.no_grad():
        output, base = float(forward(inputs)[0]), float(forward(reference)[0])
    return Attribution(values[0].detach().numpy(), output, base, units, baseline_name, steps)
