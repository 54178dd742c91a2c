"""How model samples are drawn (``SamplingConfig``). Torch-free, so that configs are built
(and the command line answers) without loading torch; the samplers live in ``gibbs.py``
(which re-exports ``SamplingConfig``)."""

from __future__ import annotations

from dataclasses import dataclass

from boltzprune._validate import check_choice, check_positive_int

__all__ = ["SamplingConfig", "INITS", "METHODS"]

INITS = ("random", "data")
METHODS = ("gibbs", "exact")


@dataclass(frozen=True)
class SamplingConfig:
    """How to draw joint samples (v, h) from the model."""

    n_samples: int = 90_000  # paper: as many samples as training patterns
    method: str = "gibbs"  # "gibbs" (as the paper) or "exact" (enumeration, small models)
    n_chains: int = 1_000  # parallel Gibbs chains
    burn_in: int = 1_000  # Gibbs steps before the first kept sample
    thin: int = 200  # Gibbs steps between kept samples (paper: 200)
    init: str = "random"  # chain start: "random" (uniform bits) or "data" (random patterns)

    def __post_init__(self) -> None:
        check_positive_int("n_samples", self.n_samples)
        check_choice("method", self.method, METHODS)
        check_positive_int("n_chains", self.n_chains)
        check_positive_int("burn_in", self.burn_in, minimum=0)
        check_positive_int("thin", self.thin)
        check_choice("init", self.init, INITS)
