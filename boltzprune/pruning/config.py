"""Settings of pruning during learning (``OnlinePruneConfig``). Torch-free, so that configs
are built (and the command line answers) without loading torch; the pruning itself lives in
``online.py``."""

from __future__ import annotations

from dataclasses import dataclass

from boltzprune._validate import check_choice, check_fraction, check_positive_int
from boltzprune.errors import InvalidInputError
from boltzprune.fisher.config import RUNNING_PHASES

__all__ = ["OnlinePruneConfig"]


@dataclass(frozen=True)
class OnlinePruneConfig:
    """When, how much and by which criterion to prune while a model trains.

    Pruning events fall every ``every`` updates from the start of epoch ``start_epoch`` to
    the end of epoch ``end_epoch`` (1-based, inclusive; None: the last epoch). How much:
    either ``final_density``, the share of each weight matrix's weights at the first event
    that is left after the last one, reached by the cubic schedule of Zhu & Gupta (2017),
    density_k = d_f + (1 - d_f) (1 - k / K)^3 after event k of K, or ``fraction``, the share
    of the remaining weights cut at every event. The criterion is any registered one; the
    local ones (variance, heuristic, anti-FI) read the running averages of ``decay`` from
    the ``phase``'s states (``fisher.running.RunningFisher``), criteria that need samples
    get the latest update's states of that phase.
    """

    criterion: str  # a name in the criteria registry
    final_density: float | None = None  # share of the weights left after the last event
    fraction: float | None = None  # or: share of the remaining weights cut per event
    every: int = 100  # updates between events
    start_epoch: int = 1  # first epoch with events (1-based)
    end_epoch: int | None = None  # last epoch with events; None: the last epoch of training
    decay: float = 0.99  # of the running averages: about 1 / (1 - decay) updates
    phase: str = "model"  # whose states are averaged: the model phase's or the data phase's

    def __post_init__(self) -> None:
        if not isinstance(self.criterion, str) or not self.criterion.isidentifier():
            raise InvalidInputError(f"criterion must be a criterion's name, got "
                                    f"{self.criterion!r}")
        if (self.final_density is None) == (self.fraction is None):
            raise InvalidInputError("give exactly one of final_density (a gradual cubic "
                                    "schedule) and fraction (a share cut per event)")
        if self.final_density is not None:
            check_fraction("final_density", self.final_density)
        if self.fraction is not None:
            check_fraction("fraction", self.fraction)
        check_positive_int("every", self.every)
        check_positive_int("start_epoch", self.start_epoch)
        if self.end_epoch is not None:
            check_positive_int("end_epoch", self.end_epoch)
            if self.end_epoch < self.start_epoch:
                raise InvalidInputError(f"end_epoch ({self.end_epoch}) must not come before "
                                        f"start_epoch ({self.start_epoch})")
        check_fraction("decay", self.decay, zero=True)
        check_choice("phase", self.phase, RUNNING_PHASES)
