"""The exact FIM of a small RBM by enumerating the visible layer (n_visible <= 24).

FIM = Cov(s) with s = [vec(v h^T), v, h]. Given v the hidden units are independent with
means mu = p(h|v) and variances d = mu (1 - mu), so
    FIM = Cov_v(E[s|v]) + E_v[Cov(s|v)],
where Cov(s|v) is non-zero only between v_i h_j, v_k h_j and h_j: v_i v_k d_j, v_i d_j, d_j.
"""

from __future__ import annotations

import torch

from boltzprune.fisher.stats import n_parameters, sufficient_statistics
from boltzprune.models.rbm import RBM

__all__ = ["exact_fim"]


def exact_fim(rbm: RBM) -> torch.Tensor:
    """The exact (P, P) FIM (float64) of ``rbm`` under its own distribution."""
    from boltzprune.models.enumerate import all_states, log_marginal_visible

    n_v, n_h = rbm.n_visible, rbm.n_hidden
    p = log_marginal_visible(rbm).double().exp()  # (2^n_v,)
    V = all_states(n_v, device=rbm.device).double()
    mu = torch.sigmoid(V @ rbm.W.double() + rbm.b_h.double())
    d = mu * (1 - mu)
    Es = sufficient_statistics(V, mu)  # E[s | v]
    mean = p @ Es
    F = (Es * p[:, None]).T @ Es - torch.outer(mean, mean)
    nw = n_v * n_h
    # E_v[Cov(s|v)]: W-W block v_i v_k d_j at (i*n_h+j, k*n_h+j)
    T = torch.einsum("n,ni,nk,nj->ikj", p, V, V, d)  # (n_v, n_v, n_h)
    rows = (torch.arange(n_v)[:, None, None] * n_h + torch.arange(n_h)[None, None, :])
    cols = (torch.arange(n_v)[None, :, None] * n_h + torch.arange(n_h)[None, None, :])
    rows, cols = rows.expand(n_v, n_v, n_h), cols.expand(n_v, n_v, n_h)
    F[rows.reshape(-1), cols.reshape(-1)] += T.reshape(-1)
    # W-b_h block v_i d_j at (i*n_h+j, nw+n_v+j) and its transpose
    U = torch.einsum("n,ni,nj->ij", p, V, d).reshape(-1)
    wi = torch.arange(nw)
    bj = nw + n_v + (wi % n_h)
    F[wi, bj] += U
    F[bj, wi] += U
    # b_h-b_h block: d_j on the diagonal
    hj = torch.arange(nw + n_v, n_parameters(n_v, n_h))
    F[hj, hj] += p @ d
    return F
