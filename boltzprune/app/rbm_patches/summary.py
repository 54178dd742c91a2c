"""The RBM experiment's results aggregated over seeds: typed summaries per schedule and
criterion, and the checks of the paper's qualitative pattern, from the typed results of
``run.py``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from boltzprune.app.rbm_patches.config import RBMPatchesConfig
from boltzprune.app.rbm_patches.run import SeedResult, StageRow

__all__ = ["CriterionSummary", "FIMSummary", "ScheduleSummary", "PatternChecks",
           "RBMPatchesSummary", "summarise", "check_pattern", "units_pattern", "FI_CRITERIA",
           "BASELINES", "N_EIGENVALUES"]

FI_CRITERIA = ("variance", "heuristic", "eigenvector")
BASELINES = ("abs_w", "random")
N_EIGENVALUES = 3  # leading FIM eigenvalues reported (the paper quotes three)


@dataclass(frozen=True)
class CriterionSummary:
    """One criterion under one schedule, aggregated over seeds.

    Sequences run over iterations 0..K (0 = the trained, unpruned model; k = after the k-th
    cut), except ``ll_drop_*`` which run over the cuts 1..K. ``*_mean`` is the mean over
    seeds, ``*_sd`` the sample standard deviation (ddof 1; 0 for a single seed).
    """

    weights: tuple[int, ...]  # remaining weights (the same for every seed)
    units_mean: tuple[float, ...]  # hidden units left
    units_sd: tuple[float, ...]
    ll_pruned_mean: tuple[float, ...]  # exact mean log p(v) per pattern right after the cut
    ll_pruned_sd: tuple[float, ...]
    ll_retrained_mean: tuple[float, ...]  # ... after retraining
    ll_retrained_sd: tuple[float, ...]
    kl_pruned_mean: tuple[float, ...]  # exact KL(data || model) right after the cut (nats)
    kl_pruned_sd: tuple[float, ...]
    kl_retrained_mean: tuple[float, ...]  # ... after retraining
    kl_retrained_sd: tuple[float, ...]
    ll_drop_mean: tuple[float, ...]  # (K,) ll right after cut k minus ll after retraining k-1
    ll_drop_sd: tuple[float, ...]


@dataclass(frozen=True)
class FIMSummary:
    """The FIM of the trained RBMs of one schedule, aggregated over seeds."""

    sampled_mean: tuple[float, ...]  # leading eigenvalues of the FIM from model samples
    sampled_sd: tuple[float, ...]
    exact_mean: tuple[float, ...]  # leading eigenvalues of the exact FIM (enumeration)
    exact_sd: tuple[float, ...]
    diag_rel_err_mean: float  # relative L1 error of the sampled FIM's diagonal
    top10_unit_share_mean: float  # share of the weight FI held by the 10 top hidden units
    n_samples: int  # model samples behind the sampled FIM


@dataclass(frozen=True)
class ScheduleSummary:
    """Everything one training schedule produced, aggregated over its seeds."""

    schedule: str
    seeds: tuple[int, ...]
    criteria: dict[str, CriterionSummary]  # in the config's order
    fim: FIMSummary
    mean_abs_w: float  # mean |w| of the trained RBM, averaged over seeds


@dataclass(frozen=True)
class PatternChecks:
    """The paper's qualitative pattern, tested on one schedule's mean numbers."""

    fi_criteria: tuple[str, ...]  # the FI criteria that were run (variance, heuristic, ...)
    baselines: tuple[str, ...]  # the baselines that were run (abs_w, random)
    n_cuts: int  # the last cut, after which final_units_mean is taken
    final_units_mean: dict[str, float]  # hidden units left after the last cut
    # after the last cut, every FI criterion leaves fewer hidden units than every baseline
    # (None: either group not run)
    fi_fewer_units_than_baselines: bool | None
    # after the last cut, anti-FI leaves more hidden units than every FI criterion (None:
    # anti_fi or all FI criteria not run)
    anti_fi_more_units_than_fi: bool | None
    worst_drop_per_iteration: tuple[str, ...]  # the criterion whose cut k lowered ll most
    worst_mean_drop: str  # the criterion whose cuts lowered ll most on average
    anti_fi_worst_drop: bool | None  # worst_mean_drop is anti_fi (None: anti_fi not run)


@dataclass(frozen=True)
class RBMPatchesSummary:
    """summary.json (plus the run's wall time): per schedule, its aggregate and checks."""

    schedules: dict[str, ScheduleSummary]
    checks: dict[str, PatternChecks]


def _mean_sd(a: np.ndarray) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Mean and sample sd over seeds (axis 0) of a (n_seeds, n) array."""
    sd = a.std(0, ddof=1) if a.shape[0] > 1 else np.zeros(a.shape[1])
    return tuple(float(x) for x in a.mean(0)), tuple(float(x) for x in sd)


def _criterion_summary(results: list[SeedResult], criterion: str, K: int) -> CriterionSummary:
    pruned, retrained = [], []
    for r in results:
        trained = next(x for x in r.rows if x.stage == "trained")
        by = {(x.iteration, x.stage): x for x in r.rows if x.criterion == criterion}
        pruned.append([trained] + [by[(k, "pruned")] for k in range(1, K + 1)])
        retrained.append([trained] + [by[(k, "retrained")] for k in range(1, K + 1)])

    def arr(rows: list[list[StageRow]], field: str) -> np.ndarray:
        return np.asarray([[getattr(x, field) for x in seed] for seed in rows], np.float64)

    ll_pruned, ll_retrained = arr(pruned, "log_likelihood"), arr(retrained, "log_likelihood")
    stats = {"units": arr(pruned, "n_hidden"), "ll_pruned": ll_pruned,
             "ll_retrained": ll_retrained, "kl_pruned": arr(pruned, "kl"),
             "kl_retrained": arr(retrained, "kl"),
             # the damage of each cut: right after cut k minus after retraining k - 1
             "ll_drop": ll_pruned[:, 1:] - ll_retrained[:, :-1]}
    fields: dict[str, tuple[float, ...]] = {}
    for name, a in stats.items():
        fields[f"{name}_mean"], fields[f"{name}_sd"] = _mean_sd(a)
    return CriterionSummary(weights=tuple(x.n_weights for x in pruned[0]), **fields)


def _fim_summary(results: list[SeedResult]) -> FIMSummary:
    sampled = _mean_sd(np.asarray([r.fim.eigenvalues_sampled[:N_EIGENVALUES] for r in results]))
    exact = _mean_sd(np.asarray([r.fim.eigenvalues_exact[:N_EIGENVALUES] for r in results]))
    return FIMSummary(
        sampled_mean=sampled[0], sampled_sd=sampled[1], exact_mean=exact[0], exact_sd=exact[1],
        diag_rel_err_mean=float(np.mean([r.fim.diagonal_relative_error for r in results])),
        top10_unit_share_mean=float(np.mean([r.fim.top10_unit_share for r in results])),
        n_samples=results[0].fim.n_samples)


def units_pattern(units: Mapping[str, float]) -> tuple[bool | None, bool | None]:
    """The paper's two findings on hidden units, tested on the units left after one cut by
    criterion (ours, or the paper's Table 1 column): whether every FI criterion leaves fewer
    than every baseline, and whether anti-FI leaves more than every FI criterion (None:
    a group needed was not run)."""
    fi = [units[c] for c in FI_CRITERIA if c in units]
    base = [units[c] for c in BASELINES if c in units]
    fewer = max(fi) < min(base) if fi and base else None
    anti = units["anti_fi"] > max(fi) if fi and "anti_fi" in units else None
    return fewer, anti


def check_pattern(s: ScheduleSummary) -> PatternChecks:
    """The paper's qualitative pattern, tested on one schedule's numbers after the last
    cut: FI criteria disconnect more hidden units than |w| and random, and than anti-FI;
    anti-FI damages the likelihood most."""
    crit = s.criteria
    final = {c: v.units_mean[-1] for c, v in crit.items()}
    fi = tuple(c for c in FI_CRITERIA if c in crit)
    base = tuple(c for c in BASELINES if c in crit)
    fewer, anti_more = units_pattern(final)
    drops = {c: v.ll_drop_mean for c, v in crit.items()}
    n_cuts = len(next(iter(drops.values())))
    worst_per_iter = tuple(min(drops, key=lambda c, k=k: drops[c][k]) for k in range(n_cuts))
    mean_drop = {c: float(np.mean(v)) for c, v in drops.items()}
    worst = min(mean_drop, key=mean_drop.__getitem__)
    return PatternChecks(fi_criteria=fi, baselines=base, n_cuts=n_cuts,
                         final_units_mean=final, fi_fewer_units_than_baselines=fewer,
                         anti_fi_more_units_than_fi=anti_more,
                         worst_drop_per_iteration=worst_per_iter, worst_mean_drop=worst,
                         anti_fi_worst_drop=worst == "anti_fi" if "anti_fi" in crit else None)


def summarise(cfg: RBMPatchesConfig, results: list[SeedResult]) -> RBMPatchesSummary:
    """Per schedule and criterion, means and sds over seeds, and the pattern checks."""
    schedules = {}
    for schedule in cfg.schedules:
        res = [r for r in results if r.schedule == schedule]
        schedules[schedule] = ScheduleSummary(
            schedule=schedule, seeds=tuple(r.seed for r in res),
            criteria={c: _criterion_summary(res, c, cfg.iterations) for c in cfg.criteria},
            fim=_fim_summary(res), mean_abs_w=float(np.mean([r.mean_abs_w for r in res])))
    return RBMPatchesSummary(schedules, {k: check_pattern(s) for k, s in schedules.items()})
