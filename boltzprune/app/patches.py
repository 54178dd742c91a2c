"""What the experiments on image patches share: the patches with their statistics
(``PatchData``), and the settings of the patches, the over-complete RBM and its model
samples (``PatchRBMConfig``, which their configs extend), checked when a config is built."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from boltzprune._validate import check_positive_float, check_positive_int
from boltzprune.app.experiment import RunConfig
from boltzprune.errors import InvalidInputError
from boltzprune.sampling.config import SamplingConfig

__all__ = ["PatchData", "PatchRBMConfig"]


@dataclass(frozen=True)
class PatchData:
    """The training patches (n, n_pixels) of 0/1 and their statistics (``pattern_stats``)."""

    x: np.ndarray
    stats: dict[str, float | int]


@dataclass(frozen=True)
class PatchRBMConfig(RunConfig):
    """The patches and the over-complete RBM trained on them (settings shared by every
    experiment: ``RunConfig``)."""

    n_patches: int = 90_000  # training patterns (paper: 90,000)
    radius: float = 2.1  # circle radius in pixels (2.1 -> 13 visible units)
    data_seed: int = 0  # seed of the patch extraction (shared by all model seeds)
    n_hidden: int = 70  # hidden units of the over-complete RBM
    weight_std: float = 0.1  # W ~ N(0, weight_std^2)
    hidden_bias: float = -2.0  # initial b_h
    sampling: SamplingConfig = field(default_factory=lambda: SamplingConfig(
        n_samples=20_000, n_chains=1_000, burn_in=1_000, thin=200))  # FI samples per stage

    def __post_init__(self) -> None:
        super().__post_init__()
        check_positive_int("n_patches", self.n_patches)
        check_positive_float("radius", self.radius)
        check_positive_int("data_seed", self.data_seed, minimum=0)
        check_positive_int("n_hidden", self.n_hidden)
        check_positive_float("weight_std", self.weight_std, allow_zero=True)
        if not isinstance(self.sampling, SamplingConfig):
            raise InvalidInputError(f"sampling must be a SamplingConfig, got "
                                    f"{type(self.sampling).__name__}")
