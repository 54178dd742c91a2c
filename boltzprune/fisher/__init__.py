"""Fisher information: local diagonal estimates (from samples, or running during training),
full FIM, exact FIM."""

from boltzprune._lazy import lazy_exports

__all__ = [
    "FIMEigen",
    "LocalRates",
    "RunningFisher",
    "bias_fi",
    "coincidence_rates",
    "exact_fim",
    "fim_eigen",
    "heuristic_fi",
    "heuristic_fi_from_rates",
    "n_parameters",
    "parameter_blocks",
    "parameter_mask",
    "sampled_fim",
    "sufficient_statistics",
    "variance_fi",
    "variance_fi_from_rates",
]

# imported on first use (boltzprune._lazy)
__getattr__, __dir__ = lazy_exports(__name__, {
    "boltzprune.fisher.diagonal": ["LocalRates", "bias_fi", "coincidence_rates", "heuristic_fi",
                                   "heuristic_fi_from_rates", "variance_fi",
                                   "variance_fi_from_rates"],
    "boltzprune.fisher.running": ["RunningFisher"],
    "boltzprune.fisher.exact": ["exact_fim"],
    "boltzprune.fisher.full": ["FIMEigen", "fim_eigen", "parameter_mask", "sampled_fim"],
    "boltzprune.fisher.stats": ["n_parameters", "parameter_blocks", "sufficient_statistics"],
})
