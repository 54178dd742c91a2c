"""Local estimates of the FIM diagonal for the weights (paper eq. 4, 9 and 10)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from boltzprune.errors import InvalidInputError

__all__ = ["variance_fi", "heuristic_fi", "bias_fi", "variance_fi_from_rates",
           "heuristic_fi_from_rates", "coincidence_rates", "LocalRates"]


@dataclass(frozen=True)
class LocalRates:
    """What the synapses of one weight matrix see, averaged: the coincidence rates
    <x_i y_j> (n_lower, n_upper) and the firing rates <x_i> of the layer below and <y_j> of
    the layer above. Criteria read them from an ``ImportanceContext`` (``coincidence()``,
    ``firing_rates()``); ``fisher.running.RunningFisher`` keeps them during training."""

    coincidence: torch.Tensor
    lower: torch.Tensor
    upper: torch.Tensor


def _check_pair(v: torch.Tensor, h: torch.Tensor) -> None:
    if v.ndim != 2 or h.ndim != 2 or v.shape[0] != h.shape[0]:
        raise InvalidInputError(f"samples v and h must be 2-D with the same number of rows, got "
                                f"shapes {tuple(v.shape)} and {tuple(h.shape)}")
    if v.shape[0] == 0:
        raise InvalidInputError("samples are empty: need at least one joint sample (v, h)")


def coincidence_rates(v: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
    """<v_i h_j> over joint samples v: (n, n_visible), h: (n, n_hidden), float64."""
    _check_pair(v, h)
    return (v.double().T @ h.double()) / v.shape[0]


def variance_fi(v: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
    """Variance estimate of F_{w_ij, w_ij} (eq. 4): p (1 - p) with p = <v_i h_j>.

    v: (n, n_visible), h: (n, n_hidden) binary model samples -> (n_visible, n_hidden).
    """
    return variance_fi_from_rates(coincidence_rates(v, h))


def variance_fi_from_rates(p: torch.Tensor) -> torch.Tensor:
    """Eq. 4 from the coincidence rates p = <v_i h_j>: (n_visible, n_hidden) -> p (1 - p)."""
    p = p.double()
    return (p * (1 - p)).to(torch.float32)


def heuristic_fi(v: torch.Tensor, h: torch.Tensor, W: torch.Tensor) -> torch.Tensor:
    """Mean-field ("heuristic") estimate of F_{w_ij, w_ij} (eq. 10): q (1 - q) with
    q = <h_j> sigma(logit(<v_i>) + w_ij (1 - <h_j>)).

    Uses only the mean rates and the weight. sigma(logit(r) + x) is taken at its limits
    where a rate is exactly 0 or 1 (= r e^x / (1 - r + r e^x), finite on [0, 1]), so a unit
    that never fires has exactly the paper's FI of 0, which the DBM zero-FI rule relies on.
    v: (n, n_visible), h: (n, n_hidden), W: (n_visible, n_hidden) -> (n_visible, n_hidden).
    """
    _check_pair(v, h)
    if W.shape != (v.shape[1], h.shape[1]):
        raise InvalidInputError(f"W must have shape {(v.shape[1], h.shape[1])}, got "
                                f"{tuple(W.shape)}")
    return heuristic_fi_from_rates(v.double().mean(0), h.double().mean(0), W)


def heuristic_fi_from_rates(rate_v: torch.Tensor, rate_h: torch.Tensor, W: torch.Tensor
                            ) -> torch.Tensor:
    """Eq. 10 from the firing rates <v_i>: (n_visible,), <h_j>: (n_hidden,) and the weights
    W: (n_visible, n_hidden) (``heuristic_fi``, which averages samples into the rates)."""
    mv = rate_v.double()[:, None]
    mh = rate_h.double()[None, :]
    inside = (mv > 0) & (mv < 1)
    # strictly inside (0, 1) the logit is finite: the same numbers as the formula itself
    sig = torch.sigmoid(torch.logit(mv.clamp(1e-300, 1 - 1e-16)) + W.double() * (1 - mh))
    sig = torch.where(inside, sig, mv.expand_as(sig))  # rate 0 -> 0, rate 1 -> 1
    q = mh * sig
    return (q * (1 - q)).to(torch.float32)


def bias_fi(x: torch.Tensor) -> torch.Tensor:
    """F_{b_i, b_i} = Var(x_i) (eq. 9) for samples x: (n, n_units) -> (n_units,)."""
    if x.ndim != 2 or x.shape[0] == 0:
        raise InvalidInputError(f"samples must be 2-D and non-empty, got shape {tuple(x.shape)}")
    m = x.double().mean(0)
    return (m * (1 - m)).to(torch.float32)
