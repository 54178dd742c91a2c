"""Typed, frozen configuration of the online-pruning experiment: the paper's offline
prune-retrain loop against pruning during learning, the final architecture trained from
scratch, and a random mask of the final size, on the 13 x 70 RBM and its patches. It checks
itself when built; everything downstream trusts it."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

from boltzprune._validate import (
    check_choice,
    check_fraction,
    check_positive_int,
)
from boltzprune.app.patches import PatchRBMConfig
from boltzprune.errors import InvalidInputError
from boltzprune.fisher.config import RUNNING_PHASES
from boltzprune.pruning.config import OnlinePruneConfig

# the inherited sampling field's annotation, resolved here by the API reference (pdoc)
from boltzprune.sampling.config import SamplingConfig  # noqa: F401
from boltzprune.training.config import AUTHORS_CODE_RBM, TrainConfig

__all__ = ["VARIANTS", "OnlinePruningConfig"]

# what each (seed, criterion) trains, in the report's order
VARIANTS = ("offline", "online", "scratch", "random_mask")


@dataclass(frozen=True)
class OnlinePruningConfig(PatchRBMConfig):
    """The four ways to reach the same final weight count, per seed and criterion:

    - offline: the paper's loop from the trained RBM, ``iterations`` cuts of ``fraction``
      with retraining (``training`` for the first training and every retraining);
    - online: the same initial weights trained for ``online_epochs`` while the criterion,
      computed from the running statistics, cuts weights every ``prune_every`` updates in
      epochs 1 to ``prune_end_epoch`` by the cubic schedule down to the offline loop's final
      weight count;
    - scratch: the offline loop's final architecture (hidden units and mask) initialised
      afresh and trained as long as the offline loop trained in all;
    - random_mask: as many hidden units and weights, at random places, trained as long.

    The patches, the RBM and the offline loop's samples: ``PatchRBMConfig``.
    """

    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    criteria: tuple[str, ...] = ("variance", "heuristic", "abs_w")
    training: TrainConfig = field(default_factory=lambda: AUTHORS_CODE_RBM)
    online_epochs: int = 4  # training epochs of the online variant
    prune_every: int = 2_000  # updates between the online variant's pruning events
    prune_end_epoch: int = 3  # its last epoch with events (the rest fine-tunes)
    decay: float = 0.999  # of the running statistics: about 1 / (1 - decay) updates
    phase: str = "model"  # the running statistics' states: "model" or "data"
    trace_every: int = 10_000  # updates between exact-FIM probes of the traces

    def __post_init__(self) -> None:
        super().__post_init__()
        if not isinstance(self.training, TrainConfig):
            raise InvalidInputError(f"training must be a TrainConfig, got "
                                    f"{type(self.training).__name__}")
        check_positive_int("online_epochs", self.online_epochs)
        check_positive_int("prune_every", self.prune_every)
        check_positive_int("prune_end_epoch", self.prune_end_epoch)
        check_fraction("decay", self.decay, zero=True)
        check_choice("phase", self.phase, RUNNING_PHASES)
        check_positive_int("trace_every", self.trace_every)
        if self.prune_end_epoch > self.online_epochs:
            raise InvalidInputError(f"prune_end_epoch ({self.prune_end_epoch}) must not pass "
                                    f"online_epochs ({self.online_epochs})")

    @property
    def total_epochs(self) -> int:
        """Epochs the offline loop trains in all (first training and every retraining): the
        scratch and random-mask variants train as long."""
        return self.training.epochs * (1 + self.iterations)

    def final_weights(self, n_visible: int) -> int:
        """The weights the offline loop leaves (each cut keeps the floor of the rest)."""
        n = n_visible * self.n_hidden
        for _ in range(self.iterations):
            n = math.floor(n * (1 - self.fraction) + 1e-9)
        return n

    def online_prune(self, criterion: str, final_density: float) -> OnlinePruneConfig:
        """The online variant's schedule for ``criterion``."""
        return OnlinePruneConfig(criterion, final_density=final_density,
                                 every=self.prune_every, start_epoch=1,
                                 end_epoch=self.prune_end_epoch, decay=self.decay,
                                 phase=self.phase)

    def torch_training(self, epochs: int) -> TrainConfig:
        """``training`` for ``epochs`` on the PyTorch path: the online variant's (its pruner
        and the traces are training hooks, which run there) and, so that their wall times
        compare, the offline loop's first training and retrainings."""
        return dataclasses.replace(self.training, epochs=epochs, backend="torch")
