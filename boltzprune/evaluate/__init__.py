"""Evaluation: exact and AIS likelihood, pattern distributions and model health."""

from boltzprune._lazy import lazy_exports

__all__ = [
    "AISConfig",
    "LikelihoodEstimate",
    "LogZEstimate",
    "ais_log_partition",
    "estimate_log_likelihood",
    "mean_field_bound",
    "raise_log_likelihood",
    "reverse_log_partition",
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

# imported on first use (boltzprune._lazy)
__getattr__, __dir__ = lazy_exports(__name__, {
    "boltzprune.evaluate.config": ["AISConfig"],
    "boltzprune.evaluate.ais": ["LikelihoodEstimate", "LogZEstimate", "ais_log_partition",
                                "estimate_log_likelihood", "mean_field_bound",
                                "raise_log_likelihood", "reverse_log_partition"],
    "boltzprune.evaluate.health": ["LayerHealth", "ModelHealth", "model_health"],
    "boltzprune.evaluate.patterns": ["empirical_distribution", "exact_fit", "kl_divergence",
                                     "model_distribution", "pattern_codes", "rank_frequency"],
    "boltzprune.models.enumerate": ["all_states", "log_likelihood", "log_marginal_visible",
                                    "log_partition"],
})
