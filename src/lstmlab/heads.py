"""Distribution heads: what a recurrent model's last hidden state predicts, and how it is trained.

A head maps the features ``h (B, H)`` of a window to the parameters of a forecast distribution
for each of the ``horizon`` steps, ``(B, horizon, P)``, and knows the loss that trains them, the
point forecast it implies, its quantiles, its CDF and how to sample from it. All of it lives in
the space of the (scaled) targets, that is returns, never prices.

- ``mse``: no distribution, a plain linear layer to the ``(B, horizon)`` point forecasts, trained
  by the mean squared error (the layout of models saved before heads existed).
- ``quantile``: ``P = L`` quantiles at sorted levels ``tau_1 < ... < tau_L``, trained by the
  pinball loss (Koenker & Bassett 1978). They cannot cross: the head outputs a base ``q_1`` and
  ``L - 1`` steps, and ``q_j = q_1 + sum_{i<j} softplus(step_i)``.
- ``gaussian``: ``P = 2``, mean ``mu`` and scale ``sigma = softplus(.) + floor``, trained by the
  negative log-likelihood.
- ``student_t``: ``P = 3``, location, scale and degrees of freedom ``nu = 2 + softplus(.)`` (so
  the variance exists), trained by the negative log-likelihood, heavier-tailed than the Gaussian
  as daily returns are (the likelihood of GluonTS's DeepAR).

The scale floor keeps the likelihood finite on a series with zero returns and bounded on a
sudden 20% jump.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn
from torch.nn import functional

from lstmlab.config import LOSSES, check_quantiles
from lstmlab.errors import ConfigError
from lstmlab.interval_metrics import pinball

__all__ = [
    "LOSSES", "DistributionHead", "GaussianHead", "QuantileHead", "StudentTHead",
    "make_head",
]

_SCALE_FLOOR = 1e-3  # smallest predicted scale, in scaled target units


class DistributionHead(nn.Module):
    """A linear map from hidden features to ``(B, horizon, P)`` distribution parameters."""

    n_params = 1

    def __init__(self, hidden_size: int, horizon: int) -> None:
        super().__init__()
        self.horizon = horizon
        self.linear = nn.Linear(hidden_size, horizon * self.n_params)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        raw = self.linear(h).view(h.shape[0], self.horizon, self.n_params)  # (B, h, P)
        return self.constrain(raw)

    def constrain(self, raw: torch.Tensor) -> torch.Tensor:
        """Map unconstrained outputs ``(B, h, P)`` to valid parameters (identity here)."""
        return raw

    def loss(self, params: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Mean training loss of ``params (B, h, P)`` against targets ``y (B, h)``."""
        raise NotImplementedError

    def point(self, params: torch.Tensor) -> torch.Tensor:
        """The point forecast ``(B, h)`` (mean, or median for the quantile head)."""
        return params[..., 0]

    def quantiles(self, params: torch.Tensor, levels: Sequence[float] | np.ndarray
                  ) -> np.ndarray:
        """Quantiles ``(B, h, len(levels))`` of each step's forecast distribution, float64."""
        raise NotImplementedError

    def cdf(self, params: torch.Tensor, y: torch.Tensor) -> np.ndarray:
        """``P(Y <= y)`` per point, ``(B, h)``: the probability integral transform (PIT)."""
        raise NotImplementedError

    def sample(self, params: torch.Tensor, n: int, generator: torch.Generator) -> torch.Tensor:
        """``n`` draws from each step's distribution, ``(n, B, h)``."""
        raise NotImplementedError


class QuantileHead(DistributionHead):
    """Monotone quantiles at fixed levels: a base plus cumulative softplus steps."""

    def __init__(self, hidden_size: int, horizon: int, levels: Sequence[float]) -> None:
        self.levels = check_quantiles(levels)
        self.n_params = len(self.levels)
        super().__init__(hidden_size, horizon)
        self.register_buffer("tau", torch.tensor(self.levels), persistent=False)  # (L,)

    def constrain(self, raw: torch.Tensor) -> torch.Tensor:
        steps = functional.softplus(raw[..., 1:])  # (B, h, L-1), each > 0
        return torch.cat([raw[..., :1], raw[..., :1] + steps.cumsum(-1)], dim=-1)  # (B, h, L)

    def loss(self, params: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        loss: torch.Tensor = pinball(y.unsqueeze(-1), params, self.tau).mean()  # over (B, h, L)
        return loss

    def point(self, params: torch.Tensor) -> torch.Tensor:
        """The median, interpolated between the nearest levels when 0.5 is not one of them."""
        return torch.from_numpy(self.quantiles(params, [0.5])[..., 0]).to(params)

    def quantiles(self, params: torch.Tensor, levels: Sequence[float] | np.ndarray
                  ) -> np.ndarray:
        """Linear interpolation between the fitted levels, held flat beyond the extreme ones."""
        q = params.detach().cpu().double().numpy()  # (B, h, L)
        tau = np.asarray(self.levels)
        flat = q.reshape(-1, q.shape[-1])
        out = np.stack([np.interp(levels, tau, row) for row in flat])  # (B*h, len(levels))
        return out.reshape(*q.shape[:-1], len(levels))

    def cdf(self, params: torch.Tensor, y: torch.Tensor) -> np.ndarray:
        q = params.detach().cpu().double().numpy().reshape(-1, params.shape[-1])  # (B*h, L)
        values = y.detach().cpu().double().numpy().reshape(-1)
        tau = np.asarray(self.levels)
        pit = [np.interp(v, row, tau, left=0.0, right=1.0) for v, row in zip(values, q,
                                                                                strict=True)]
        return np.asarray(pit).reshape(y.shape)

    def sample(self, params: torch.Tensor, n: int, generator: torch.Generator) -> torch.Tensor:
        u = torch.rand((n, *params.shape[:-1]), generator=generator)  # (n, B, h)
        q = self.quantiles(params, np.linspace(0.0, 1.0, 201))  # (B, h, 201)
        index = (u * 200).round().long().numpy()  # nearest of the 201 levels
        draws = np.take_along_axis(q[None], index[..., None], axis=-1)[..., 0]  # (n, B, h)
        return torch.from_numpy(draws).to(params)


class _LikelihoodHead(DistributionHead):
    """A head trained by the negative log-likelihood of a ``torch.distributions`` family."""

    def distribution(self, params: torch.Tensor) -> torch.distributions.Distribution:
        """The per-step forecast distribution, batch shape ``(B, h)``."""
        raise NotImplementedError

    def loss(self, params: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return -self.distribution(params).log_prob(y).mean()

    def sample(self, params: torch.Tensor, n: int, generator: torch.Generator) -> torch.Tensor:
        # reparameterised draws from a seeded generator (torch.distributions has no generator)
        u = torch.rand((n, *params.shape[:-1]), generator=generator, dtype=torch.float64)
        u = u.clamp(1e-6, 1 - 1e-6)
        return self._icdf(params, u.numpy()).to(params)  # (n, B, h)

    def quantiles(self, params: torch.Tensor, levels: Sequence[float] | np.ndarray
                  ) -> np.ndarray:
        grid = np.empty((len(levels), *params.shape[:-1]))  # (L, B, h)
        grid[:] = np.asarray(levels, dtype=np.float64).reshape(-1, 1, 1)
        return self._icdf(params, grid).permute(1, 2, 0).numpy()  # (B, h, L)

    def _icdf(self, params: torch.Tensor, u: np.ndarray) -> torch.Tensor:
        """Inverse CDF at probabilities ``u (n, B, h)``, float64 ``(n, B, h)``."""
        raise NotImplementedError


class GaussianHead(_LikelihoodHead):
    """Mean and scale per step: ``Y ~ Normal(mu, sigma)``."""

    n_params = 2

    def constrain(self, raw: torch.Tensor) -> torch.Tensor:
        sigma = functional.softplus(raw[..., 1:]) + _SCALE_FLOOR  # (B, h, 1)
        return torch.cat([raw[..., :1], sigma], dim=-1)  # (B, h, 2)

    def distribution(self, params: torch.Tensor) -> torch.distributions.Normal:
        return torch.distributions.Normal(params[..., 0], params[..., 1])

    def cdf(self, params: torch.Tensor, y: torch.Tensor) -> np.ndarray:
        cdf: torch.Tensor = self.distribution(params.double()).cdf(y.double())
        return cdf.detach().cpu().numpy()

    def _icdf(self, params: torch.Tensor, u: np.ndarray) -> torch.Tensor:
        p = params.detach().cpu().double()
        icdf: torch.Tensor = torch.distributions.Normal(p[..., 0], p[..., 1]).icdf(
            torch.from_numpy(u))
        return icdf


class StudentTHead(_LikelihoodHead):
    """Location, scale and degrees of freedom per step: ``Y = mu + sigma * T_nu``, ``nu > 2``."""

    n_params = 3

    def constrain(self, raw: torch.Tensor) -> torch.Tensor:
        sigma = functional.softplus(raw[..., 1:2]) + _SCALE_FLOOR  # (B, h, 1)
        nu = functional.softplus(raw[..., 2:]) + 2.0  # (B, h, 1)
        return torch.cat([raw[..., :1], sigma, nu], dim=-1)  # (B, h, 3)

    def distribution(self, params: torch.Tensor) -> torch.distributions.StudentT:
        return torch.distributions.StudentT(params[..., 2], params[..., 0], params[..., 1])

    def cdf(self, params: torch.Tensor, y: torch.Tensor) -> np.ndarray:
        from scipy import stats  # torch's StudentT has no CDF

        p = params.detach().cpu().double().numpy()
        z = (y.detach().cpu().double().numpy() - p[..., 0]) / p[..., 1]
        cdf: np.ndarray = stats.t.cdf(z, df=p[..., 2])  # scipy is not annotated
        return cdf

    def _icdf(self, params: torch.Tensor, u: np.ndarray) -> torch.Tensor:
        from scipy import stats

        p = params.detach().cpu().double().numpy()
        return torch.from_numpy(p[..., 0] + p[..., 1] * stats.t.ppf(u, df=p[..., 2]))


def make_head(
    loss: str, hidden_size: int, horizon: int, quantiles: Sequence[float] = (0.05, 0.5, 0.95)
) -> nn.Module:
    """The head trained by ``loss`` (one of :data:`LOSSES`); an unknown name is a ConfigError.

    ``mse`` gives a plain ``nn.Linear(hidden_size, horizon)``; the others a
    :class:`DistributionHead` whose output is ``(B, horizon, P)``.
    """
    if loss == "mse":
        return nn.Linear(hidden_size, horizon)
    if loss == "quantile":
        return QuantileHead(hidden_size, horizon, quantiles)
    if loss == "gaussian":
        return GaussianHead(hidden_size, horizon)
    if loss == "student_t":
        return StudentTHead(hidden_size, horizon)
    raise ConfigError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")
