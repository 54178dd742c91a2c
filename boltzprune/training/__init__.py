"""Training: schedules and CD/PCD."""

from boltzprune.training.cd import AUTHORS_CODE_RBM, PAPER_RBM, TrainConfig, TrainResult, train_rbm
from boltzprune.training.schedules import learning_rates, momenta

__all__ = [
    "AUTHORS_CODE_RBM",
    "PAPER_RBM",
    "TrainConfig",
    "TrainResult",
    "learning_rates",
    "momenta",
    "train_rbm",
]
