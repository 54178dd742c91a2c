"""Models: RBM, DBM, connectivity masks, and exact enumeration for small RBMs."""

from boltzprune._lazy import lazy_exports

__all__ = ["DBM", "MeanFieldConfig", "RBM", "init_dbm", "init_rbm", "receptive_field_mask"]

# imported on first use (boltzprune._lazy), so that the config needs no torch
__getattr__, __dir__ = lazy_exports(__name__, {
    "boltzprune.models.config": ["MeanFieldConfig"],
    "boltzprune.models.dbm": ["DBM", "init_dbm"],
    "boltzprune.models.masks": ["receptive_field_mask"],
    "boltzprune.models.rbm": ["RBM", "init_rbm"],
})
