"""Bernoulli-Bernoulli Restricted Boltzmann Machine with a connectivity mask (paper eq. 1, 7).

Energy (eq. 1): E(v, h) = -b_v . v - b_h . h - v^T (W * mask) h.
A removed weight (``mask`` False) is exactly 0 in ``W`` at all times; training masks its
gradient and momentum too (see ``boltzprune.training.cd``).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from boltzprune._validate import (
    check_binary_matrix,
    check_finite,
    check_generator,
    check_mask,
    check_memory,
    check_positive_float,
    check_positive_int,
)
from boltzprune.errors import InvalidInputError
from boltzprune.seeding import normal, uniform

__all__ = ["RBM", "init_rbm"]


@dataclass
class RBM:
    """Parameters of one RBM. Tensors live on one device, float32.

    W: (n_visible, n_hidden) weights, exactly 0 where ``mask`` is False.
    b_v: (n_visible,) visible biases.  b_h: (n_hidden,) hidden biases.
    mask: (n_visible, n_hidden) bool, True where a weight exists.
    hidden_index: (n_hidden,) int64, each hidden unit's index in the original, unpruned model.
    """

    W: torch.Tensor
    b_v: torch.Tensor
    b_h: torch.Tensor
    mask: torch.Tensor
    hidden_index: torch.Tensor

    def __post_init__(self) -> None:
        n_v, n_h = self.W.shape
        assert self.b_v.shape == (n_v,) and self.b_h.shape == (n_h,)
        assert self.mask.shape == (n_v, n_h) and self.mask.dtype == torch.bool
        assert self.hidden_index.shape == (n_h,)

    # -- shape ------------------------------------------------------------------------
    @property
    def n_visible(self) -> int:
        return self.W.shape[0]

    @property
    def n_hidden(self) -> int:
        return self.W.shape[1]

    @property
    def n_weights(self) -> int:
        """Number of weights that exist (True in ``mask``)."""
        return int(self.mask.sum())

    @property
    def device(self) -> torch.device:
        return self.W.device

    def clone(self) -> RBM:
        return RBM(*(t.clone() for t in self.tensors().values()))

    def to(self, device: str | torch.device) -> RBM:
        return RBM(*(t.to(device) for t in self.tensors().values()))

    def tensors(self) -> dict[str, torch.Tensor]:
        """Named tensors, for checkpoints."""
        return {"W": self.W, "b_v": self.b_v, "b_h": self.b_h, "mask": self.mask,
                "hidden_index": self.hidden_index}

    @classmethod
    def from_tensors(cls, t: dict[str, torch.Tensor]) -> RBM:
        missing = {"W", "b_v", "b_h", "mask", "hidden_index"} - set(t)
        if missing:
            raise InvalidInputError(f"RBM tensors are missing {sorted(missing)}")
        W = t["W"].to(torch.float32)
        if W.ndim != 2:
            raise InvalidInputError(f"W must be 2-D (n_visible, n_hidden), got shape "
                                    f"{tuple(W.shape)}")
        mask = check_mask("mask", t["mask"], tuple(W.shape))
        b_v, b_h = t["b_v"].to(torch.float32), t["b_h"].to(torch.float32)
        if b_v.shape != (W.shape[0],) or b_h.shape != (W.shape[1],):
            raise InvalidInputError(f"bias shapes {tuple(b_v.shape)}, {tuple(b_h.shape)} do not "
                                    f"match W of shape {tuple(W.shape)}")
        index = t["hidden_index"].to(torch.int64)
        if index.shape != (W.shape[1],):
            raise InvalidInputError(f"hidden_index must have shape ({W.shape[1]},) to match W of "
                                    f"shape {tuple(W.shape)}, got {tuple(index.shape)}")
        return cls(W * mask, b_v, b_h, mask, index)

    # -- conditionals (eq. 7) -----------------------------------------------------------
    def p_h(self, v: torch.Tensor) -> torch.Tensor:
        """p(h_j = 1 | v) for v: (batch, n_visible) -> (batch, n_hidden)."""
        return torch.sigmoid(v @ self.W + self.b_h)

    def p_v(self, h: torch.Tensor) -> torch.Tensor:
        """p(v_i = 1 | h) for h: (batch, n_hidden) -> (batch, n_visible)."""
        return torch.sigmoid(h @ self.W.T + self.b_v)

    def sample_h(self, v: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        p = self.p_h(v)
        return (uniform(p.shape, generator, p.device) < p).to(p.dtype)

    def sample_v(self, h: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        p = self.p_v(h)
        return (uniform(p.shape, generator, p.device) < p).to(p.dtype)

    # -- energies -------------------------------------------------------------------------
    def energy(self, v: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """E(v, h) (eq. 1) for v: (batch, n_visible), h: (batch, n_hidden) -> (batch,)."""
        return -(v @ self.b_v) - (h @ self.b_h) - ((v @ self.W) * h).sum(-1)

    def free_energy(self, v: torch.Tensor) -> torch.Tensor:
        """F(v) = -log sum_h exp(-E(v, h)) for v: (batch, n_visible) -> (batch,)."""
        return -(v @ self.b_v) - F.softplus(v @ self.W + self.b_h).sum(-1)

    def free_energy_h(self, h: torch.Tensor) -> torch.Tensor:
        """F(h) = -log sum_v exp(-E(v, h)) for h: (batch, n_hidden) -> (batch,)."""
        return -(h @ self.b_h) - F.softplus(h @ self.W.T + self.b_v).sum(-1)


#: Peak bytes a weight while ``init_rbm`` builds a model: bool mask, float32 draws, weights.
INIT_BYTES_PER_WEIGHT = 13


def init_rbm(
    n_visible: int,
    n_hidden: int,
    *,
    generator: torch.Generator,
    weight_std: float = 0.1,
    hidden_bias: float = -2.0,
    visible_on_fraction: torch.Tensor | None = None,
    visible_bias: float = 0.0,
    mask: torch.Tensor | None = None,
) -> RBM:
    """A new RBM initialised as in the paper (section 4.3.1).

    W ~ N(0, weight_std^2) (paper: 0.1), b_h = hidden_bias (paper: -2), and b_v =
    logit(visible_on_fraction) clipped to on-fractions in [1e-3, 1 - 1e-3] when given
    (Hinton's recommendation, used by the paper), else ``visible_bias``.

    visible_on_fraction: (n_visible,) fraction of training patterns with v_i = 1.
    mask: optional (n_visible, n_hidden) bool connectivity; default fully connected.
    """
    n_visible = check_positive_int("n_visible", n_visible)
    n_hidden = check_positive_int("n_hidden", n_hidden)
    check_generator("generator", generator)
    weight_std = check_positive_float("weight_std", weight_std, allow_zero=True)
    hidden_bias = check_finite("hidden_bias", hidden_bias)
    visible_bias = check_finite("visible_bias", visible_bias)
    check_memory(f"n_visible x n_hidden = {n_visible} x {n_hidden}",
                 INIT_BYTES_PER_WEIGHT * n_visible * n_hidden)
    if mask is None:
        mask = torch.ones(n_visible, n_hidden, dtype=torch.bool)
    mask = check_mask("mask", mask, (n_visible, n_hidden)).cpu()  # built on the CPU; .to()
    W = normal((n_visible, n_hidden), generator, "cpu") * weight_std
    if visible_on_fraction is not None:
        frac = torch.as_tensor(visible_on_fraction, dtype=torch.float32)
        if frac.shape != (n_visible,):
            raise InvalidInputError(f"visible_on_fraction must have shape ({n_visible},), "
                                    f"got {tuple(frac.shape)}")
        if not bool(((frac >= 0) & (frac <= 1)).all()):
            bad = frac[~((frac >= 0) & (frac <= 1))][0].item()
            raise InvalidInputError(f"visible_on_fraction must hold fractions in [0, 1], got "
                                    f"{bad:g}")
        b_v = torch.logit(frac.clamp(1e-3, 1 - 1e-3))  # all-on or all-off units: finite
    else:
        b_v = torch.full((n_visible,), visible_bias)
    b_h = torch.full((n_hidden,), hidden_bias)
    return RBM(W * mask, b_v, b_h, mask.clone(), torch.arange(n_hidden))


def as_binary(name: str, x: object, rbm: RBM) -> torch.Tensor:
    """Validate data for ``rbm``: binary, 2-D, n_visible columns; float32 on rbm's device."""
    return check_binary_matrix(name, x, n_columns=rbm.n_visible).to(rbm.device)
