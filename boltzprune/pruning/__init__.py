"""Pruning: criteria registry, the pruning step, the prune-retrain loop."""

from boltzprune.pruning.criteria import (
    BUILTIN_CRITERIA,
    ImportanceContext,
    available_criteria,
    compute_importance,
    get_criterion,
    register_criterion,
)
from boltzprune.pruning.loop import PruneIteration, prune_retrain_loop
from boltzprune.pruning.step import PruneResult, n_to_remove, prune_mask, prune_rbm

__all__ = [
    "BUILTIN_CRITERIA",
    "ImportanceContext",
    "PruneIteration",
    "PruneResult",
    "available_criteria",
    "compute_importance",
    "get_criterion",
    "n_to_remove",
    "prune_mask",
    "prune_rbm",
    "prune_retrain_loop",
    "register_criterion",
]
