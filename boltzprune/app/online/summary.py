"""Aggregates of the online-pruning experiment over seeds: per criterion and variant the
mean and spread of every measure, and the paired differences between variants (the same
seed's initial weights and data) with a 95 % t interval, from which the report's verdicts
are read."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from boltzprune.app.online.config import VARIANTS, OnlinePruningConfig
from boltzprune.app.online.run import SeedResult, TracePoint

__all__ = ["Stat", "Paired", "VariantSummary", "CriterionSummary", "OnlineSummary",
           "summarise", "mean_trace", "COMPARISONS"]

# the paired comparisons the report reads, (variant, against)
COMPARISONS = (("online", "offline"), ("scratch", "offline"), ("scratch", "online"),
               ("random_mask", "offline"))


@dataclass(frozen=True)
class Stat:
    mean: float
    sd: float  # over seeds (ddof 1; 0 with one seed)


@dataclass(frozen=True)
class Paired:
    """``variant`` - ``against`` of one measure, paired by seed: the mean difference, its sd
    and the 95 % t interval of the mean (None with one seed)."""

    variant: str
    against: str
    mean: float
    sd: float
    low: float | None
    high: float | None

    @property
    def verdict(self) -> str:
        """"higher", "lower" or "no difference" at 95 %; "one seed" when it cannot tell."""
        if self.low is None or self.high is None:
            return "one seed"
        if self.low > 0:
            return "higher"
        if self.high < 0:
            return "lower"
        return "no difference"


@dataclass(frozen=True)
class VariantSummary:
    variant: str
    log_likelihood: Stat
    kl: Stat
    n_weights: Stat
    n_hidden: Stat
    updates: Stat
    model_samples: Stat
    seconds: Stat


@dataclass(frozen=True)
class CriterionSummary:
    criterion: str
    variants: dict[str, VariantSummary]
    log_likelihood: list[Paired]  # COMPARISONS, in order
    seconds: list[Paired]


@dataclass(frozen=True)
class OnlineSummary:
    n_seeds: int
    trained: VariantSummary
    criteria: list[CriterionSummary]


def _stat(values: list[float]) -> Stat:
    a = np.asarray(values, np.float64)
    return Stat(float(a.mean()), float(a.std(ddof=1)) if len(a) > 1 else 0.0)


def paired(variant: str, against: str, a: list[float], b: list[float]) -> Paired:
    d = np.asarray(a, np.float64) - np.asarray(b, np.float64)
    m = float(d.mean())
    if len(d) < 2:
        return Paired(variant, against, m, 0.0, None, None)
    from scipy.stats import t

    sd = float(d.std(ddof=1))
    half = float(t.ppf(0.975, len(d) - 1)) * sd / math.sqrt(len(d))
    return Paired(variant, against, m, sd, m - half, m + half)


def _variant(name: str, rows) -> VariantSummary:
    return VariantSummary(name, *(_stat([getattr(r, f) for r in rows]) for f in (
        "log_likelihood", "kl", "n_weights", "n_hidden", "updates", "model_samples",
        "seconds")))


def summarise(cfg: OnlinePruningConfig, results: list[SeedResult]) -> OnlineSummary:
    crits = []
    for c in cfg.criteria:
        rows = {v: [next(r for r in cr.rows if r.variant == v)
                    for s in results for cr in s.criteria if cr.criterion == c]
                for v in VARIANTS}
        crits.append(CriterionSummary(
            c, {v: _variant(v, rows[v]) for v in VARIANTS},
            [paired(a, b, [r.log_likelihood for r in rows[a]],
                    [r.log_likelihood for r in rows[b]]) for a, b in COMPARISONS],
            [paired(a, b, [r.seconds for r in rows[a]], [r.seconds for r in rows[b]])
             for a, b in COMPARISONS]))
    return OnlineSummary(len(results), _variant("trained", [s.trained for s in results]),
                         crits)


def mean_trace(traces: list[list[TracePoint]]) -> dict[str, np.ndarray]:
    """The traces of several seeds (the same probe steps) as arrays: step, and the mean
    over seeds of every measure."""
    steps = [p.step for p in traces[0]]
    for t in traces:
        assert [p.step for p in t] == steps, "traces of different probe steps"
    out = {"step": np.asarray(steps)}
    for f in ("weights", "hidden_units", "eig1", "top_share", "running_corr"):
        a = np.asarray([[getattr(p, f) for p in t] for t in traces], np.float64)
        ok = ~np.isnan(a)  # the probe before the first update has no running estimate
        n = ok.sum(0)
        out[f] = np.where(n > 0, np.where(ok, a, 0).sum(0) / np.maximum(n, 1), np.nan)
    return out
