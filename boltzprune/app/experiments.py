"""The experiments the command line and sweeps know, by name: an import and an entry each."""

from __future__ import annotations

from boltzprune.app.dbm_mnist import EXPERIMENT as DBM_MNIST
from boltzprune.app.experiment import Experiment
from boltzprune.app.online import EXPERIMENT as ONLINE_PRUNING
from boltzprune.app.prune import EXPERIMENT as PRUNE
from boltzprune.app.rbm_patches import EXPERIMENT as RBM_PATCHES

__all__ = ["EXPERIMENTS"]

EXPERIMENTS: dict[str, Experiment] = {e.name: e for e in (
    RBM_PATCHES,
    DBM_MNIST,
    PRUNE,
    ONLINE_PRUNING,
)}
