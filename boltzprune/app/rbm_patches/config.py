"""Typed, frozen configuration of the RBM-patches experiment (paper 2.2-2.3). It checks
itself when built; everything downstream trusts it."""

from __future__ import annotations

from dataclasses import dataclass, field

from boltzprune._validate import check_choice
from boltzprune.app.patches import PatchRBMConfig
from boltzprune.errors import InvalidInputError

# the inherited sampling field's annotation, resolved here by the API reference (pdoc)
from boltzprune.sampling.config import SamplingConfig  # noqa: F401
from boltzprune.training.config import AUTHORS_CODE_RBM, PAPER_RBM, TrainConfig

__all__ = ["SCHEDULES", "DATA_SOURCES", "RBMPatchesConfig"]

# Training schedules by name: the paper's text (default) and the authors' code's effective one.
SCHEDULES: dict[str, TrainConfig] = {"paper": PAPER_RBM, "authors_code": AUTHORS_CODE_RBM}
DATA_SOURCES = ("tiles", "photos", "cifar")


@dataclass(frozen=True)
class RBMPatchesConfig(PatchRBMConfig):
    """The single-layer RBM experiment: train, measure FI, prune by each criterion; one full
    run per seed and schedule, the criteria of a model in parallel (the patches, the RBM and
    its samples: ``PatchRBMConfig``)."""

    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    criteria: tuple[str, ...] = ("variance", "heuristic", "eigenvector", "abs_w", "random",
                                 "anti_fi")
    # training schedules by label, each run for every seed (labels name the run's folders;
    # "paper" and "authors_code" are the two in SCHEDULES)
    training: dict[str, TrainConfig] = field(default_factory=lambda: dict(SCHEDULES))
    data_source: str = "tiles"  # "tiles" (CIFAR-like 32x32 tiles), "photos" or "cifar"
    cifar_dir: str | None = None  # CIFAR-10 python/binary batches (data_source "cifar")

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

    @property
    def schedules(self) -> tuple[str, ...]:
        """The training schedules' labels, in order."""
        return tuple(self.training)
