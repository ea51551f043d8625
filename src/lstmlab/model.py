"""The forecasting network: a recurrent layer read at its last step, then a head."""

from __future__ import annotations

import torch
from torch import nn

from lstmlab.heads import make_head
from lstmlab.layers import make_layer

__all__ = ["SequenceRegressor"]


class SequenceRegressor(nn.Module):
    """Map a window ``(B, T, F)`` to ``horizon`` outputs ``(B, horizon)``.

    The recurrent layer (``rnn``, ``lstm`` or ``gru`` from :func:`lstmlab.layers.make_layer`)
    reads the whole window; its last-step output ``h_T`` of the top layer goes through dropout
    and the head of ``loss`` (:func:`lstmlab.heads.make_head`), which predicts all horizon steps
    at once (direct multi-output): one linear layer to ``(B, horizon)`` for ``mse``, or the
    distribution parameters ``(B, horizon, P)`` of a distribution head.
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
        loss: str = "mse",
        quantiles: tuple[float, ...] = (0.05, 0.5, 0.95),
    ) -> None:
        super().__init__()
        self.rnn = make_layer(cell, input_size, hidden_size, num_layers=num_layers, dropout=dropout)
        self.dropout = nn.Dropout(dropout)
        self.head = make_head(loss, hidden_size, horizon, quantiles)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        output, _ = self.rnn(x)  # (B, T, H)
        return self.head(self.dropout(output[:, -1]))  # (B, horizon) or (B, horizon, P)
