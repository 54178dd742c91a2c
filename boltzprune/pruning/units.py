"""Unit removal after a cut (paper 2.3, 2.4): hidden units that lost their connections go,
with a map from every kept unit to its index in the original model. One implementation for
RBMs (one weight matrix) and DBMs (a stack of them)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from boltzprune.errors import InvalidInputError
from boltzprune.models.dbm import DBM
from boltzprune.models.rbm import RBM

__all__ = ["UnitRemoval", "remove_dead_units", "remove_dead_hidden"]


@dataclass
class UnitRemoval:
    """The smaller model, per hidden layer the original indices of the units removed, and
    the original indices of visible units left without any weight (never removed)."""

    model: RBM | DBM
    removed: list[torch.Tensor]
    dead_visible: torch.Tensor


def remove_dead_units(model: RBM | DBM) -> UnitRemoval:
    """Remove the hidden units that pruning disconnected.

    A unit of an intermediate hidden layer goes when it has lost every weight to the layer
    below or every weight to the layer above; a unit of the deepest layer (an RBM's hidden
    layer) when it has lost every weight to the layer below. Removal repeats until nothing
    changes (removing a unit can disconnect its neighbours). A hidden unit without weights
    only multiplies Z by (1 + e^{b}), so p(v) is unchanged. An RBM is returned as it is
    when nothing is removed; a DBM is always copied.
    """
    if isinstance(model, RBM):
        weights, masks = [model.W], [model.mask]
        biases, index = [model.b_v, model.b_h], [model.hidden_index]
    else:  # a copy, as the RBM's kept tensors are copied by indexing
        model = model.clone()
        weights, masks = list(model.weights), list(model.masks)
        biases, index = list(model.biases), list(model.hidden_index)
    L = len(weights)
    removed: list[list[torch.Tensor]] = [[] for _ in range(L)]
    changed_any = False
    while True:
        changed = False
        for l in range(1, L + 1):
            alive = masks[l - 1].any(0)
            if l < L:
                alive &= masks[l].any(1)
            if bool(alive.all()):
                continue
            if not bool(alive.any()):
                raise InvalidInputError(f"pruning disconnected every unit of hidden layer {l}; "
                                        "use a smaller fraction or fewer iterations")
            removed[l - 1].append(index[l - 1][~alive])
            weights[l - 1], masks[l - 1] = weights[l - 1][:, alive], masks[l - 1][:, alive]
            biases[l], index[l - 1] = biases[l][alive], index[l - 1][alive]
            if l < L:
                weights[l], masks[l] = weights[l][alive], masks[l][alive]
            changed = changed_any = True
        if not changed:
            break
    dead_visible = (~masks[0].any(1)).nonzero().squeeze(1)
    out = [torch.cat(r) if r else torch.empty(0, dtype=torch.int64) for r in removed]
    if not changed_any:
        return UnitRemoval(model, out, dead_visible)
    if isinstance(model, RBM):
        small: RBM | DBM = RBM(weights[0], biases[0].clone(), biases[1], masks[0], index[0])
    else:
        small = DBM(weights, masks, biases, index)
    return UnitRemoval(small, out, dead_visible)


def remove_dead_hidden(rbm: RBM) -> tuple[RBM, torch.Tensor]:
    """Remove an RBM's hidden units with no remaining weight; returns the smaller RBM and
    the removed units' original indices (see ``remove_dead_units``)."""
    r = remove_dead_units(rbm)
    return r.model, r.removed[0]
