"""Charts of the long-memory lab, written as PNG: learning curves, gradient norms, gate heatmaps.

Figures are built with :class:`matplotlib.figure.Figure` directly (no pyplot), so no display
backend or global figure state is involved, and saved through :mod:`lstmlab.fileio`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from lstmlab.fileio import atomic_path

if TYPE_CHECKING:
    from lstmlab.memory.train import MemoryRun

__all__ = ["gate_heatmaps", "gradient_chart", "learning_curves", "span_chart"]

CELL_COLOURS = {"rnn": "tab:red", "lstm": "tab:blue", "gru": "tab:green"}
VARIANT_STYLES = {None: "-", "default": ":", "forget_bias": "-.", "chrono": "--"}
GATES = (("f_t", "forget gate f_t"), ("i_t", "input gate i_t"), ("o_t", "output gate o_t"))
HIGHLIGHT = 3  # cell states drawn in colour


def _save(fig: Figure, path: str | os.PathLike[str]) -> Path:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=120, bbox_inches="tight")
    return Path(path)


def learning_curves(runs: Sequence[MemoryRun], path: str | os.PathLike[str]) -> Path:
    """One panel per sequence length: test loss against step for each cell, and the baseline."""
    lengths = sorted({run.config.length for run in runs})
    fig = Figure(figsize=(4.2 * len(lengths), 3.6), layout="constrained")
    axes = fig.subplots(1, len(lengths), squeeze=False, sharey=True)[0]
    for ax, length in zip(axes, lengths, strict=True):
        for run in (r for r in runs if r.config.length == length):
            steps = [p["step"] for p in run.history]
            losses = [p["test_loss"] for p in run.history]
            ax.plot(steps, losses, color=CELL_COLOURS.get(run.config.cell), marker=".",
                    label=f"{run.config.cell} ({run.seconds:.0f}s)")
            baseline = run.baseline
        ax.axhline(baseline, color="grey", linestyle="--", label="memoryless baseline")
        ax.set(title=f"{runs[0].config.task}, T = {length}", xlabel="training step", yscale="log")
        ax.legend(fontsize="small")
    axes[0].set_ylabel("test " + ("MSE" if runs[0].config.task == "adding" else "cross-entropy"))
    return _save(fig, path)


def span_chart(runs: Sequence[MemoryRun], path: str | os.PathLike[str]) -> Path:
    """The memory span: final test loss and steps to solve against length, one line per variant.

    Left: the final test loss divided by the memoryless baseline (log scale), filled markers
    where the run solved the task, hollow where it did not, and the success threshold dashed
    (adding only: the copy task's threshold is an accuracy). Right: the training steps each
    solved run needed (it stopped there); unsolved runs are left out.
    """
    fig = Figure(figsize=(11, 4.2), layout="constrained")
    loss_ax, steps_ax = fig.subplots(1, 2)
    task = runs[0].task
    for variant in dict.fromkeys(run.config.variant for run in runs):
        mine = sorted((r for r in runs if r.config.variant == variant),
                      key=lambda r: r.config.length)
        _span_lines(loss_ax, steps_ax, mine)
    from lstmlab.memory.tasks import AddingTask  # the runs hold models: torch is loaded

    if isinstance(task, AddingTask):
        loss_ax.axhline(task.solved_below / task.baseline(1), color="grey", linestyle="--",
                        label="solved below (MSE 0.01)")
    loss_ax.axhline(1.0, color="grey", linestyle=":", label="memoryless baseline")
    loss_ax.set(xscale="log", yscale="log", xlabel="sequence length T (copy: gap)",
                ylabel=f"final test {task.metric} / baseline",
                title=f"{task.name}: what is left to learn (filled: solved)")
    steps_ax.set(xscale="log", xlabel="sequence length T (copy: gap)",
                 ylabel="training steps until solved",
                 title=f"{task.name}: steps to solve (budget {runs[0].config.steps})")
    lengths = sorted({r.config.length for r in runs})
    for ax in (loss_ax, steps_ax):
        ax.set_xticks(lengths, [str(t) for t in lengths])
        ax.minorticks_off()  # the log axis's own minor labels would crowd the lengths
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize="small")
    return _save(fig, path)


def _span_lines(loss_ax: Axes, steps_ax: Axes, runs: Sequence[MemoryRun]) -> None:
    """One variant's runs, by length: loss ratio (filled if solved) and steps to solve."""
    task, config = runs[0].task, runs[0].config
    colour, style = CELL_COLOURS.get(config.cell), VARIANT_STYLES.get(config.init, "-")
    ratios = [r.test[task.metric] / r.baseline for r in runs]
    loss_ax.plot([r.config.length for r in runs], ratios, color=colour, linestyle=style,
                 label=config.variant)
    for run, ratio in zip(runs, ratios, strict=True):
        loss_ax.plot(run.config.length, ratio, "o", color=colour,
                     markerfacecolor=colour if task.solved(run.test) else "white")
    solved = [r for r in runs if task.solved(r.test)]
    steps_ax.plot([r.config.length for r in solved], [r.steps_run for r in solved], "o",
                  color=colour, linestyle=style, label=config.variant)


def gradient_chart(norms: Mapping[str, np.ndarray], path: str | os.PathLike[str], *,
                   title: str = "Gradient reaching the recurrent state") -> Path:
    """``||dL/ds_t|| / ||dL/ds_T||`` on a log scale against the distance ``T - t`` from the end.

    ``norms`` maps a label such as ``"rnn, trained"`` to the (T,) array of
    :func:`lstmlab.memory.gradients.hidden_gradient_norms`. Each curve is divided by its value
    at the last step, so that models whose losses differ in size compare on one scale; the cell
    name in the label picks the colour and the word "untrained" a dashed line.
    """
    fig = Figure(figsize=(7.5, 4.2), layout="constrained")
    ax = fig.subplots()
    for label, values in norms.items():
        cell = label.split(",")[0].strip()
        distance = np.arange(len(values))[::-1]  # T - t: 0 at the last step
        ax.plot(distance, values / values[-1], color=CELL_COLOURS.get(cell),
                linestyle="--" if "untrained" in label else "-", label=label)
    ax.set(yscale="log", xlabel="distance from the end, T - t (steps)",
           ylabel="||dL/ds_t||, relative to the last step", title=title)
    lowest = min(float(np.min(v / v[-1])) for v in norms.values())
    ax.set_yticks(_decade_ticks(lowest))
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize="small")
    return _save(fig, path)


def _decade_ticks(lowest: float) -> list[float]:
    """Powers of ten from 1 down past ``lowest``, every 1, 2, 5, 10 or 20 decades (<= 10 ticks)."""
    decades = max(1, int(np.ceil(-np.log10(lowest)))) if lowest > 0 else 1
    step = next(s for s in (1, 2, 5, 10, 20, 50) if decades / s <= 10)
    return [10.0 ** -k for k in range(0, decades + step, step)]


def gate_heatmaps(gates: Mapping[str, np.ndarray], path: str | os.PathLike[str], *,
                  title: str, marks: Sequence[int] = (), signal: np.ndarray | None = None,
                  signal_label: str = "input", time_labels: Sequence[str] | None = None,
                  order: Sequence[int] | np.ndarray | None = None) -> Path:
    """Forget, input and output gates as units x time heatmaps, then the cell-state trajectory.

    ``gates`` holds ``f_t, i_t, o_t, c_t`` of one sequence, each (T, H). Units are sorted by how
    much their input gate varies (the units that write selectively come first), and the cell
    states of the first :data:`HIGHLIGHT` of them are coloured. ``marks`` are time steps shown
    as red triangles on the heatmaps and dashed lines elsewhere; ``signal`` (T,) is drawn above
    the gates; ``time_labels`` (T,) replace step numbers on the time axis (for example dates).
    """
    rows = 4 + (signal is not None)
    fig = Figure(figsize=(11, 1.9 * rows + 0.6))
    axes = fig.subplots(rows, 1, sharex=True, height_ratios=[0.6] * (signal is not None) + [1] * 4)
    fig.subplots_adjust(hspace=0.12, top=0.95)  # fixed layout: the colour bars sit in insets
    fig.suptitle(title, y=0.99)
    if signal is not None:
        axes[0].plot(signal, color="black", linewidth=0.8)
        axes[0].set_ylabel(signal_label)
    order = np.argsort(-gates["i_t"].std(axis=0)) if order is None else np.asarray(order)
    for ax, (name, label) in zip(axes[rows - 4:], GATES, strict=False):
        image = ax.imshow(gates[name][:, order].T, aspect="auto", cmap="viridis", vmin=0, vmax=1,
                          interpolation="nearest")
        ax.set_ylabel(f"{label}\nunit rank")
        ax.plot(marks, [1.05] * len(marks), "v", color="red", markersize=6, clip_on=False,
                transform=ax.get_xaxis_transform())  # just above the top row
        fig.colorbar(image, cax=ax.inset_axes((1.005, 0.0, 0.012, 1.0)))  # keeps widths equal
    _cell_states(axes[-1], gates["c_t"], order)
    for ax in (axes[0], axes[-1]):
        for mark in marks:
            ax.axvline(mark, color="red", linestyle="--", linewidth=1.0)
    if time_labels is not None:
        ticks = np.linspace(0, len(time_labels) - 1, 6).astype(int)
        axes[-1].set_xticks(ticks, [time_labels[i] for i in ticks])
    axes[-1].set_xlabel("date" if time_labels is not None else "time step")
    return _save(fig, path)


def _cell_states(ax: Axes, c_t: np.ndarray, order: np.ndarray) -> None:
    """``c_t`` (T, H): the first :data:`HIGHLIGHT` units of ``order`` in colour, others grey.

    The vertical range fits the coloured units, so small but telling moves stay visible; grey
    units beyond it are cut off.
    """
    shown, rest = order[:HIGHLIGHT], order[HIGHLIGHT:]
    ax.plot(c_t[:, rest], color="0.8", linewidth=0.5)
    for unit in shown:
        ax.plot(c_t[:, unit], linewidth=1.2, label=f"unit {unit}")
    low, high = float(c_t[:, shown].min()), float(c_t[:, shown].max())
    margin = 0.15 * (high - low) + 1e-3
    ax.set_ylim(low - margin, high + margin)
    ax.set_ylabel("cell state c_t\n(grey: other units)")
    ax.legend(fontsize="x-small", ncols=HIGHLIGHT, loc="upper left")
