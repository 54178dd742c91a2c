"""Evaluation: exact likelihood, pattern distributions and model health."""

from boltzprune.evaluate.health import LayerHealth, ModelHealth, model_health
from boltzprune.evaluate.patterns import (
    empirical_distribution,
    exact_fit,
    kl_divergence,
    model_distribution,
    pattern_codes,
    rank_frequency,
)
from boltzprune.models.enumerate import (
    all_states,
    log_likelihood,
    log_marginal_visible,
    log_partition,
)

__all__ = [
    "LayerHealth",
    "ModelHealth",
    "model_health",
    "all_states",
    "empirical_distribution",
    "exact_fit",
    "kl_divergence",
    "log_likelihood",
    "log_marginal_visible",
    "log_partition",
    "model_distribution",
    "pattern_codes",
    "rank_frequency",
]
