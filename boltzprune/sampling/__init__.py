"""Model samples: Gibbs chains with burn-in and thinning for RBMs and DBMs, exact sampling
by enumeration for small RBMs."""

from boltzprune._lazy import lazy_exports

__all__ = ["Samples", "SamplingConfig", "exact_samples", "gibbs_chains", "sample_dbm",
           "sample_rbm"]

# imported on first use (boltzprune._lazy), so that the config needs no torch
__getattr__, __dir__ = lazy_exports(__name__, {
    "boltzprune.sampling.config": ["SamplingConfig"],
    "boltzprune.sampling.gibbs": ["Samples", "exact_samples", "gibbs_chains", "sample_dbm",
                                  "sample_rbm"],
})
