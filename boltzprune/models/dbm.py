"""Deep Boltzmann Machine with any number of hidden layers (paper eq. 8), one weight matrix
and one connectivity mask per layer pair.

Layers are numbered 0 (visible) to L (deepest hidden). Energy:
E(x_0, ..., x_L) = -sum_l b_l . x_l - sum_{l=1..L} x_{l-1}^T (W_l * mask_l) x_l.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from boltzprune._validate import (
    check_finite,
    check_generator,
    check_memory,
    check_positive_float,
    check_positive_int,
)
from boltzprune.errors import InvalidInputError
from boltzprune.models.config import MeanFieldConfig  # re-exported, where it always was
from boltzprune.models.rbm import INIT_BYTES_PER_WEIGHT, RBM
from boltzprune.seeding import normal, uniform

__all__ = ["DBM", "init_dbm", "MeanFieldConfig", "MEAN_FIELD_CHECK_EVERY"]

# mean-field sweeps between convergence checks off the CPU (each check waits for the device)
MEAN_FIELD_CHECK_EVERY = 5


@dataclass
class DBM:
    """weights[l-1]: (n_{l-1}, n_l); masks likewise (bool); biases[l]: (n_l,) for l = 0..L;
    hidden_index[l-1]: (n_l,) original indices of the units of hidden layer l."""

    weights: list[torch.Tensor]
    masks: list[torch.Tensor]
    biases: list[torch.Tensor]
    hidden_index: list[torch.Tensor]

    def __post_init__(self) -> None:
        assert len(self.weights) == len(self.masks) == len(self.biases) - 1 \
            == len(self.hidden_index) >= 1
        for l, (W, m) in enumerate(zip(self.weights, self.masks, strict=True)):
            assert W.shape == m.shape and m.dtype == torch.bool
            assert self.biases[l].shape == (W.shape[0],)
            assert self.biases[l + 1].shape == (W.shape[1],)

    @property
    def n_layers(self) -> int:
        """Number of hidden layers L."""
        return len(self.weights)

    @property
    def sizes(self) -> list[int]:
        return [b.shape[0] for b in self.biases]

    @property
    def n_weights(self) -> list[int]:
        return [int(m.sum()) for m in self.masks]

    @property
    def device(self) -> torch.device:
        return self.weights[0].device

    def clone(self) -> DBM:
        return DBM([w.clone() for w in self.weights], [m.clone() for m in self.masks],
                   [b.clone() for b in self.biases], [i.clone() for i in self.hidden_index])

    def to(self, device: str | torch.device) -> DBM:
        """The same DBM with every tensor on ``device``."""
        return DBM(*([t.to(device) for t in ts] for ts in
                     (self.weights, self.masks, self.biases, self.hidden_index)))

    def layer_rbm(self, l: int) -> RBM:
        """Layer pair (l-1, l) as an RBM view (shares tensors), l = 1..L."""
        return RBM(self.weights[l - 1], self.biases[l - 1], self.biases[l], self.masks[l - 1],
                   self.hidden_index[l - 1])

    def tensors(self) -> dict[str, torch.Tensor]:
        out = {}
        for l in range(self.n_layers):
            out[f"W{l + 1}"] = self.weights[l]
            out[f"mask{l + 1}"] = self.masks[l]
            out[f"index{l + 1}"] = self.hidden_index[l]
        for l, b in enumerate(self.biases):
            out[f"b{l}"] = b
        return out

    @classmethod
    def from_tensors(cls, t: dict[str, torch.Tensor]) -> DBM:
        L = sum(1 for k in t if k.startswith("W"))
        need = {f"W{l}" for l in range(1, L + 1)} | {f"mask{l}" for l in range(1, L + 1)} \
            | {f"index{l}" for l in range(1, L + 1)} | {f"b{l}" for l in range(L + 1)}
        if L == 0 or need - set(t):
            raise InvalidInputError(f"DBM tensors are missing {sorted(need - set(t)) or ['W1']}")
        masks = [t[f"mask{l}"].to(torch.bool) for l in range(1, L + 1)]
        weights = [t[f"W{l}"].float() * m for l, m in zip(range(1, L + 1), masks, strict=True)]
        try:
            return cls(weights, masks, [t[f"b{l}"].float() for l in range(L + 1)],
                       [t[f"index{l}"].long() for l in range(1, L + 1)])
        except AssertionError:
            raise InvalidInputError("DBM tensors have inconsistent shapes") from None

    # -- conditionals -----------------------------------------------------------------
    def _input(self, l: int, below: torch.Tensor | None, above: torch.Tensor | None
               ) -> torch.Tensor:
        x = self.biases[l]
        if below is not None:
            x = below @ self.weights[l - 1] + x
        if above is not None:
            x = above @ self.weights[l].T + x
        return x

    def p_layer(self, l: int, states: list[torch.Tensor]) -> torch.Tensor:
        """p(x_l = 1 | neighbouring layers) from ``states`` (one (batch, n_k) per layer)."""
        below = states[l - 1] if l > 0 else None
        above = states[l + 1] if l < self.n_layers else None
        return torch.sigmoid(self._input(l, below, above))

    def gibbs_sweep(self, states: list[torch.Tensor], generator: torch.Generator,
                    clamp_visible: bool = False) -> list[torch.Tensor]:
        """One sweep: odd layers given even layers, then even layers given odd layers."""
        states = list(states)
        for parity in (1, 0):
            for l in range(parity, self.n_layers + 1, 2):
                if l == 0 and clamp_visible:
                    continue
                p = self.p_layer(l, states)
                states[l] = (uniform(p.shape, generator, p.device) < p
                             ).to(p.dtype)
        return states

    def mean_field(self, v: torch.Tensor,
                   config: MeanFieldConfig = MeanFieldConfig(),  # noqa: B008 (frozen)
                   ) -> list[torch.Tensor]:
        """Variational marginals mu_1..mu_L of the hidden layers given v: (batch, n_0).

        Initialised by a bottom-up pass with doubled input to all but the top layer
        (Salakhutdinov & Larochelle 2010), then damped fixed-point updates until the largest
        change is below ``tol`` or ``max_iter`` sweeps. Returns [v, mu_1, ..., mu_L].
        """
        vw = v @ self.weights[0]  # the clamped visible layer's input to h1, computed once
        mus = [v]
        for l in range(1, self.n_layers + 1):
            scale = 2.0 if l < self.n_layers else 1.0
            below = vw if l == 1 else mus[-1] @ self.weights[l - 1]
            mus.append(torch.sigmoid(scale * below + self.biases[l]))
        base1 = vw + self.biases[1]  # = _input(1, v, None), the same numbers
        d = config.damping
        # The convergence test reads a number back from the device: on the CPU that costs
        # nothing, so it runs after every sweep; elsewhere it runs every few sweeps, and
        # the sweeps after convergence keep the converged marginals (the same result).
        every = _check_every(v.device)
        done: torch.Tensor | None = None  # on the device: converged in an earlier sweep
        for it in range(config.max_iter):
            delta: torch.Tensor | None = None
            for l in range(1, self.n_layers + 1):
                if l == 1:
                    x = base1 if self.n_layers == 1 else mus[2] @ self.weights[1].T + base1
                    new = torch.sigmoid(x)
                else:
                    new = self.p_layer(l, mus)
                if d:
                    new = d * mus[l] + (1 - d) * new
                if done is not None and every > 1:
                    new = torch.where(done, mus[l], new)
                step = (new - mus[l]).abs().max()
                delta = step if delta is None else torch.maximum(delta, step)
                mus[l] = new
            assert delta is not None
            converged = delta.double() <= config.tol
            done = converged if done is None else done | converged
            if (it + 1) % every == 0 and bool(done):
                break
        return mus

    def energy(self, states: list[torch.Tensor]) -> torch.Tensor:
        """E of joint states (one (batch, n_l) per layer) -> (batch,) (paper eq. 8)."""
        e = sum(-(s @ b) for s, b in zip(states, self.biases, strict=True))
        for l in range(1, self.n_layers + 1):
            e = e - ((states[l - 1] @ self.weights[l - 1]) * states[l]).sum(-1)
        return e


def _check_every(device: torch.device) -> int:
    """Mean-field sweeps between convergence checks on ``device``."""
    return 1 if device.type == "cpu" else MEAN_FIELD_CHECK_EVERY


def init_dbm(sizes: list[int], *, generator: torch.Generator, weight_std: float = 0.1,
             visible_bias: float = -1.0, hidden_bias: float = -2.0,
             masks: list[torch.Tensor | None] | None = None) -> DBM:
    """A new DBM: W ~ N(0, weight_std^2), b_v = visible_bias, hidden biases = hidden_bias
    (paper 4.3.2: 0.1, -1, -2). ``masks[l]`` (n_l, n_{l+1}) bool or None (dense)."""
    if len(sizes) < 2:
        raise InvalidInputError(f"sizes must list the visible and at least one hidden layer, got "
                                f"{sizes}")
    sizes = [check_positive_int("layer size", n) for n in sizes]
    check_generator("generator", generator)
    weight_std = check_positive_float("weight_std", weight_std, allow_zero=True)
    visible_bias = check_finite("visible_bias", visible_bias)
    hidden_bias = check_finite("hidden_bias", hidden_bias)
    check_memory(f"layer sizes {sizes}",
                 INIT_BYTES_PER_WEIGHT * sum(a * b for a, b in zip(sizes, sizes[1:],
                                                                  strict=False)))
    masks = masks or [None] * (len(sizes) - 1)
    if len(masks) != len(sizes) - 1:
        raise InvalidInputError(f"masks must have {len(sizes) - 1} entries, got {len(masks)}")
    ws, ms = [], []
    for l in range(len(sizes) - 1):
        shape = (sizes[l], sizes[l + 1])
        m = masks[l]
        m = torch.ones(shape, dtype=torch.bool) if m is None else m.cpu()
        if tuple(m.shape) != shape or m.dtype != torch.bool:
            raise InvalidInputError(f"masks[{l}] must be a bool tensor of shape {shape}, got "
                                    f"{m.dtype} {tuple(m.shape)}")
        ws.append(normal(shape, generator, "cpu") * weight_std * m)
        ms.append(m.clone())
    bs = [torch.full((sizes[0],), float(visible_bias))] + \
        [torch.full((n,), float(hidden_bias)) for n in sizes[1:]]
    return DBM(ws, ms, bs, [torch.arange(n) for n in sizes[1:]])
