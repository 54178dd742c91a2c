"""Unit removal: drop hidden units that have lost every weight, keeping an index map."""

from __future__ import annotations

import torch

from boltzprune.models.rbm import RBM

__all__ = ["remove_dead_hidden"]


def remove_dead_hidden(rbm: RBM) -> tuple[RBM, torch.Tensor]:
    """Remove hidden units with no remaining weight (an all-False mask column).

    A hidden unit without weights only multiplies Z by (1 + e^{b_h}); removing it leaves
    p(v) unchanged. Returns the smaller RBM and the removed units' original indices.
    ``rbm.hidden_index`` of the result maps each kept unit to the original model.
    """
    alive = rbm.mask.any(dim=0)
    if alive.all():
        return rbm, torch.empty(0, dtype=torch.int64)
    if not alive.any():
        raise ValueError("pruning left no hidden unit with any weight; the RBM would be empty "
                         "(use a smaller fraction or fewer iterations)")
    removed = rbm.hidden_index[~alive].clone()
    small = RBM(rbm.W[:, alive].clone(), rbm.b_v.clone(), rbm.b_h[alive].clone(),
                rbm.mask[:, alive].clone(), rbm.hidden_index[alive].clone())
    return small, removed
