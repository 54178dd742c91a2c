"""The models' settings: mean-field inference of a DBM's hidden layers. Torch-free, so that
configs are built (and the command line answers) without loading torch; the models
themselves live in ``rbm.py`` and ``dbm.py`` (which re-exports ``MeanFieldConfig``)."""

from __future__ import annotations

from dataclasses import dataclass

from boltzprune._validate import check_fraction, check_positive_float, check_positive_int

__all__ = ["MeanFieldConfig"]


@dataclass(frozen=True)
class MeanFieldConfig:
    """Damped fixed-point mean-field inference of the hidden layers given v."""

    max_iter: int = 50  # paper: up to 50 updates
    tol: float = 1e-7  # stop when no marginal moves more than this
    damping: float = 0.0  # mu <- damping * mu + (1 - damping) * update

    def __post_init__(self) -> None:
        check_positive_int("max_iter", self.max_iter)
        check_positive_float("tol", self.tol, allow_zero=True)
        check_fraction("damping", self.damping, zero=True)
