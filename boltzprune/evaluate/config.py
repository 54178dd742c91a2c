"""Settings of the likelihood estimates (``AISConfig``). Torch-free, so that configs are built
(and the command line answers) without loading torch; the estimators live in ``ais.py``."""

from __future__ import annotations

from dataclasses import dataclass

from boltzprune._validate import check_positive_int
from boltzprune.errors import InvalidInputError

__all__ = ["AISConfig", "SM08_BETAS"]

#: Length of Salakhutdinov & Murray's (2008) schedule: 500 inverse temperatures spaced
#: evenly in [0, 0.5], 4,000 in [0.5, 0.9] and 10,000 in [0.9, 1].
SM08_BETAS = 14_500


@dataclass(frozen=True)
class AISConfig:
    """Annealed importance sampling from a base-rate model to the target (log Z), and the
    same path run backwards (an estimate from the other side)."""

    n_betas: int = SM08_BETAS  # inverse temperatures, spaced as Salakhutdinov & Murray 2008
    n_runs: int = 100  # independent forward runs (batched)
    n_reverse: int = 100  # reverse runs: RAISE test patterns (RBM), model samples (DBM)
    exact_max_units: int = 20  # an RBM whose smaller layer is this small is enumerated

    def __post_init__(self) -> None:
        check_positive_int("n_betas", self.n_betas, minimum=3)
        check_positive_int("n_runs", self.n_runs, minimum=2)
        check_positive_int("n_reverse", self.n_reverse, minimum=2)
        check_positive_int("exact_max_units", self.exact_max_units, minimum=0)
        if self.exact_max_units > 24:
            raise InvalidInputError(f"exact_max_units must be at most 24 (2^24 states), got "
                                    f"{self.exact_max_units}")
