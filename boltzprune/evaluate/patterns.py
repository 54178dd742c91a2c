"""Distributions over visible patterns: empirical, the model's exact one, KL and
rank-frequency (paper Fig 2)."""

from __future__ import annotations

import numpy as np
import torch

from boltzprune.errors import InvalidInputError
from boltzprune.models.enumerate import MAX_ENUMERATED_UNITS, log_marginal_visible
from boltzprune.models.rbm import RBM

__all__ = ["pattern_codes", "empirical_distribution", "model_distribution", "kl_divergence",
           "exact_fit",
           "rank_frequency"]


def pattern_codes(x: torch.Tensor | np.ndarray) -> np.ndarray:
    """Integer code of each binary row of x: (n, n_units), unit 0 most significant -> (n,)."""
    x = np.asarray(x.cpu() if isinstance(x, torch.Tensor) else x)
    if x.ndim != 2 or not 0 < x.shape[1] <= 62:
        raise InvalidInputError(f"patterns must be 2-D with 1 to 62 units, got shape {x.shape}")
    weights = 1 << np.arange(x.shape[1] - 1, -1, -1, dtype=np.int64)
    return (x.astype(np.int64) * weights).sum(1)


def empirical_distribution(x: torch.Tensor | np.ndarray) -> np.ndarray:
    """Frequencies of all 2^n_units patterns in x: (n, n_units) -> (2^n_units,) summing to 1."""
    x = np.asarray(x.cpu() if isinstance(x, torch.Tensor) else x)
    if x.shape[1] > MAX_ENUMERATED_UNITS:
        raise InvalidInputError(f"at most {MAX_ENUMERATED_UNITS} units, got {x.shape[1]}")
    counts = np.bincount(pattern_codes(x), minlength=2 ** x.shape[1])
    return counts / counts.sum()


def model_distribution(rbm: RBM) -> np.ndarray:
    """The model's exact p(v) over all 2^n_visible patterns (float64)."""
    return log_marginal_visible(rbm).exp().cpu().numpy()


def kl_divergence(p: np.ndarray, q: np.ndarray) -> float:
    """KL(p || q) in nats for distributions over the same patterns; 0 log 0 = 0."""
    p, q = np.asarray(p, np.float64), np.asarray(q, np.float64)
    if p.shape != q.shape:
        raise InvalidInputError(f"distributions must have the same shape, got {p.shape} and "
                                f"{q.shape}")
    nz = p > 0
    if np.any(q[nz] <= 0):
        return float("inf")
    return float(np.sum(p[nz] * (np.log(p[nz]) - np.log(q[nz]))))


def rank_frequency(p: np.ndarray, *, drop_zeros: bool = True) -> np.ndarray:
    """Pattern frequencies sorted descending (rank 1 first), for log-log rank-frequency plots.

    p: (n_patterns,) probabilities or frequencies; zeros are dropped unless told otherwise.
    """
    p = np.ascontiguousarray(np.sort(np.asarray(p, np.float64))[::-1])
    return p[p > 0] if drop_zeros else p


def exact_fit(rbm: RBM, p_data: np.ndarray) -> dict[str, float]:
    """Exact fit of a small RBM to an empirical pattern distribution p_data: (2^n_visible,).

    Returns the mean log-likelihood per pattern, sum p_data log p_model (nats), and
    KL(data || model) = -H(p_data) - log-likelihood.
    """
    q = log_marginal_visible(rbm).cpu().numpy()
    p = np.asarray(p_data, np.float64)
    if p.shape != q.shape:
        raise InvalidInputError(f"p_data must have shape {q.shape}, got {p.shape}")
    nz = p > 0
    ll = float(np.sum(p[nz] * q[nz]))
    entropy = float(-np.sum(p[nz] * np.log(p[nz])))
    return {"log_likelihood": ll, "kl": -entropy - ll}
