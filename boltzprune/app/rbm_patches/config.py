"""Typed, frozen configuration of the RBM-patches experiment (paper 2.2-2.3). It checks
itself when built; everything downstream trusts it."""

from __future__ import annotations

from dataclasses import dataclass, field

from boltzprune._validate import check_choice, check_positive_float, check_positive_int
from boltzprune.app.experiment import RunConfig
from boltzprune.errors import InvalidInputError
from boltzprune.sampling.config import SamplingConfig
from boltzprune.training.config import AUTHORS_CODE_RBM, PAPER_RBM, TrainConfig

__all__ = ["SCHEDULES", "DATA_SOURCES", "RBMPatchesConfig"]

# Training schedules by name: the paper's text (default) and the authors' code's effective one.
SCHEDULES: dict[str, TrainConfig] = {"paper": PAPER_RBM, "authors_code": AUTHORS_CODE_RBM}
DATA_SOURCES = ("tiles", "photos", "cifar")


@dataclass(frozen=True)
class RBMPatchesConfig(RunConfig):
    """The single-layer RBM experiment: train, measure FI, prune by each criterion; one full
    run per seed and schedule, the criteria of a model in parallel (settings shared by every
    experiment: ``RunConfig``)."""

    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    criteria: tuple[str, ...] = ("variance", "heuristic", "eigenvector", "abs_w", "random",
                                 "anti_fi")
    # training schedules by label, each run for every seed (labels name the run's folders;
    # "paper" and "authors_code" are the two in SCHEDULES)
    training: dict[str, TrainConfig] = field(default_factory=lambda: dict(SCHEDULES))
    data_source: str = "tiles"  # "tiles" (CIFAR-like 32x32 tiles), "photos" or "cifar"
    cifar_dir: str | None = None  # CIFAR-10 python/binary batches (data_source "cifar")
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
        if not isinstance(self.training, dict) or not self.training:
            raise InvalidInputError(f"training must hold at least one schedule, e.g. one of "
                                    f"{', '.join(SCHEDULES)}")
        for label, train in self.training.items():
            if not label.isidentifier():
                raise InvalidInputError(f"training schedule label {label!r} must be a plain "
                                        "name (letters, digits, underscores): it names the "
                                        "run's folders")
            if not isinstance(train, TrainConfig):
                raise InvalidInputError(f"training.{label} must be a TrainConfig, got "
                                        f"{type(train).__name__}")
        check_choice("data_source", self.data_source, DATA_SOURCES)
        if self.data_source == "cifar" and not self.cifar_dir:
            raise InvalidInputError("data_source 'cifar' needs cifar_dir (a folder with "
                                    "CIFAR-10 batches)")
        check_positive_int("n_patches", self.n_patches)
        check_positive_float("radius", self.radius)
        check_positive_int("data_seed", self.data_seed, minimum=0)
        check_positive_int("n_hidden", self.n_hidden)
        check_positive_float("weight_std", self.weight_std, allow_zero=True)
        if not isinstance(self.sampling, SamplingConfig):
            raise InvalidInputError(f"sampling must be a SamplingConfig, got "
                                    f"{type(self.sampling).__name__}")

    @property
    def schedules(self) -> tuple[str, ...]:
        """The training schedules' labels, in order."""
        return tuple(self.training)
