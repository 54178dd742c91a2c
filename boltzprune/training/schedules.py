"""Per-epoch learning-rate and momentum schedules (paper 4.3)."""

from __future__ import annotations

import numpy as np

from boltzprune._validate import check_choice, check_positive_float, check_positive_int

__all__ = ["learning_rates", "momenta"]

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
    for name, m in (("initial_momentum", initial), ("momentum", final)):
        check_positive_float(name, m, allow_zero=True)
        if m >= 1:
            raise ValueError(f"{name} must be in [0, 1), got {m}")
    if isinstance(switch_epoch, bool) or not isinstance(switch_epoch, int) or switch_epoch < 0:
        raise ValueError(f"momentum_switch_epoch must be an integer >= 0, got {switch_epoch!r}")
    epochs = check_positive_int("epochs", epochs)
    return [float(initial) if e < switch_epoch else float(final) for e in range(epochs)]
