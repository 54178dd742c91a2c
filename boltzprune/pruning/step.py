"""One pruning step: cut the least important fraction of the remaining weights, then drop
hidden units left without weights (paper 2.3, 4.4.1)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from boltzprune._validate import check_fraction, check_generator
from boltzprune.errors import InvalidInputError, InvalidTypeError
from boltzprune.models.dbm import DBM
from boltzprune.models.rbm import RBM
from boltzprune.pruning.units import remove_dead_units
from boltzprune.seeding import randperm

__all__ = ["n_to_remove", "prune_mask", "cut_weights", "PruneResult", "prune_model",
           "prune_rbm"]


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
    check_generator("generator", generator)
    values, idx = _existing(mask, importance)
    k = n_to_remove(idx.numel(), fraction)
    if k >= idx.numel():
        raise InvalidInputError(f"pruning {fraction:g} of {idx.numel()} weights would remove "
                                "all of them")
    return _cut(mask, values, idx, k, generator, zero_rule)


def cut_weights(mask: torch.Tensor, importance: torch.Tensor, n_remove: int, *,
                generator: torch.Generator) -> torch.Tensor:
    """New mask with the ``n_remove`` least important existing weights removed (ties
    broken at random with ``generator``): ``prune_mask`` by a count, as a schedule that
    names the weights to keep needs (``pruning.online``)."""
    check_generator("generator", generator)
    values, idx = _existing(mask, importance)
    if isinstance(n_remove, bool) or not isinstance(n_remove, int) or \
            not 0 <= n_remove < idx.numel():
        raise InvalidInputError(f"n_remove must be an integer in [0, {idx.numel()}) (the "
                                f"existing weights), got {n_remove!r}")
    return _cut(mask, values, idx, n_remove, generator, False)


def _existing(mask: torch.Tensor, importance: torch.Tensor
              ) -> tuple[torch.Tensor, torch.Tensor]:
    """The existing weights' importances (float64, CPU) and flat indices, checked."""
    if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool or mask.ndim != 2:
        raise InvalidTypeError(f"mask must be a 2-D boolean torch.Tensor, got {_describe(mask)}")
    if not isinstance(importance, torch.Tensor) or importance.shape != mask.shape:
        got = (f"shape {tuple(importance.shape)}" if isinstance(importance, torch.Tensor)
               else _describe(importance))
        raise InvalidInputError(f"importance must be a torch.Tensor of the mask's shape "
                                f"{tuple(mask.shape)}, got {got}")
    idx = mask.reshape(-1).nonzero().squeeze(1)
    if idx.numel() == 0:
        raise InvalidInputError("the mask has no weights left to prune")
    values = importance.reshape(-1)[idx].to(torch.float64).cpu()
    if torch.isnan(values).any():
        raise InvalidInputError("importance is NaN for some existing weights")
    return values, idx


def _cut(mask: torch.Tensor, values: torch.Tensor, idx: torch.Tensor, k: int,
         generator: torch.Generator, zero_rule: bool) -> torch.Tensor:
    n = idx.numel()
    if zero_rule and float(values.min()) >= 0:  # zeros are the least important weights
        zeros = values == 0
        if int(zeros.sum()) > k:
            k = int(zeros.sum())
            if k == n:
                raise InvalidInputError("every remaining weight has zero importance; "
                                        "the zero rule would remove all of them")
    perm = randperm(n, generator, "cpu")  # random order first, then a stable sort:
    order = perm[torch.sort(values[perm], stable=True).indices]  # ties fall in random order
    new = mask.clone().reshape(-1)
    new[idx[order[:k]].to(mask.device)] = False
    return new.reshape(mask.shape)


@dataclass
class PruneResult:
    """A pruned model (a new one), the weights the criterion cut per weight matrix (before
    unit removal), per hidden layer the original indices of the units removed because they
    lost their connections, and the visible units left without any weight."""

    model: RBM | DBM
    n_cut: list[int]
    removed_units: list[torch.Tensor]
    dead_visible: torch.Tensor

    @property
    def rbm(self) -> RBM:
        """The pruned RBM (single-layer models)."""
        assert isinstance(self.model, RBM)
        return self.model

    @property
    def n_removed_weights(self) -> int:
        return sum(self.n_cut)

    @property
    def removed_hidden(self) -> torch.Tensor:
        """Original indices of the removed hidden units (single-layer models)."""
        return self.removed_units[0]


def prune_model(model: RBM | DBM, importances: list[torch.Tensor], fraction: float, *,
                generator: torch.Generator, zero_rule: bool = False) -> PruneResult:
    """Cut ``fraction`` of each weight matrix's remaining weights, the least important first
    (with ``zero_rule`` all zero-importance weights when they are more, paper 2.4), then
    remove the hidden units left disconnected. ``importances``: one tensor of each matrix's
    shape. ``model`` is not changed."""
    masks = [model.mask] if isinstance(model, RBM) else model.masks
    if len(importances) != len(masks):
        raise InvalidInputError(f"need one importance tensor per weight matrix ({len(masks)}), "
                                f"got {len(importances)}")
    new_masks = [prune_mask(m, imp, fraction, generator=generator, zero_rule=zero_rule)
                 for m, imp in zip(masks, importances, strict=True)]
    n_cut = [int(m.sum() - n.sum()) for m, n in zip(masks, new_masks, strict=True)]
    if isinstance(model, RBM):
        cut: RBM | DBM = RBM(model.W * new_masks[0], model.b_v.clone(), model.b_h.clone(),
                             new_masks[0], model.hidden_index.clone())
    else:
        cut = model.clone()
        cut.masks = new_masks
        cut.weights = [w * m for w, m in zip(cut.weights, new_masks, strict=True)]
    r = remove_dead_units(cut)
    return PruneResult(r.model, n_cut, r.removed, r.dead_visible)


def prune_rbm(rbm: RBM, importance: torch.Tensor, fraction: float, *,
              generator: torch.Generator, zero_rule: bool = False) -> PruneResult:
    """``prune_model`` for an RBM and its one importance tensor."""
    return prune_model(rbm, [importance], fraction, generator=generator, zero_rule=zero_rule)


def _describe(x: object) -> str:
    """What ``x`` is, in a few words (never its values)."""
    if isinstance(x, torch.Tensor):
        return f"a {x.ndim}-D tensor of dtype {x.dtype}"
    shape = getattr(x, "shape", None)
    if isinstance(shape, tuple):  # a NumPy array or the like
        return f"a {type(x).__module__.split('.')[0]}.{type(x).__name__} of shape {shape}"
    return type(x).__name__
