"""Pruning: the criteria registry, the pruning step, unit removal, the prune-retrain
pipeline and pruning during learning, for RBMs and DBMs alike."""

from boltzprune._lazy import lazy_exports

__all__ = [
    "BUILTIN_CRITERIA",
    "CriteriaRegistry",
    "ImportanceContext",
    "ModelContext",
    "OnlinePruneConfig",
    "OnlinePruner",
    "OnlineResult",
    "PruneConfig",
    "PruneEvent",
    "PruneHistory",
    "PruneResult",
    "PruneRound",
    "UnitRemoval",
    "alive_units",
    "available_criteria",
    "compute_importance",
    "cut_weights",
    "event_steps",
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
    "target_densities",
    "train_pruning",
]

# imported on first use (boltzprune._lazy): the registry and its criteria's names need no
# torch, the rest does
__getattr__, __dir__ = lazy_exports(__name__, {
    "boltzprune.pruning.criteria": ["BUILTIN_CRITERIA", "CriteriaRegistry",
                                    "ImportanceContext", "ModelContext", "available_criteria",
                                    "compute_importance",
    "cut_weights",
    "event_steps", "get_criterion",
                                    "register_criterion", "registry"],
    "boltzprune.pruning.config": ["OnlinePruneConfig"],
    "boltzprune.pruning.online": ["OnlinePruner", "OnlineResult", "PruneEvent", "event_steps",
                                  "target_densities", "train_pruning"],
    "boltzprune.pruning.pipeline": ["PruneConfig", "PruneHistory", "PruneRound",
                                    "prune_retrain"],
    "boltzprune.pruning.step": ["PruneResult", "cut_weights", "n_to_remove", "prune_mask",
                                "prune_model", "prune_rbm"],
    "boltzprune.pruning.units": ["UnitRemoval", "alive_units", "remove_dead_hidden",
                                 "remove_dead_units"],
})
