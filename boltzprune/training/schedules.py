"""Per-epoch learning-rate and momentum schedules (paper 4.3)."""

from __future__ import annotations

import numpy as np

from boltzprune._validate import (
    check_choice,
    check_fraction,
    check_positive_float,
    check_positive_int,
)

__all__ = ["learning_rates", "momenta", "check_schedule"]

LR_SCHEDULES = ("constant", "log")


def learning_rates(kind: str, start: float, end: float, epochs: int) -> list[float]:
    """Learning rate of each epoch.

    "log": decays on a logarithmic scale from ``start`` (first epoch) to ``end`` (last
    epoch), as the paper states ("decreased on a logarithmic scale between epochs");
    "constant": ``start`` throughout (``end`` is ignored).
    """
    check_choice("lr_schedule", kind, LR_SCHEDULES)
    start = check_positive_float("lr_start", start)
    epochs = check_positive_int("epochs", epochs)
    if kind == "constant":
        return [start] * epochs
    end = check_positive_float("lr_end", end)
    if epochs == 1:
        return [start]
    return [float(x) for x in np.geomspace(start, end, epochs)]


def momenta(initial: float, final: float, switch_epoch: int, epochs: int) -> list[float]:
    """Momentum of each epoch: ``initial`` for the first ``switch_epoch`` epochs, then
    ``final`` (paper DBM: 0.5 for 5 epochs, then 0.9; paper RBM: 0.9 throughout)."""
    check_fraction("initial_momentum", initial, zero=True)
    check_fraction("momentum", final, zero=True)
    check_positive_int("momentum_switch_epoch", switch_epoch, minimum=0)
    epochs = check_positive_int("epochs", epochs)
    return [float(initial) if e < switch_epoch else float(final) for e in range(epochs)]


def check_schedule(cfg: object) -> None:
    """The schedule fields a training config shares (``TrainConfig``, ``DBMTrainConfig``):
    epochs, batch_size, lr_schedule, lr_start, lr_end (for "log"), momentum,
    initial_momentum and momentum_switch_epoch. Called by their ``__post_init__``."""
    check_positive_int("epochs", cfg.epochs)
    check_positive_int("batch_size", cfg.batch_size)
    check_choice("lr_schedule", cfg.lr_schedule, LR_SCHEDULES)
    check_positive_float("lr_start", cfg.lr_start)
    if cfg.lr_schedule == "log":  # "constant" ignores lr_end
        check_positive_float("lr_end", cfg.lr_end)
    check_fraction("momentum", cfg.momentum, zero=True)
    check_fraction("initial_momentum", cfg.initial_momentum, zero=True)
    check_positive_int("momentum_switch_epoch", cfg.momentum_switch_epoch, minimum=0)
