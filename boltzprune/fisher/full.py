"""The full FIM from samples and its eigendecomposition (paper 2.2, Fig 1)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from boltzprune.errors import InvalidInputError
from boltzprune.fisher.stats import parameter_blocks, sufficient_statistics

__all__ = ["FIMEigen", "sampled_fim", "fim_eigen", "parameter_mask"]


def sampled_fim(v: torch.Tensor, h: torch.Tensor, *, chunk: int = 8192) -> torch.Tensor:
    """Cov(s) over samples (1/n normalisation), s = [vec(v h^T), v, h] (eq. 2-3, A.1).

    v: (n, n_visible), h: (n, n_hidden) -> (P, P) float64 with P = n_v n_h + n_v + n_h.
    Accumulated in float64 chunks so memory stays O(chunk * P + P^2).
    """
    if v.ndim != 2 or h.ndim != 2 or v.shape[0] != h.shape[0] or v.shape[0] == 0:
        raise InvalidInputError(f"samples v and h must be 2-D, non-empty, with equal rows; got "
                                f"{tuple(v.shape)} and {tuple(h.shape)}")
    n = v.shape[0]
    P = v.shape[1] * h.shape[1] + v.shape[1] + h.shape[1]
    second = torch.zeros(P, P, dtype=torch.float64, device=v.device)
    total = torch.zeros(P, dtype=torch.float64, device=v.device)
    for start in range(0, n, chunk):
        s = sufficient_statistics(v[start:start + chunk], h[start:start + chunk]).double()
        second += s.T @ s
        total += s.sum(0)
    mean = total / n
    return second / n - torch.outer(mean, mean)


def parameter_mask(mask: torch.Tensor) -> torch.Tensor:
    """Which of the P coordinates are parameters that exist: (n_v, n_h) bool -> (P,) bool."""
    n_v, n_h = mask.shape
    return torch.cat([mask.reshape(-1), torch.ones(n_v + n_h, dtype=torch.bool,
                                                   device=mask.device)])


@dataclass
class FIMEigen:
    """Leading eigenpairs of the FIM restricted to existing parameters.

    values: (k,) descending; vectors: (P, k), zero at removed weights; the sign of each
    eigenvector is fixed so that its largest-magnitude entry is positive.
    """

    values: torch.Tensor
    vectors: torch.Tensor
    n_visible: int
    n_hidden: int

    def blocks(self, i: int = 0) -> dict[str, torch.Tensor]:
        """Eigenvector i split into W: (n_v, n_h), b_v: (n_v,), b_h: (n_h,)."""
        return parameter_blocks(self.vectors[:, i], self.n_visible, self.n_hidden)


def fim_eigen(F: torch.Tensor, mask: torch.Tensor, k: int = 10) -> FIMEigen:
    """Eigendecomposition of F: (P, P) over the parameters that exist under ``mask``
    (n_visible, n_hidden) bool; keeps the k largest eigenpairs."""
    n_v, n_h = mask.shape
    keep = parameter_mask(mask)
    if F.shape != (keep.numel(), keep.numel()):
        raise InvalidInputError(f"F must be ({keep.numel()}, {keep.numel()}) for mask "
                                f"{tuple(mask.shape)}, got {tuple(F.shape)}")
    sub = F[keep][:, keep].double()
    vals, vecs = torch.linalg.eigh((sub + sub.T) / 2)
    k = min(k, vals.numel())
    vals, vecs = vals.flip(0)[:k], vecs.flip(1)[:, :k]
    sign = torch.sign(vecs.gather(0, vecs.abs().argmax(0, keepdim=True)))
    vecs = vecs * sign
    full = torch.zeros(keep.numel(), k, dtype=vecs.dtype, device=vecs.device)
    full[keep] = vecs
    return FIMEigen(vals, full, n_v, n_h)
