"""boltzprune: train Restricted Boltzmann Machines and prune them with local,
activity-based Fisher-information rules (Scholl, Rule & Hennig 2020)."""

from boltzprune.errors import BoltzpruneError
from boltzprune.evaluate import (
    empirical_distribution,
    exact_fit,
    kl_divergence,
    log_likelihood,
    log_partition,
    model_distribution,
    rank_frequency,
)
from boltzprune.fisher import (
    exact_fim,
    fim_eigen,
    heuristic_fi,
    sampled_fim,
    variance_fi,
)
from boltzprune.io import load_rbm, save_rbm
from boltzprune.models import DBM, RBM, init_dbm, init_rbm
from boltzprune.pruning import (
    CriteriaRegistry,
    ImportanceContext,
    PruneConfig,
    available_criteria,
    compute_importance,
    prune_mask,
    prune_model,
    prune_rbm,
    prune_retrain,
    register_criterion,
    registry,
    remove_dead_hidden,
    remove_dead_units,
)
from boltzprune.sampling import Samples, SamplingConfig, sample_rbm
from boltzprune.training import AUTHORS_CODE_RBM, PAPER_RBM, TrainConfig, train_rbm

__version__ = "0.1.0"

__all__ = [
    "AUTHORS_CODE_RBM",
    "CriteriaRegistry",
    "DBM",
    "PruneConfig",
    "registry",
    "init_dbm",
    "prune_model",
    "prune_retrain",
    "remove_dead_units",
    "PAPER_RBM",
    "RBM",
    "BoltzpruneError",
    "ImportanceContext",
    "Samples",
    "SamplingConfig",
    "TrainConfig",
    "available_criteria",
    "compute_importance",
    "empirical_distribution",
    "exact_fim",
    "exact_fit",
    "fim_eigen",
    "heuristic_fi",
    "init_rbm",
    "kl_divergence",
    "load_rbm",
    "log_likelihood",
    "log_partition",
    "model_distribution",
    "prune_mask",
    "prune_rbm",
    "rank_frequency",
    "register_criterion",
    "remove_dead_hidden",
    "sample_rbm",
    "sampled_fim",
    "save_rbm",
    "train_rbm",
    "variance_fi",
    "PrunableRBM",
    "__version__",
]


def __getattr__(name: str):
    """``bp.PrunableRBM`` (the scikit-learn estimator), imported on first use so that
    ``import boltzprune`` does not load scikit-learn."""
    if name == "PrunableRBM":
        from boltzprune.estimator import PrunableRBM

        return PrunableRBM
    raise AttributeError(f"module 'boltzprune' has no attribute {name!r}")
