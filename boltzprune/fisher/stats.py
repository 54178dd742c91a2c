"""Sufficient statistics of an RBM: s = [vec(v h^T), v, h] (paper eq. 2-3, appendix A.1).

vec is row-major: weight w_ij sits at index i * n_hidden + j; then the n_visible visible
biases, then the n_hidden hidden biases. The FIM of an RBM is Cov(s) under the model.
"""

from __future__ import annotations

import torch

__all__ = ["sufficient_statistics", "n_parameters", "parameter_blocks"]


def n_parameters(n_visible: int, n_hidden: int) -> int:
    return n_visible * n_hidden + n_visible + n_hidden


def sufficient_statistics(v: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
    """s for each sample: v: (n, n_visible), h: (n, n_hidden) -> (n, n_v*n_h + n_v + n_h)."""
    vh = (v[:, :, None] * h[:, None, :]).reshape(v.shape[0], -1)
    return torch.cat([vh, v, h], dim=1)


def parameter_blocks(x: torch.Tensor, n_visible: int, n_hidden: int) -> dict[str, torch.Tensor]:
    """Split a parameter-indexed vector x: (P,) into W: (n_v, n_h), b_v: (n_v,), b_h: (n_h,)."""
    nw = n_visible * n_hidden
    assert x.shape[-1] == nw + n_visible + n_hidden
    return {"W": x[..., :nw].reshape(*x.shape[:-1], n_visible, n_hidden),
            "b_v": x[..., nw:nw + n_visible], "b_h": x[..., nw + n_visible:]}
