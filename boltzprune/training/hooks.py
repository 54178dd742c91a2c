"""What training shows a hook after every parameter update (``train_rbm`` and ``train_dbm``
take ``hooks=[...]``): the model as just updated and the two phases' layer states of that
update. A hook may read them (``fisher.running.RunningFisher`` keeps running averages of
them) and must not keep references to the tensors, which training reuses.

A hook may also prune: it assigns the model new mask tensors (``rbm.mask = ...``,
``dbm.masks[l] = ...``), and training then zeroes the removed weights and their momentum
before the next update (``pruning.online``). It may not change the model's sizes: units go
after training (``pruning.remove_dead_units``).

Per layer l = 0 (visible) .. L:
- RBM (CD-k / PCD-k): data phase [v0, p(h | v0)], model phase [v_k, p(h | v_k)], with v_k
  the negative phase's visible states (the persistent chains' under PCD);
- DBM: data phase the mean-field marginals given the minibatch, model phase the
  persistent chains' states after this update's Gibbs sweeps.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from boltzprune.errors import InvalidInputError, InvalidTypeError
from boltzprune.models.dbm import DBM
from boltzprune.models.rbm import RBM

__all__ = ["UpdateState", "Hook", "check_hooks", "call_hooks", "model_masks"]


@dataclass(frozen=True)
class UpdateState:
    """One parameter update, as a hook sees it."""

    model: RBM | DBM  # the model being trained, after this update
    step: int  # updates so far in this training call, 1-based
    epoch: int  # 0-based
    data_phase: list[torch.Tensor]  # per layer, (batch, n_l)
    model_phase: list[torch.Tensor]  # per layer, (batch or chains, n_l)


Hook = Callable[[UpdateState], None]


def check_hooks(hooks: Sequence[Hook]) -> tuple[Hook, ...]:
    """``hooks`` as a tuple of callables (a one-line error for anything else)."""
    if callable(hooks) or not isinstance(hooks, Sequence):
        raise InvalidTypeError(f"hooks must be a list of callables, got "
                               f"{type(hooks).__name__}")
    bad = [type(h).__name__ for h in hooks if not callable(h)]
    if bad:
        raise InvalidTypeError(f"hooks must be callables, got {', '.join(bad)}")
    return tuple(hooks)


def model_masks(model: RBM | DBM) -> list[torch.Tensor]:
    """One (n_{l-1}, n_l) bool mask per weight matrix of ``model``."""
    return [model.mask] if isinstance(model, RBM) else list(model.masks)


def call_hooks(hooks: tuple[Hook, ...], state: UpdateState) -> list[torch.Tensor] | None:
    """Call every hook with ``state``; the model's masks when a hook assigned new ones (to
    be applied to weights and momentum), else None. A hook that changed the model's sizes
    is an InvalidInputError."""
    model = state.model
    before = model_masks(model)
    shapes = [tuple(m.shape) for m in before]
    for hook in hooks:
        hook(state)
    after = model_masks(model)
    if [tuple(m.shape) for m in after] != shapes:
        raise InvalidInputError(f"a training hook changed the model's weight matrices from "
                                f"{shapes} to {[tuple(m.shape) for m in after]}; hooks may "
                                "prune weights, units are removed after training "
                                "(remove_dead_units)")
    if all(a is b for a, b in zip(after, before, strict=True)):
        return None
    for m in after:
        if not isinstance(m, torch.Tensor) or m.dtype != torch.bool:
            raise InvalidTypeError("a training hook assigned a mask that is not a boolean "
                                   "tensor")
    return after
