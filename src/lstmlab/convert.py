"""Convert weights both ways between lstmlab layers and ``torch.nn.LSTM / RNN / GRU``.

Both sides stack the gates in the same row order (LSTM ``i, f, c̃, o``; GRU ``r, z, n``), so
weight matrices are copied as they are. LSTM and RNN keep the textbook single bias
``bias = bias_ih + bias_hh``; going back to PyTorch it becomes ``bias_ih`` with a zero
``bias_hh``, which gives the same outputs and gradients. GRU keeps PyTorch's two biases.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from lstmlab.cells import GRUCell, _Cell, _SingleBiasCell
from lstmlab.errors import ConfigError
from lstmlab.layers import GRU, LSTM, RNN, RecurrentLayer

__all__ = ["from_torch", "to_torch"]

TorchLayer = nn.LSTM | nn.GRU | nn.RNN

# (lstmlab class, torch class) pairs, matched by exact type: a subclass may override forward,
# and then its weights need not mean what they mean in the base class.
_PAIRS: tuple[tuple[type[RecurrentLayer], type[TorchLayer]], ...] = (
    (LSTM, nn.LSTM),
    (GRU, nn.GRU),
    (RNN, nn.RNN),
)

# per-layer parameter names of torch.nn.RNNBase, in the fused kernel's order (suffix _l{k})
_TORCH_NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def from_torch(torch_layer: TorchLayer, *, fast: bool = True) -> RecurrentLayer:
    """Return an lstmlab layer computing exactly what ``torch_layer`` computes (batch first).

    Copies sizes, dropout, dtype, device and weights. Raises :class:`ConfigError` for features
    lstmlab does not model: bidirectional, ``bias=False``, ``proj_size``, ReLU RNNs.
    """
    layer_class = next((ours for ours, theirs in _PAIRS if type(torch_layer) is theirs), None)
    if layer_class is None:
        raise ConfigError(
            f"from_torch expects torch.nn.LSTM, GRU or RNN, got {type(torch_layer).__name__}"
        )
    _check_supported(torch_layer)
    reference = torch_layer.all_weights[0][0]  # weight_ih_l0
    layer = layer_class(
        torch_layer.input_size,
        torch_layer.hidden_size,
        torch_layer.num_layers,
        torch_layer.dropout,
        fast=fast,
    ).to(device=reference.device, dtype=reference.dtype)
    with torch.no_grad():
        for index, cell in enumerate(layer.stacked_cells):
            theirs = [getattr(torch_layer, f"{n}_l{index}") for n in _TORCH_NAMES]
            _copy_from_torch(cell, *theirs)
    return layer


def to_torch(layer: RecurrentLayer) -> TorchLayer:
    """Return a ``torch.nn.LSTM / GRU / RNN`` (batch first) that computes exactly as ``layer``."""
    torch_class = next((theirs for ours, theirs in _PAIRS if type(layer) is ours), None)
    if torch_class is None:
        raise ConfigError(
            f"to_torch expects an lstmlab LSTM, GRU or RNN, got {type(layer).__name__}"
        )
    reference = layer.stacked_cells[0].weight_ih
    torch_layer = torch_class(
        layer.input_size,
        layer.hidden_size,
        layer.num_layers,
        batch_first=True,
        dropout=layer.dropout,
        device=reference.device,
        dtype=reference.dtype,
    )
    with torch.no_grad():
        for index, cell in enumerate(layer.stacked_cells):
            for name, value in zip(_TORCH_NAMES, cell.fused_weights(), strict=True):
                getattr(torch_layer, f"{name}_l{index}").copy_(value)
    return torch_layer



def _check_supported(torch_layer: nn.RNNBase) -> None:
    problems = []
    if torch_layer.bidirectional:
        problems.append("bidirectional=True")
    if not torch_layer.bias:
        problems.append("bias=False")
    if getattr(torch_layer, "proj_size", 0):
        problems.append(f"proj_size={torch_layer.proj_size}")
    if getattr(torch_layer, "nonlinearity", "tanh") != "tanh":
        problems.append(f"nonlinearity={torch_layer.nonlinearity!r}")
    if problems:
        raise ConfigError(
            f"cannot convert {type(torch_layer).__name__} with {', '.join(problems)}: lstmlab "
            "layers are unidirectional, with biases, no projection, tanh RNN"
        )


def _copy_from_torch(cell: _Cell, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor, b_hh: Tensor) -> None:
    cell.weight_ih.copy_(w_ih)
    cell.weight_hh.copy_(w_hh)
    if isinstance(cell, GRUCell):  # two biases, kept apart
        cell.bias_ih.copy_(b_ih)
        cell.bias_hh.copy_(b_hh)
    elif isinstance(cell, _SingleBiasCell):  # RNN, LSTM: the two biases are only ever summed
        cell.bias.copy_(b_ih + b_hh)
