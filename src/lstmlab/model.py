"""The forecasting network: a recurrent layer read at its last step, then a linear head."""

from __future__ import annotations

import torch
from torch import nn

from lstmlab.layers import make_layer

__all__ = ["SequenceRegressor"]


class SequenceRegressor(nn.Module):
    """Map a window ``(B, T, F)`` to ``horizon`` outputs ``(B, horizon)``.

    The recurrent layer (``rnn``, ``lstm`` or ``gru`` from :func:`lstmlab.layers.make_layer`)
    reads the whole window; its last-step output ``h_T`` of the top layer goes through dropout
    and one linear layer that predicts all horizon steps at once (direct multi-output).
    """

    def __init__(
        self,
        cell: str,
        input_size: int,
        hidden_size: int,
        horizon: int = 1,
        num_layers: int = 1,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.rnn = make_layer(cell, input_size, hidden_size, num_layers=num_layers, dropout=dropout)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size, horizon)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        output, _ = self.rnn(x)  # (B, T, H)
        y: torch.Tensor = self.head(self.dropout(output[:, -1]))  # (B, horizon)
        return y
