"""One pruning step: cut the least important fraction of the remaining weights, then drop
hidden units left without weights (paper 2.3, 4.4.1)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from boltzprune._validate import check_fraction
from boltzprune.models.masks import remove_dead_hidden
from boltzprune.models.rbm import RBM

__all__ = ["n_to_remove", "prune_mask", "PruneResult", "prune_rbm"]


def n_to_remove(n_weights: int, fraction: float) -> int:
    """Weights to remove so that floor(n_weights * (1 - fraction)) remain (910 -> 455 -> 227
    -> 113 at 50 %), the same count for every criterion."""
    fraction = check_fraction("fraction", fraction)
    return n_weights - math.floor(n_weights * (1 - fraction) + 1e-9)


def prune_mask(
    mask: torch.Tensor,
    importance: torch.Tensor,
    fraction: float,
    *,
    generator: torch.Generator,
    zero_rule: bool = False,
) -> torch.Tensor:
    """New mask with the ``fraction`` least important existing weights removed.

    mask: (n_visible, n_hidden) bool; importance: same shape, higher = keep. Ties at the
    cut are broken uniformly at random with ``generator``. With ``zero_rule`` (paper 2.4,
    DBM), when more existing weights than the cut have importance exactly 0 and no weight
    has less, all of those are removed instead (criteria that rank by a negated FI, such as
    anti-FI, keep zero-FI weights longest, so the rule never fires for them).
    """
    fraction = check_fraction("fraction", fraction)
    if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool or mask.ndim != 2:
        raise TypeError(f"mask must be a 2-D boolean torch.Tensor, got {_describe(mask)}")
    if not isinstance(importance, torch.Tensor) or importance.shape != mask.shape:
        got = tuple(importance.shape) if isinstance(importance, torch.Tensor) else importance
        raise ValueError(f"importance must be a tensor of the mask's shape {tuple(mask.shape)}, "
                         f"got {got}")
    idx = mask.reshape(-1).nonzero().squeeze(1)
    n = idx.numel()
    if n == 0:
        raise ValueError("the mask has no weights left to prune")
    values = importance.reshape(-1)[idx].to(torch.float64).cpu()
    if torch.isnan(values).any():
        raise ValueError("importance is NaN for some existing weights")
    k = n_to_remove(n, fraction)
    if k >= n:
        raise ValueError(f"pruning {fraction:g} of {n} weights would remove all of them")
    if zero_rule and float(values.min()) >= 0:  # zeros are the least important weights
        zeros = values == 0
        if int(zeros.sum()) > k:
            k = int(zeros.sum())
            if k == n:
                raise ValueError("every remaining weight has zero importance; "
                                 "the zero rule would remove all of them")
    perm = torch.randperm(n, generator=generator)  # random order first, then a stable sort:
    order = perm[torch.sort(values[perm], stable=True).indices]  # ties fall in random order
    new = mask.clone().reshape(-1)
    new[idx[order[:k]].to(mask.device)] = False
    return new.reshape(mask.shape)


@dataclass
class PruneResult:
    """The pruned RBM, how many weights were cut, and which hidden units (original
    indices) were removed because they lost every weight."""

    rbm: RBM
    n_removed_weights: int
    removed_hidden: torch.Tensor


def prune_rbm(rbm: RBM, importance: torch.Tensor, fraction: float, *,
              generator: torch.Generator, zero_rule: bool = False) -> PruneResult:
    """Prune ``rbm`` (a new RBM is returned): cut weights, then remove dead hidden units."""
    new_mask = prune_mask(rbm.mask, importance, fraction, generator=generator,
                          zero_rule=zero_rule)
    pruned = RBM(rbm.W * new_mask, rbm.b_v.clone(), rbm.b_h.clone(), new_mask,
                 rbm.hidden_index.clone())
    small, removed = remove_dead_hidden(pruned)
    return PruneResult(small, rbm.n_weights - pruned.n_weights, removed)


def _describe(x: object) -> str:
    if isinstance(x, torch.Tensor):
        return f"a {x.ndim}-D tensor of dtype {x.dtype}"
    return type(x).__name__
