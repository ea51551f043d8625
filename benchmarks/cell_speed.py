"""Time one full training step (forward + backward + Adam) of three LSTM implementations.

Variants, all the same model with the same starting weights:

* ``fast``  - ``lstmlab.LSTM`` on its fast path (PyTorch's fused kernel with lstmlab's weights);
* ``loop``  - ``lstmlab.LSTM(fast=False)``, the plain equation loop;
* ``torch`` - ``torch.nn.LSTM``.

Shapes as in issue 2: batch 64, 5 features, hidden 64, one layer, at 60 and at 500 time steps.
The variants are interleaved (round-robin, rotating the order) and the median over many repeats
is reported, because the machine is shared. The last line is ``ratio fast/torch: X.XX`` for the
60-step case. Run: ``PYTHONPATH=src python benchmarks/cell_speed.py [--repeats N] [--threads N]``.

PyTorch runs on one thread by default here: with 64x64 matmuls there is little to split, and on
a shared machine a second intra-op thread mostly waits for a busy core, which adds noise to every
variant. ``--threads 0`` keeps PyTorch's own default.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

import torch
from torch import nn

from lstmlab import from_torch

BATCH, FEATURES, HIDDEN = 64, 5, 64
VARIANTS = ("fast", "loop", "torch")


def make_step(layer: nn.Module, x: torch.Tensor, y: torch.Tensor) -> Callable[[], None]:
    """A closure running one training step of ``layer`` on the regression ``x -> y``."""
    optimizer = torch.optim.Adam(layer.parameters(), lr=1e-3)

    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        output, _ = layer(x)  # (B, T, H)
        loss = (output[:, -1] - y).pow(2).mean()
        loss.backward()
        optimizer.step()

    return step


def time_variants(steps: int, repeats: int, seed: int) -> dict[str, list[float]]:
    """Seconds per training step of each variant, ``repeats`` interleaved samples each."""
    torch.manual_seed(seed)
    reference = nn.LSTM(FEATURES, HIDDEN, batch_first=True)
    layers = {
        "fast": from_torch(reference),
        "loop": from_torch(reference, fast=False),
        "torch": reference,
    }
    x = torch.randn(BATCH, steps, FEATURES)
    y = torch.randn(BATCH, HIDDEN)
    runs = {name: make_step(layer, x, y) for name, layer in layers.items()}
    for run in runs.values():  # warm-up: allocator, oneDNN primitives, Adam state
        run()
        run()
    samples: dict[str, list[float]] = {name: [] for name in VARIANTS}
    for r in range(repeats):
        order = VARIANTS[r % 3 :] + VARIANTS[: r % 3]
        for name in order:
            start = time.perf_counter()
            runs[name]()
            samples[name].append(time.perf_counter() - start)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=60, help="timed steps per variant (60 T)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (0: default)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"load average before the run: {load} on {os.cpu_count()} cores")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch {BATCH}, "
          f"features {FEATURES}, hidden {HIDDEN}, 1 layer; median (min) ms per training step")
    print(f"{'steps':>5}  {'variant':<7} {'median ms':>10} {'min ms':>8} {'x torch':>8}")
    ratio_60 = float("nan")
    for steps in (60, 500):
        # fewer repeats for the long sequence keep the run to about a minute
        repeats = args.repeats if steps == 60 else max(5, args.repeats // 3)
        samples = time_variants(steps, repeats, args.seed)
        medians = {name: statistics.median(s) for name, s in samples.items()}
        for name in VARIANTS:
            ratio = medians[name] / medians["torch"]
            print(f"{steps:>5}  {name:<7} {medians[name] * 1e3:>10.2f} "
                  f"{min(samples[name]) * 1e3:>8.2f} {ratio:>8.2f}")
        if steps == 60:
            ratio_60 = medians["fast"] / medians["torch"]
    print(f"ratio fast/torch: {ratio_60:.2f}")


if __name__ == "__main__":
    main()
