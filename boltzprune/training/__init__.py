"""Training: schedules and CD/PCD."""

from boltzprune._lazy import lazy_exports

__all__ = [
    "AUTHORS_CODE_RBM",
    "PAPER_RBM",
    "TrainConfig",
    "TrainResult",
    "UpdateState",
    "learning_rates",
    "momenta",
    "train_rbm",
]

# imported on first use (boltzprune._lazy), so that the configs need no torch
__getattr__, __dir__ = lazy_exports(__name__, {
    "boltzprune.training.config": ["AUTHORS_CODE_RBM", "PAPER_RBM", "TrainConfig"],
    "boltzprune.training.cd": ["TrainResult", "train_rbm"],
    "boltzprune.training.hooks": ["UpdateState"],
    "boltzprune.training.schedules": ["learning_rates", "momenta"],
})
