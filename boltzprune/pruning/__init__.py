"""Pruning: the criteria registry, the pruning step, unit removal and the prune-retrain
pipeline, for RBMs and DBMs alike."""

from boltzprune.pruning.criteria import (
    BUILTIN_CRITERIA,
    CriteriaRegistry,
    ImportanceContext,
    ModelContext,
    available_criteria,
    compute_importance,
    get_criterion,
    register_criterion,
    registry,
)
from boltzprune.pruning.pipeline import (
    PruneConfig,
    PruneHistory,
    PruneRound,
    prune_retrain,
)
from boltzprune.pruning.step import PruneResult, n_to_remove, prune_mask, prune_model, prune_rbm
from boltzprune.pruning.units import UnitRemoval, remove_dead_hidden, remove_dead_units

__all__ = [
    "BUILTIN_CRITERIA",
    "CriteriaRegistry",
    "ImportanceContext",
    "ModelContext",
    "PruneConfig",
    "PruneHistory",
    "PruneResult",
    "PruneRound",
    "UnitRemoval",
    "available_criteria",
    "compute_importance",
    "registry",
    "get_criterion",
    "n_to_remove",
    "prune_mask",
    "prune_model",
    "prune_rbm",
    "prune_retrain",
    "register_criterion",
    "remove_dead_hidden",
    "remove_dead_units",
]
