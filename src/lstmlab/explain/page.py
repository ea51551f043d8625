"""The explorer page: a :class:`~lstmlab.explain.walk.Walk` as one self-contained HTML file.

The page is rendered from the Jinja2 template ``templates/explain.html.j2`` (autoescaped), with
its script and stylesheet inlined and the walk embedded as JSON in a
``<script type="application/json" id="walk-data">`` block. Its Content-Security-Policy allows
no request at all and only the page's own script (by its SHA-256 hash), so the page works
offline and cannot reach the network.
"""

from __future__ import annotations

import base64
import hashlib
import os
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from lstmlab.explain.walk import Walk
from lstmlab.fileio import atomic_write_text

__all__ = ["EQUATIONS", "PAGE_NAME", "page_data", "render_page", "write_page"]

PAGE_NAME = "explain.html"
# the gates each cell records, in the order the page shows them, and the cell's equations
EQUATIONS: dict[str, list[str]] = {
    "lstm": ["f_t = σ(W_f·[h_{t-1}, x_t] + b_f)    forget gate: what of c_{t-1} to keep",
             "i_t = σ(W_i·[h_{t-1}, x_t] + b_i)    input gate: how much new content to write",
             "o_t = σ(W_o·[h_{t-1}, x_t] + b_o)    output gate: how much of the memory to show",
             "c̃_t = tanh(W_c·[h_{t-1}, x_t] + b_c)  candidate content",
             "c_t = f_t ⊙ c_{t-1} + i_t ⊙ c̃_t      the memory (cell state)",
             "h_t = o_t ⊙ tanh(c_t)               what the cell shows (hidden state)"],
    "gru": ["r_t = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)         reset gate",
            "z_t = σ(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)         update gate: what to keep",
            "n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t-1} + b_hn))  candidate",
            "h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t-1}                  the new state"],
    "rnn": ["h_t = tanh(W_ih x_t + W_hh h_{t-1} + b)    the new state: all the memory there is"],
}
_ORDER = {"lstm": ("f_t", "i_t", "o_t", "c_tilde", "c_t", "h_t"),
          "gru": ("z_t", "r_t", "n_t", "h_t"), "rnn": ("h_t",)}


def _numbers(values: np.ndarray) -> Any:
    """Nested lists of the shortest decimals that read back as the same float32 values."""
    as_text = np.asarray(values, dtype=np.float32).astype(str)
    return np.vectorize(float, otypes=[object])(as_text).tolist()


def page_data(walk: Walk) -> dict[str, Any]:
    """The JSON embedded in the page: every recorded gate, the inputs, outcome, attribution."""
    attribution = walk.attribution
    return {
        "cell": walk.cell, "labels": walk.labels, "features": walk.feature_names,
        "inputs": _numbers(walk.inputs), "marks": walk.marks,
        "gates": list(_ORDER[walk.cell]),
        "layers": [{name: _numbers(layer[name]) for name in _ORDER[walk.cell]}
                   for layer in walk.layers],
        "outcome": {"what": walk.outcome.what, "model": walk.outcome.model,
                    "naive": walk.outcome.naive, "naive_name": walk.outcome.naive_name,
                    "actual": walk.outcome.actual},
        "attribution": {"per_step": _numbers(attribution.per_step),
                        "values": _numbers(attribution.values),
                        "output": attribution.output,
                        "baseline_output": attribution.baseline_output,
                        "error": attribution.completeness_error, "units": attribution.units,
                        "baseline": attribution.baseline_name, "steps": attribution.steps},
    }


def _asset(name: str) -> str:
    return resources.files("lstmlab.explain").joinpath("templates", name).read_text("utf-8")


def render_page(walk: Walk) -> str:
    """The explorer page of ``walk`` as one HTML document."""
    import jinja2
    from markupsafe import Markup

    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined,
                                     keep_trailing_newline=True)
    template = environment.from_string(_asset("explain.html.j2"))
    script = _asset("explain.js")
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    return template.render(
        walk=walk, data=page_data(walk), equations=EQUATIONS[walk.cell],
        script=Markup(script), style=Markup(_asset("explain.css")),
        csp=f"default-src 'none'; script-src 'sha256-{digest}'; style-src 'unsafe-inline'",
    )


def write_page(walk: Walk, folder: str | os.PathLike[str], name: str = PAGE_NAME) -> Path:
    """Write the page as ``folder/name`` atomically; return its path."""
    return atomic_write_text(Path(folder) / name, render_page(walk))
