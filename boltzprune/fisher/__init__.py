"""Fisher information: local diagonal estimates, full FIM, exact FIM."""

from boltzprune._lazy import lazy_exports

__all__ = [
    "FIMEigen",
    "bias_fi",
    "exact_fim",
    "fim_eigen",
    "heuristic_fi",
    "n_parameters",
    "parameter_blocks",
    "parameter_mask",
    "sampled_fim",
    "sufficient_statistics",
    "variance_fi",
]

# imported on first use (boltzprune._lazy)
__getattr__, __dir__ = lazy_exports(__name__, {
    "boltzprune.fisher.diagonal": ["bias_fi", "heuristic_fi", "variance_fi"],
    "boltzprune.fisher.exact": ["exact_fim"],
    "boltzprune.fisher.full": ["FIMEigen", "fim_eigen", "parameter_mask", "sampled_fim"],
    "boltzprune.fisher.stats": ["n_parameters", "parameter_blocks", "sufficient_statistics"],
})
