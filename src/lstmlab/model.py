"""The one "recurrent layer + linear head" network of the package: forecasts and memory tasks."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from lstmlab.errors import ConfigError
from lstmlab.heads import make_head
from lstmlab.layers import make_layer

__all__ = ["READOUTS", "SequenceRegressor"]

READOUTS = ("last", "all")  # which recurrent outputs the head reads


class SequenceRegressor(nn.Module):
    """Map a sequence ``(B, T, F)`` to ``horizon`` outputs read from the recurrent layer.

    The recurrent layer (``rnn``, ``lstm`` or ``gru`` from :func:`lstmlab.layers.make_layer`)
    reads the whole sequence; its top-layer output goes through dropout and the head of
    ``loss`` (:func:`lstmlab.heads.make_head`: one linear layer for ``mse``, distribution
    parameters ``(..., horizon, P)`` for a distribution head):

    * ``readout="last"`` (forecasting, the adding problem): only the last step ``h_T`` is read,
      and all horizon steps are predicted at once (direct multi-output): ``(B, horizon)``;
    * ``readout="all"`` (the copy task): every step is read: ``(B, T, horizon)``, for example
      one logit per class at each step.

    ``horizon`` is the width of the head: forecast steps, or a memory task's output size.
    ``cell_options`` (``init``, ``t_max``, ``forget_bias``) go to the layer's cells.
    """

    def __init__(
        self,
        cell: str,
        input_size: int,
        hidden_size: int,
        horizon: int = 1,
        num_layers: int = 1,
        dropout: float = 0.0,
        *,
        readout: str = "last",
        loss: str = "mse",
        quantiles: tuple[float, ...] = (0.05, 0.5, 0.95),
        **cell_options: Any,
    ) -> None:
        super().__init__()
        if readout not in READOUTS:
            raise ConfigError(f"unknown readout {readout!r}; choose one of {', '.join(READOUTS)}")
        self.readout = readout
        self.rnn = make_layer(cell, input_size, hidden_size, num_layers=num_layers,
                              dropout=dropout, **cell_options)
        self.dropout = nn.Dropout(dropout)
        self.head = make_head(loss, hidden_size, horizon, quantiles)

    def read(self, output: torch.Tensor) -> torch.Tensor:
        """The head's prediction from the recurrent outputs ``(B, T, H)``."""
        if self.readout == "last":
            output = output[:, -1]  # (B, H)
        prediction: torch.Tensor = self.head(self.dropout(output))  # (B, h) or (B, T, h)
        return prediction

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        output, _ = self.rnn(x)  # (B, T, H)
        return self.read(output)
