"""Models: RBM, DBM, connectivity masks, and exact enumeration for small RBMs."""

from boltzprune.models.dbm import DBM, MeanFieldConfig, init_dbm
from boltzprune.models.masks import receptive_field_mask
from boltzprune.models.rbm import RBM, init_rbm

__all__ = ["DBM", "MeanFieldConfig", "RBM", "init_dbm", "init_rbm", "receptive_field_mask"]
