"""Models: RBM and its masks."""

from boltzprune.models.masks import remove_dead_hidden
from boltzprune.models.rbm import RBM, init_rbm

__all__ = ["RBM", "init_rbm", "remove_dead_hidden"]
