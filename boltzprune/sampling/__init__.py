"""Model samples: Gibbs chains with burn-in and thinning for RBMs and DBMs, exact sampling
by enumeration for small RBMs."""

from boltzprune.sampling.gibbs import (
    Samples,
    SamplingConfig,
    exact_samples,
    gibbs_chains,
    sample_dbm,
    sample_rbm,
)

__all__ = ["Samples", "SamplingConfig", "exact_samples", "gibbs_chains", "sample_dbm",
           "sample_rbm"]
