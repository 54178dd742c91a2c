"""Write the online-pruning experiment's metrics.csv, traces.csv, summary.json, figures and
report.md. Every setting in the report is read from the config, every number from the
results and their summary."""

from __future__ import annotations

import math
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from boltzprune.app.experiment import RunContext
from boltzprune.app.figures import md_label
from boltzprune.app.online.config import VARIANTS, OnlinePruningConfig
from boltzprune.app.online.figures import VARIANT_LABELS, plot_loglik, plot_schedule, plot_traces
from boltzprune.app.online.run import TOP_UNITS, SeedResult
from boltzprune.app.online.summary import (
    COMPARISONS,
    OnlineSummary,
    Paired,
    mean_trace,
    summarise,
)
from boltzprune.app.patches import PatchData
from boltzprune.app.tables import write_csv
from boltzprune.app.words import count, schedule_words
from boltzprune.app.workers import run_steps
from boltzprune.io import atomic_write_text, write_json
from boltzprune.pruning.online import event_steps

__all__ = ["write_report", "SWEEP_METRICS", "sweep_rows"]


def _traces(cfg: OnlinePruningConfig, results: list[SeedResult], per_epoch: int):
    """Mean traces over seeds: without pruning, and per criterion with pruning during
    learning; and per criterion the schedule of weights and units (online events from the
    full model at update 0 to the end of training, offline cuts to the end of the last
    retraining)."""
    base = mean_trace([r.trace for r in results])
    online, sched_on, sched_off = {}, {}, {}
    n0 = results[0].trained.n_weights if results else 0
    h0 = cfg.n_hidden
    for c in cfg.criteria:
        crs = [cr for r in results for cr in r.criteria if cr.criterion == c]
        online[c] = mean_trace([cr.online_trace for cr in crs])
        steps = [0] + [e["step"] for e in crs[0].events]
        if all([0] + [e["step"] for e in cr.events] == steps for cr in crs):
            sched_on[c] = {"step": np.asarray(steps + [cfg.online_epochs * per_epoch]),
                           **{f: np.mean([[first] + [e[f][0] for e in cr.events]
                                          + [cr.events[-1][f][0] if cr.events else first]
                                          for cr in crs], axis=0)
                              for f, first in (("weights", n0), ("hidden_units", h0))}}
        else:  # events skipped differently per seed: the probes' counts instead
            sched_on[c] = online[c]
        end = cfg.total_epochs * per_epoch
        cuts = [[{"step": 0, "weights": n0, "hidden_units": h0}, *cr.offline_cuts,
                 {**cr.offline_cuts[-1], "step": end}] for cr in crs]
        sched_off[c] = {f: np.mean([[p[f] for p in cu] for cu in cuts], axis=0)
                        for f in ("step", "weights", "hidden_units")}
    return base, online, sched_on, sched_off


def write_report(cfg: OnlinePruningConfig, data: PatchData, results: list[SeedResult],
                 ctx: RunContext, wall_seconds: float) -> Path:
    """Write metrics.csv, traces.csv, summary.json, figures/loglik.png,
    figures/schedule.png, figures/traces.png and report.md; returns the report's path."""
    run_dir = ctx.dir
    summary = summarise(cfg, results)
    per_epoch = math.ceil(len(data.x) / cfg.training.batch_size)
    base, online, sched_on, sched_off = _traces(cfg, results, per_epoch)
    seeds = count(len(results), "seed")
    final = cfg.final_weights(int(data.x.shape[1]))
    path = run_dir / "report.md"

    def tables() -> None:
        rows = [r.trained for r in results] + [row for r in results for cr in r.criteria
                                               for row in cr.rows]
        write_csv(run_dir / "metrics.csv", rows)
        trace_rows = [{"seed": r.seed, "criterion": "none", "pruning": "none", **asdict(p)}
                      for r in results for p in r.trace]
        trace_rows += [{"seed": r.seed, "criterion": cr.criterion, "pruning": "online",
                        **asdict(p)} for r in results for cr in r.criteria
                       for p in cr.online_trace]
        write_csv(run_dir / "traces.csv", trace_rows)
        write_json(run_dir / "summary.json", {**asdict(summary), "wall_seconds": wall_seconds})

    run_steps([
        ("metrics", tables),
        ("log-likelihood", lambda: plot_loglik(
            run_dir / "figures" / "loglik.png", summary.criteria, summary.trained, VARIANTS,
            f"Log-likelihood at {final:,} weights (mean ± sd over {seeds})")),
        ("schedule", lambda: plot_schedule(
            run_dir / "figures" / "schedule.png", sched_on, sched_off,
            f"Weights and hidden units left during training (mean over {seeds})")),
        ("traces", lambda: plot_traces(
            run_dir / "figures" / "traces.png", base, online, TOP_UNITS,
            f"Exact FIM during training (mean over {seeds})")),
        ("report.md", lambda: atomic_write_text(
            path, _text(cfg, data, results, summary, base, online, wall_seconds))),
    ], "online-pruning: report", ctx.progress)
    return path


def _pm(mean: float, sd: float, fmt: str, n: int) -> str:
    return f"{mean:{fmt}}" + (f" ± {sd:{fmt}}" if n > 1 else "")


def _interval(p: Paired, fmt: str) -> str:
    if p.low is None or p.high is None:
        return f"{p.mean:+{fmt}} (one seed: no interval)"
    return f"{p.mean:+{fmt}} (95 % interval {p.low:+{fmt}} to {p.high:+{fmt}})"


def _verdict_words(p: Paired) -> str:
    return {"higher": "higher at 95 %", "lower": "lower at 95 %",
            "no difference": "no difference at 95 %",
            "one seed": "cannot tell from one seed"}[p.verdict]


def _table(summary: OnlineSummary) -> str:
    n = summary.n_seeds
    head = ["criterion", "variant", "weights", "hidden units", "log-likelihood (nats)",
            "KL (nats)", "updates", "model samples", "wall s"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    t = summary.trained
    lines.append(f"| - | {VARIANT_LABELS['trained']} | {t.n_weights.mean:,.0f} | "
                 f"{_pm(t.n_hidden.mean, t.n_hidden.sd, '.1f', n)} | "
                 f"{_pm(t.log_likelihood.mean, t.log_likelihood.sd, '.4f', n)} | "
                 f"{_pm(t.kl.mean, t.kl.sd, '.4f', n)} | {t.updates.mean:,.0f} | "
                 f"{t.model_samples.mean:,.0f} | "
                 f"{_pm(t.seconds.mean, t.seconds.sd, '.1f', n)} |")
    for c in summary.criteria:
        for v in VARIANTS:
            s = c.variants[v]
            lines.append(
                f"| {md_label(c.criterion)} | {VARIANT_LABELS[v]} | "
                f"{_pm(s.n_weights.mean, s.n_weights.sd, ',.0f', n)} | "
                f"{_pm(s.n_hidden.mean, s.n_hidden.sd, '.1f', n)} | "
                f"{_pm(s.log_likelihood.mean, s.log_likelihood.sd, '.4f', n)} | "
                f"{_pm(s.kl.mean, s.kl.sd, '.4f', n)} | {s.updates.mean:,.0f} | "
                f"{s.model_samples.mean:,.0f} | "
                f"{_pm(s.seconds.mean, s.seconds.sd, '.1f', n)} |")
    return "\n".join(lines)


def _findings(summary: OnlineSummary) -> str:
    out = []
    t = summary.trained.log_likelihood.mean
    below = [(c.criterion, v) for c in summary.criteria for v in VARIANTS
             if c.variants[v].log_likelihood.mean > t]
    n_all = len(summary.criteria) * len(VARIANTS)
    if below:
        out.append(f"- The trained, unpruned model ({t:.4f} nats) is below {len(below)} of the "
                   f"{n_all} (criterion, variant) means at the final weight count: with this "
                   "training schedule the over-complete model has not converged, so the "
                   "comparisons below measure what each variant's budget of updates reaches.")
    for c in summary.criteria:
        ll = dict(zip(COMPARISONS, c.log_likelihood, strict=True))
        on_off = ll[("online", "offline")]
        v = c.variants
        upd = v["online"].updates.mean / v["offline"].updates.mean
        wall = v["online"].seconds.mean / v["offline"].seconds.mean
        drew = v["online"].model_samples.mean < v["offline"].model_samples.mean
        matches = on_off.verdict in ("no difference", "higher")
        out.append(
            f"- **{md_label(c.criterion)}**: pruning during learning against the offline "
            f"loop, log-likelihood {_interval(on_off, '.4f')} nats: "
            f"{_verdict_words(on_off)}; it used {upd:.2f} of the offline loop's updates, "
            f"{v['online'].model_samples.mean:,.0f} model samples against "
            f"{v['offline'].model_samples.mean:,.0f}, and {wall:.2f} of its wall time. It "
            f"matches the offline loop (no lower log-likelihood at 95 %) at lower cost (fewer "
            f"updates, samples and seconds): "
            f"**{'yes' if matches and upd < 1 and wall < 1 and drew else 'no'}**.")
        so, sn = ll[("scratch", "offline")], ll[("scratch", "online")]
        holds = so.verdict == "lower" and sn.verdict == "lower"
        rnd = ll[("random_mask", "offline")]
        out.append(
            f"  The final architecture trained from scratch for as many updates as the "
            f"offline loop: {_interval(so, '.4f')} against the offline loop "
            f"({_verdict_words(so)}), {_interval(sn, '.4f')} against pruning during learning "
            f"({_verdict_words(sn)}). Over-production is necessary (claim I: both lower): "
            f"**{'yes' if holds else 'no'}**. A random mask of the final size: "
            f"{_interval(rnd, '.4f')} against the offline loop ({_verdict_words(rnd)}).")
    return "\n".join(out)


def _trace_words(base: dict[str, np.ndarray], online: dict[str, dict[str, np.ndarray]]) -> str:
    """The traces' numbers at the start and the end of training, read from the arrays."""
    def at(tr: dict[str, np.ndarray], f: str, i: int) -> float:
        return float(tr[f][i])

    corr = base["running_corr"]
    valid = corr[~np.isnan(corr)]
    lines = [f"- Without pruning the running variance estimate correlated with the exact FI "
             f"diagonal at {valid.min():.3f} to {valid.max():.3f} over the probes "
             f"({at(base, 'running_corr', -1):.3f} at the end)." if len(valid) else
             "- Without pruning no probe had a running estimate yet.",
             f"- Without pruning the leading FIM eigenvalue went from "
             f"{at(base, 'eig1', 0):.4g} to {at(base, 'eig1', -1):.4g} and the FI share of the "
             f"top {TOP_UNITS} units from {at(base, 'top_share', 0):.3f} to "
             f"{at(base, 'top_share', -1):.3f}."]
    for c, tr in online.items():
        corr = tr["running_corr"][~np.isnan(tr["running_corr"])]
        lines.append(
            f"- {md_label(c)}, pruning during learning: eigenvalue {at(tr, 'eig1', 0):.4g} to "
            f"{at(tr, 'eig1', -1):.4g}, top-{TOP_UNITS} share {at(tr, 'top_share', 0):.3f} to "
            f"{at(tr, 'top_share', -1):.3f}"
            + (f", running-vs-exact correlation {corr.min():.3f} to {corr.max():.3f}"
               if len(corr) else "") + ".")
    return "\n".join(lines)


def _text(cfg: OnlinePruningConfig, data: PatchData, results: list[SeedResult],
          summary: OnlineSummary, base, online, wall_seconds: float) -> str:
    n_v = int(data.x.shape[1])
    n = int(data.x.shape[0])
    per_epoch = math.ceil(n / cfg.training.batch_size)
    events = event_steps(cfg.online_prune(cfg.criteria[0], 0.5), per_epoch, cfg.online_epochs)
    final = cfg.final_weights(n_v)
    st = data.stats
    minutes = wall_seconds / 60
    return f"""# Pruning during learning against the offline loop

13 x 70 RBM on binarised image patches, {count(len(results), "seed")}, criteria
{", ".join(md_label(c) for c in cfg.criteria)}. Every variant ends with {final:,} of the
{n_v * cfg.n_hidden:,} weights (the offline loop's count; variants that lose units lose
their weights too). Run time {minutes:.1f} min on {count(cfg.workers, "worker process",
"worker processes")}.

## Settings

- Data: {n:,} patches of {n_v} pixels (radius {cfg.radius:g}) from the scikit-image
  photographs (extraction seed {cfg.data_seed}); on-fraction {st["on_fraction"]:.3f},
  {st["n_distinct_patterns"]:,} distinct patterns.
- Model: RBM {n_v} x {cfg.n_hidden}, W ~ N(0, {cfg.weight_std:g}^2), hidden biases
  {cfg.hidden_bias:g}, visible biases the logit of each pixel's on-fraction. Trained with
  {schedule_words(cfg.training)}.
- {VARIANT_LABELS["offline"]}: {count(cfg.iterations, "cut")} of {cfg.fraction:.0%} of the
  remaining weights, each by the criterion on {cfg.sampling.n_samples:,} model samples
  ({cfg.sampling.method}), then retraining with the same schedule; in all
  {count(cfg.total_epochs, "epoch")} of training.
- {VARIANT_LABELS["online"]}: the same initial weights trained for
  {count(cfg.online_epochs, "epoch")} with the same schedule; after
  every {cfg.prune_every:,} updates of epochs 1 to {cfg.prune_end_epoch}
  ({count(len(events), "event")}) the criterion, computed from running averages (decay
  {cfg.decay:g}) of the {cfg.phase} phase's states, cuts weights down the cubic schedule
  of Zhu & Gupta (2017) to {final:,}.
- {VARIANT_LABELS["scratch"]}: the offline loop's final hidden units and mask, weights
  drawn afresh, trained for {count(cfg.total_epochs, "epoch")}.
- {VARIANT_LABELS["random_mask"]}: as many hidden units and {final:,} weights at random
  places, trained for {count(cfg.total_epochs, "epoch")}.
- Log-likelihoods are exact (enumeration of all 2^{n_v} patterns), mean log p(v) per
  training pattern. Cost: the parameter updates of all of a variant's training, the model
  samples its importance estimates drew, and its wall time, which leaves out the exact-FIM
  probes of the traces. The two pruning variants train on the PyTorch path (the pruner and
  the probes are training hooks, which run there), so their wall times compare; the
  from-scratch and random-mask variants train on the backend `{cfg.training.backend}`
  picks, {"the compiled loop at batch 1 on a CPU" if cfg.training.batch_size == 1 and
  cfg.device == "cpu" and cfg.training.backend != "torch" else "as configured"}.

## Results

{_table(summary)}

![Log-likelihood of every variant](figures/loglik.png)

## Findings

{_findings(summary)}

Differences are paired by seed (the same data and, for the two pruning variants, the same
initial weights); the interval is the 95 % t interval of the mean difference.

![Weights and hidden units during training](figures/schedule.png)

## Critical periods and the running estimate

The exact FIM of the model in training, every {cfg.trace_every:,} updates: the correlation
of the running variance estimate (eq. 4 from running averages) with the exact FI diagonal,
the leading eigenvalue, and the share of the weights' FI held by the {TOP_UNITS} hidden
units with the most.

{_trace_words(base, online)}

![Exact FIM during training](figures/traces.png)

Files: `metrics.csv` (one row per seed, criterion and variant), `traces.csv` (every probe),
`summary.json`, and under `seed<k>/` every model and record.
"""


SWEEP_METRICS = {"log_likelihood": "log-likelihood (nats)", "n_hidden": "hidden units left",
                 "n_weights": "weights left", "updates": "training updates"}


def sweep_rows(run_dir: Path, cfg: OnlinePruningConfig) -> list[dict[str, Any]]:
    """One row per (seed, criterion): the online variant's final metrics."""
    from boltzprune.app.tables import read_csv

    return [{"seed": int(r["seed"]), "criterion": r["criterion"],
             "log_likelihood": float(r["log_likelihood"]), "n_hidden": int(r["n_hidden"]),
             "n_weights": int(r["n_weights"]), "updates": int(r["updates"])}
            for r in read_csv(run_dir / "metrics.csv") if r["variant"] == "online"]
