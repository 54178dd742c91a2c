"""The leading eigenvectors of the full FIM of an RBM or DBM without forming it.

For joint samples x_0 (visible), x_1, ..., x_L of all layers, the sufficient statistics are
s = [vec(x_0 x_1^T), ..., vec(x_{L-1} x_L^T), x_0, ..., x_L] (for an RBM exactly the
ordering of ``stats.sufficient_statistics``) and the FIM is Cov(s) (paper eq. 2-3). With
S the (n, P) matrix of statistics and r = S u - mean(S u), the product is
    F u = S^T r / n,
which needs only matrix products with the layer samples: (S u)_k = sum_l x_{l-1,k}^T U_l
x_{l,k} + sum_l x_{l,k} . c_l, and S^T r has weight blocks X_{l-1}^T diag(r) X_l and bias
blocks X_l^T r. Lanczos (ARPACK, via scipy) then finds the leading eigenpairs in a few dozen
products, streaming the samples in chunks. Removed weights are projected out, so the
result is the eigendecomposition restricted to the parameters that exist, as in
``full.fim_eigen``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy.sparse.linalg import LinearOperator, eigsh

from boltzprune._validate import check_positive_int
from boltzprune.errors import InvalidInputError

__all__ = ["MatrixFreeEigen", "leading_fim_eigen"]


@dataclass
class MatrixFreeEigen:
    """values: (k,) descending; vectors: (P, k) in the ordering above, zero at removed
    weights, each with its largest-magnitude entry positive; n_matvec: products used."""

    values: torch.Tensor
    vectors: torch.Tensor
    sizes: list[int]
    n_matvec: int

    def blocks(self, i: int = 0) -> dict[str, torch.Tensor]:
        """Eigenvector i split into W1..WL: (n_{l-1}, n_l) and b0..bL: (n_l,)."""
        u = self.vectors[:, i]
        out, off = {}, 0
        for l in range(1, len(self.sizes)):
            n = self.sizes[l - 1] * self.sizes[l]
            out[f"W{l}"] = u[off:off + n].reshape(self.sizes[l - 1], self.sizes[l])
            off += n
        for l, n in enumerate(self.sizes):
            out[f"b{l}"] = u[off:off + n]
            off += n
        return out


def leading_fim_eigen(layers: list[torch.Tensor], masks: list[torch.Tensor], *, k: int = 1,
                      tol: float = 1e-8, chunk: int = 4096, seed: int = 0) -> MatrixFreeEigen:
    """Leading ``k`` eigenpairs of the FIM from joint samples, without forming the FIM.

    layers: one (n, n_l) tensor per layer (visible first), the same n rows;
    masks: one (n_{l-1}, n_l) bool tensor per weight matrix. Works in float64.
    """
    k = check_positive_int("k", k)
    if len(layers) < 2 or len(masks) != len(layers) - 1:
        raise InvalidInputError("need samples of at least 2 layers and one mask per weight "
                                f"matrix; got {len(layers)} layers and {len(masks)} masks")
    n = layers[0].shape[0]
    if n == 0 or any(x.ndim != 2 or x.shape[0] != n for x in layers):
        raise InvalidInputError("layer samples must be 2-D and non-empty with the same number of "
                                f"rows; got shapes {[tuple(x.shape) for x in layers]}")
    sizes = [x.shape[1] for x in layers]
    for l, m in enumerate(masks):
        if tuple(m.shape) != (sizes[l], sizes[l + 1]):
            raise InvalidInputError(f"masks[{l}] must have shape {(sizes[l], sizes[l + 1])}, got "
                                    f"{tuple(m.shape)}")
    X = [x.double() for x in layers]
    M = [m.double().to(X[0].device) for m in masks]
    wsz = [sizes[l] * sizes[l + 1] for l in range(len(masks))]
    P = sum(wsz) + sum(sizes)
    count = [0]

    def split(u: torch.Tensor):
        Us, off = [], 0
        for l, sz in enumerate(wsz):
            Us.append(u[off:off + sz].reshape(sizes[l], sizes[l + 1]) * M[l])
            off += sz
        cs = []
        for sz in sizes:
            cs.append(u[off:off + sz])
            off += sz
        return Us, cs

    def matvec(u_np: np.ndarray) -> np.ndarray:
        count[0] += 1
        u = torch.from_numpy(np.ascontiguousarray(u_np).reshape(-1)).to(X[0].device)
        Us, cs = split(u)
        r = torch.zeros(n, dtype=torch.float64, device=X[0].device)
        for start in range(0, n, chunk):
            sl = slice(start, start + chunk)
            acc = sum(((X[l][sl] @ Us[l]) * X[l + 1][sl]).sum(1) for l in range(len(Us)))
            r[sl] = acc + sum(X[l][sl] @ cs[l] for l in range(len(cs)))
        r -= r.mean()
        outs = []
        for l in range(len(Us)):
            g = torch.zeros(sizes[l], sizes[l + 1], dtype=torch.float64, device=r.device)
            for start in range(0, n, chunk):
                sl = slice(start, start + chunk)
                g += (X[l][sl] * r[sl, None]).T @ X[l + 1][sl]
            outs.append((g * M[l]).reshape(-1))
        outs += [X[l].T @ r for l in range(len(sizes))]
        return (torch.cat(outs) / n).cpu().numpy()

    op = LinearOperator((P, P), matvec=matvec, dtype=np.float64)
    v0 = np.random.default_rng(seed).standard_normal(P)
    vals, vecs = eigsh(op, k=k, which="LA", tol=tol, v0=v0)
    order = np.argsort(vals)[::-1]
    vals, vecs = torch.from_numpy(vals[order].copy()), torch.from_numpy(vecs[:, order].copy())
    sign = torch.sign(vecs.gather(0, vecs.abs().argmax(0, keepdim=True)))
    return MatrixFreeEigen(vals, vecs * sign, sizes, count[0])
