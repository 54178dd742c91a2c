"""Fisher information: local diagonal estimates, full FIM, exact FIM."""

from boltzprune.fisher.diagonal import bias_fi, heuristic_fi, variance_fi
from boltzprune.fisher.exact import exact_fim
from boltzprune.fisher.full import FIMEigen, fim_eigen, parameter_mask, sampled_fim
from boltzprune.fisher.stats import n_parameters, parameter_blocks, sufficient_statistics

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
