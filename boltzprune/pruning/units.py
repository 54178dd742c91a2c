"""Unit removal after a cut (paper 2.3, 2.4): hidden units that lost their connections go,
with a map from every kept unit to its index in the original model. One implementation for
RBMs (one weight matrix) and DBMs (a stack of them)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from boltzprune.errors import InvalidInputError
from boltzprune.models.dbm import DBM
from boltzprune.models.rbm import RBM

__all__ = ["UnitRemoval", "alive_units", "remove_dead_units", "remove_dead_hidden"]


@dataclass
class UnitRemoval:
    """The smaller model, per hidden layer the original indices of the units removed, and
    the original indices of visible units left without any weight (never removed)."""

    model: RBM | DBM
    removed: list[torch.Tensor]
    dead_visible: torch.Tensor


def alive_units(masks: list[torch.Tensor]) -> list[torch.Tensor]:
    """Per hidden layer, which units keep their connections under ``masks`` (one bool
    (n_{l-1}, n_l) mask per weight matrix): a unit of an intermediate hidden layer is dead
    when it has no weight to the layer below or none to the layer above, a unit of the
    deepest layer when it has none to the layer below, repeated until nothing changes
    (a dead unit's weights no longer count for its neighbours)."""
    masks = [m.clone() for m in masks]
    L = len(masks)
    alive = [torch.ones(m.shape[1], dtype=torch.bool, device=m.device) for m in masks]
    changed = True
    while changed:
        changed = False
        for l in range(1, L + 1):
            a = alive[l - 1] & masks[l - 1].any(0)
            if l < L:
                a &= masks[l].any(1)
            if bool((a != alive[l - 1]).any()):
                alive[l - 1] = a
                masks[l - 1][:, ~a] = False
                if l < L:
                    masks[l][~a] = False
                changed = True
    return alive


def remove_dead_units(model: RBM | DBM) -> UnitRemoval:
    """Remove the hidden units that pruning disconnected (``alive_units``).

    A hidden unit without weights only multiplies Z by (1 + e^{b}), so p(v) is unchanged.
    An RBM is returned as it is when nothing is removed; a DBM is always copied.
    """
    if isinstance(model, RBM):
        weights, masks = [model.W], [model.mask]
        biases, index = [model.b_v, model.b_h], [model.hidden_index]
    else:  # a copy, as the RBM's kept tensors are copied by indexing
        model = model.clone()
        weights, masks = list(model.weights), list(model.masks)
        biases, index = list(model.biases), list(model.hidden_index)
    alive = alive_units(masks)
    L = len(weights)
    for l, a in enumerate(alive, start=1):
        if not bool(a.any()):
            raise InvalidInputError(f"pruning disconnected every unit of hidden layer {l}; "
                                    "use a smaller fraction or fewer iterations")
    removed = [index[l][~a] for l, a in enumerate(alive)]
    for l, a in enumerate(alive, start=1):
        if bool(a.all()):
            continue
        weights[l - 1], masks[l - 1] = weights[l - 1][:, a], masks[l - 1][:, a]
        biases[l], index[l - 1] = biases[l][a], index[l - 1][a]
        if l < L:
            weights[l], masks[l] = weights[l][a], masks[l][a]
    dead_visible = (~masks[0].any(1)).nonzero().squeeze(1)
    if all(bool(a.all()) for a in alive):
        return UnitRemoval(model, removed, dead_visible)
    if isinstance(model, RBM):
        small: RBM | DBM = RBM(weights[0], biases[0].clone(), biases[1], masks[0], index[0])
    else:
        small = DBM(weights, masks, biases, index)
    return UnitRemoval(small, removed, dead_visible)


def remove_dead_hidden(rbm: RBM) -> tuple[RBM, torch.Tensor]:
    """Remove an RBM's hidden units with no remaining weight; returns the smaller RBM and
    the removed units' original indices (see ``remove_dead_units``)."""
    r = remove_dead_units(rbm)
    return r.model, r.removed[0]
