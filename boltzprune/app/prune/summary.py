"""``boltzprune prune`` aggregated over seeds: typed summaries per criterion and the checks
of what the results say, from the typed results of ``run.py``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from boltzprune.app.prune.config import PruneDataConfig
from boltzprune.app.prune.run import MEASURES, RoundRow, SeedResult

__all__ = ["CriterionSummary", "PruneChecks", "PruneSummary", "summarise", "check_results",
           "FI", "BASE"]

FI = ("variance", "heuristic")  # the paper's local FI criteria
BASE = ("abs_w", "random")  # the criteria the paper compares them with


@dataclass(frozen=True)
class CriterionSummary:
    """One criterion aggregated over seeds.

    Sequences run over rounds 0..K (0 = the trained, unpruned model; k = after the k-th
    round's retraining). ``*_mean`` is the mean over seeds, ``*_sd`` the sample standard
    deviation (ddof 1; 0 for a single seed); ``hidden_*`` and ``matrix_weights_mean`` hold
    one such sequence per hidden layer (weight matrix).
    """

    weights_mean: tuple[float, ...]  # weights left in all matrices
    weights_sd: tuple[float, ...]
    dead_mean: tuple[float, ...]  # visible units left without any weight
    dead_sd: tuple[float, ...]
    quality_mean: tuple[float, ...]  # the run's quality measure on the test patterns
    quality_sd: tuple[float, ...]
    hidden_mean: tuple[tuple[float, ...], ...]  # units left, per hidden layer
    hidden_sd: tuple[tuple[float, ...], ...]
    matrix_weights_mean: tuple[tuple[float, ...], ...]  # weights left, per matrix
    # test error of the readout of the deepest layer (None: the data have no labels)
    error_mean: tuple[float, ...] | None
    error_sd: tuple[float, ...] | None


@dataclass(frozen=True)
class PruneChecks:
    """What the results say, computed from the mean numbers after the last round."""

    ranked_by_quality: tuple[str, ...]  # best first
    ranked_by_units_left: tuple[str, ...]  # fewest hidden units left first
    final_quality: dict[str, float]
    final_units: dict[str, float]  # hidden units left, all layers
    # every FI criterion leaves fewer hidden units than every baseline (paper 2.3-2.4;
    # None: either group not run)
    fi_removes_more_units: bool | None
    # anti-FI gives the worst quality (None: anti_fi not run, or run alone)
    anti_fi_worst_quality: bool | None
    unpruned_readout_error: float | None  # None: the data have no labels
    encoding_beats_raw: bool | None  # the unpruned readout error <= the raw patterns'


@dataclass(frozen=True)
class PruneSummary:
    """summary.json (plus the run's wall time)."""

    measure: str  # the quality measure's name (a key of MEASURES)
    criteria: dict[str, CriterionSummary]  # in the config's order
    raw_error: float | None  # readout error of the raw test patterns (None: no labels)
    checks: PruneChecks


def _ms(a: np.ndarray) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Mean and sd (ddof 1; 0 for one seed) over seeds (axis 0) of a (n_seeds, n) array."""
    sd = a.std(0, ddof=1) if a.shape[0] > 1 else np.zeros(a.shape[1:])
    return tuple(float(x) for x in a.mean(0)), tuple(float(x) for x in sd)


def _rounds(r: SeedResult, crit: str) -> list[RoundRow]:
    """The unpruned model's row, then the criterion's rounds in order."""
    return [r.rows[0]] + sorted((x for x in r.rows if x.criterion == crit),
                                key=lambda x: x.iteration)


def _criterion_summary(results: list[SeedResult], criterion: str) -> CriterionSummary:
    per_seed = [_rounds(r, criterion) for r in results]

    def arr(get: Callable[[RoundRow], float | None]) -> np.ndarray:
        return np.asarray([[get(row) for row in rows] for rows in per_seed], np.float64)

    n_layers = len(per_seed[0][0].n_hidden)
    hidden = [_ms(arr(lambda x, l=l: x.n_hidden[l])) for l in range(n_layers)]
    error = (_ms(arr(lambda x: x.encoding_error))
             if per_seed[0][0].encoding_error is not None else (None, None))
    weights = _ms(arr(lambda x: x.n_weights_total))
    dead = _ms(arr(lambda x: x.n_dead_visible))
    quality = _ms(arr(lambda x: x.quality))
    return CriterionSummary(
        weights_mean=weights[0], weights_sd=weights[1], dead_mean=dead[0], dead_sd=dead[1],
        quality_mean=quality[0], quality_sd=quality[1],
        hidden_mean=tuple(h[0] for h in hidden), hidden_sd=tuple(h[1] for h in hidden),
        matrix_weights_mean=tuple(_ms(arr(lambda x, l=l: x.n_weights[l]))[0]
                                  for l in range(n_layers)),
        error_mean=error[0], error_sd=error[1])


def check_results(criteria: dict[str, CriterionSummary], higher_better: bool,
                  raw_error: float | None) -> PruneChecks:
    """What the results say, computed: the criteria ranked by final quality and by hidden
    units left, and the paper's claims where their criteria ran."""
    final_q = {c: s.quality_mean[-1] for c, s in criteria.items()}
    units = {c: sum(h[-1] for h in s.hidden_mean) for c, s in criteria.items()}
    ranked = tuple(sorted(final_q, key=final_q.__getitem__, reverse=higher_better))
    fi, bl = [c for c in FI if c in criteria], [c for c in BASE if c in criteria]
    error = next(iter(criteria.values())).error_mean
    unpruned = error[0] if raw_error is not None and error is not None else None
    return PruneChecks(
        ranked_by_quality=ranked,
        ranked_by_units_left=tuple(sorted(units, key=units.__getitem__)),
        final_quality=final_q, final_units=units,
        # paper 2.3-2.4: FI pruning removes more hidden units
        fi_removes_more_units=(max(units[c] for c in fi) < min(units[c] for c in bl)
                               if fi and bl else None),
        # the paper: pruning the most important weights is worst
        anti_fi_worst_quality=(ranked[-1] == "anti_fi"
                               if "anti_fi" in criteria and len(criteria) > 1 else None),
        unpruned_readout_error=unpruned,
        encoding_beats_raw=(unpruned <= raw_error
                            if unpruned is not None and raw_error is not None else None))


def summarise(cfg: PruneDataConfig, results: list[SeedResult]) -> PruneSummary:
    """Per criterion, sequences over rounds 0..K of the mean and sd over seeds: weights
    (total and per matrix), hidden units per layer, disconnected visible units, the quality
    measure and, with labels, the readout error; and the checks."""
    measure = results[0].rows[0].measure
    criteria = {c: _criterion_summary(results, c) for c in cfg.criteria}
    raw = [r.raw_error for r in results if r.raw_error is not None]
    raw_error = float(np.mean(raw)) if raw else None
    return PruneSummary(measure, criteria, raw_error,
                        check_results(criteria, MEASURES[measure].higher_better, raw_error))
