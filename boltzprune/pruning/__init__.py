"""Pruning: the criteria registry, the pruning step, unit removal and the prune-retrain
pipeline, for RBMs and DBMs alike."""

from boltzprune._lazy import lazy_exports

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

# imported on first use (boltzprune._lazy): the registry and its criteria's names need no
# torch, the rest does
__getattr__, __dir__ = lazy_exports(__name__, {
    "boltzprune.pruning.criteria": ["BUILTIN_CRITERIA", "CriteriaRegistry",
                                    "ImportanceContext", "ModelContext", "available_criteria",
                                    "compute_importance", "get_criterion",
                                    "register_criterion", "registry"],
    "boltzprune.pruning.pipeline": ["PruneConfig", "PruneHistory", "PruneRound",
                                    "prune_retrain"],
    "boltzprune.pruning.step": ["PruneResult", "n_to_remove", "prune_mask", "prune_model",
                                "prune_rbm"],
    "boltzprune.pruning.units": ["UnitRemoval", "remove_dead_hidden", "remove_dead_units"],
})
