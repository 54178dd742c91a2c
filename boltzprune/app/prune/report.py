"""Write ``boltzprune prune``'s metrics.csv, summary.json, figures and report.md from its
typed summary (summary.py). Every setting in the report is read from the config, every
number from the data, the results and the summary."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from boltzprune.app.experiment import RunContext
from boltzprune.app.figures import label, md_label
from boltzprune.app.prune.config import DIGITS, PruneDataConfig
from boltzprune.app.prune.figures import plot_quality, plot_units
from boltzprune.app.prune.run import (
    EXACT_MAX_UNITS,
    MEASURES,
    READOUT_C,
    READOUT_MAX_ITER,
    PruneData,
    SeedResult,
    quality_measure,
)
from boltzprune.app.prune.summary import BASE, FI, CriterionSummary, PruneSummary, summarise
from boltzprune.app.tables import write_csv
from boltzprune.app.words import count, schedule_words
from boltzprune.io import atomic_write_text, write_json

__all__ = ["write_report"]


def write_report(cfg: PruneDataConfig, data: PruneData, results: list[SeedResult],
                 ctx: RunContext, wall_seconds: float) -> Path:
    """Write metrics.csv, summary.json, figures/units.png, figures/quality.png and
    report.md; returns the report's path."""
    run_dir = ctx.dir
    write_csv(run_dir / "metrics.csv", [row for r in results for row in r.rows])
    summary = summarise(cfg, results)
    what, higher = MEASURES[summary.measure].label, MEASURES[summary.measure].higher_better
    seeds = count(len(results), "seed")
    plot_units(run_dir / "figures" / "units.png", summary.criteria, cfg.criteria,
               f"Hidden units left against weights left (mean ± sd over {seeds})")
    plot_quality(run_dir / "figures" / "quality.png", summary.criteria, cfg.criteria, what,
                 higher, summary.raw_error, f"After every round (mean ± sd over {seeds})")
    write_json(run_dir / "summary.json", {**asdict(summary), "wall_seconds": wall_seconds})
    path = run_dir / "report.md"
    atomic_write_text(path, _text(cfg, data, results, summary, wall_seconds))
    return path


def _pm(mean: float, sd: float, fmt: str, n_seeds: int) -> str:
    return f"{mean:{fmt}}" + (f" ± {sd:{fmt}}" if n_seeds > 1 else "")


def _data_lines(cfg: PruneDataConfig, data: PruneData) -> str:
    a, d = data.array, data.describe()
    shape = f" ({a.image_shape[0]} x {a.image_shape[1]} images)" if a.image_shape else ""
    if cfg.data == DIGITS:
        binar = (f"cropped to the central {a.image_shape[0]} x {a.image_shape[1]} pixels and "
                 f"binarised at the mean intensity of the training digits "
                 f"({a.threshold:.1f} of 255)")
    elif a.threshold is None:
        binar = "already 0/1, kept as they are"
    else:
        binar = f"binarised: 1 above {a.threshold:.4g} (binarize = {cfg.binarize!r})"
    rows = f"the first {d['n_rows']:,}" if cfg.max_rows is not None else f"{d['n_rows']:,}"
    labels = (f"{d['n_classes']} classes" if data.has_labels
              else "none (no readout)")
    return (f"- Data: {a.source}: {rows} patterns of {d['n_units']} units{shape}, {binar}; "
            f"on-fraction {d['on_fraction']:.3f}. A permutation seeded with {cfg.data_seed} "
            f"holds out {d['n_test']:,} for testing ({cfg.test_fraction:.0%}) and leaves "
            f"{d['n_train']:,} for training. Labels: {labels}.")


def _model_lines(cfg: PruneDataConfig, data: PruneData) -> str:
    sizes = " x ".join(str(n) for n in (data.n_units, *cfg.hidden_sizes))
    init = f"W ~ N(0, {cfg.weight_std:g}^2), hidden biases {cfg.hidden_bias:g}"
    if cfg.model == "rbm":
        return (f"- Model: RBM {sizes} ({init}, visible biases the logit of each unit's "
                f"on-fraction), trained with {schedule_words(cfg.training)}.")
    return (f"- Model: DBM {sizes}, every layer pair fully connected ({init}, visible biases "
            "-1). Greedy pretraining of each RBM with weight doubling "
            f"({schedule_words(cfg.pretraining)}), stacked by averaging biases, then joint "
            f"training ({schedule_words(cfg.joint)}).")


def _table(cfg: PruneDataConfig, summary: PruneSummary, n: int) -> str:
    labels = summary.raw_error is not None
    multi = len(cfg.hidden_sizes) > 1
    fmt = MEASURES[summary.measure].fmt
    head = ["criterion", "weights left" + (" (per matrix)" if multi else ""),
            "hidden units left" + (" (per layer)" if multi else ""),
            "visible units disconnected", MEASURES[summary.measure].label]
    head += ["readout error"] if labels else []
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]

    def row(name: str, a: CriterionSummary, k: int) -> str:
        w = f"{a.weights_mean[k]:,.0f}"
        if multi:
            w += " (" + " / ".join(f"{m[k]:,.0f}" for m in a.matrix_weights_mean) + ")"
        h = " / ".join(_pm(m[k], s[k], ".1f", n)
                       for m, s in zip(a.hidden_mean, a.hidden_sd, strict=True))
        cells = [name, w, h, _pm(a.dead_mean[k], a.dead_sd[k], ".1f", n),
                 _pm(a.quality_mean[k], a.quality_sd[k], fmt, n)]
        if labels and a.error_mean is not None and a.error_sd is not None:
            cells.append(_pm(a.error_mean[k], a.error_sd[k], ".3f", n))
        return "| " + " | ".join(cells) + " |"

    crit = summary.criteria
    lines.append(row("unpruned", next(iter(crit.values())), 0))
    lines += [row(md_label(c), a, -1) for c, a in crit.items()]
    return "\n".join(lines)


def _findings(cfg: PruneDataConfig, summary: PruneSummary) -> str:
    yes = {True: "**yes**", False: "**no**"}
    checks = summary.checks
    m = MEASURES[summary.measure]
    what, higher = m.label, m.higher_better
    q, u = checks.final_quality, checks.final_units
    best, worst = checks.ranked_by_quality[0], checks.ranked_by_quality[-1]
    most, fewest = checks.ranked_by_units_left[0], checks.ranked_by_units_left[-1]
    out = [f"- Best {what} after the last round: {label(best)} ({q[best]:{m.fmt}}); worst: "
           f"{label(worst)} ({q[worst]:{m.fmt}}) ({'higher' if higher else 'lower'} is better).",
           f"- Fewest hidden units left: {label(most)} ({u[most]:.1f}); most: "
           f"{label(fewest)} ({u[fewest]:.1f})."]
    if checks.fi_removes_more_units is not None:
        fi = ", ".join(label(c) for c in FI if c in summary.criteria)
        bl = ", ".join(label(c) for c in BASE if c in summary.criteria)
        out.append(f"- The FI criteria ({fi}) leave fewer hidden units than {bl} (the "
                   f"paper's finding): {yes[checks.fi_removes_more_units]}.")
    if checks.anti_fi_worst_quality is not None:
        out.append(f"- Anti-FI (pruning the most important weights first) gives the worst "
                   f"{what}: {yes[checks.anti_fi_worst_quality]}.")
    if (checks.encoding_beats_raw is not None and checks.unpruned_readout_error is not None
            and summary.raw_error is not None):
        out.append(f"- The unpruned model's encoding reads out at least as well as the raw "
                   "patterns: "
                   f"{yes[checks.encoding_beats_raw]} "
                   f"({checks.unpruned_readout_error:.3f} against "
                   f"{summary.raw_error:.3f}).")
    return "\n".join(out)


def _measure_line(cfg: PruneDataConfig, data: PruneData, measure: str) -> str:
    what = MEASURES[measure].label
    why = {"log_likelihood": f"exact by enumeration, as the RBM's smaller layer has at most "
                             f"{EXACT_MAX_UNITS} units",
           "pseudo_log_likelihood": f"sum over units of log p(v_i | v_-i), as both of the "
                                    f"RBM's layers have more than {EXACT_MAX_UNITS} units "
                                    "(exact enumeration up to that)",
           "reconstruction_error": "mean over patterns and units of (v - p(v | mu_1))^2, with "
                                   "mu the mean-field marginals given v "
                                   f"(up to {cfg.joint.mean_field.max_iter} updates)"}[measure]
    line = f"- Quality: the {what}, {why}."
    if data.has_labels:
        line += (f" Readout: multinomial logistic regression (C = {READOUT_C:g}, "
                 f"{READOUT_MAX_ITER} lbfgs iterations) on the deepest layer's "
                 f"{'p(h | v)' if cfg.model == 'rbm' else 'mean-field marginals'} of the "
                 "training patterns, its error on the test patterns, against the same "
                 "readout of the raw patterns.")
    return line


def _text(cfg: PruneDataConfig, data: PruneData, results: list[SeedResult],
          summary: PruneSummary, wall: float) -> str:
    n = len(results)
    seeds = f"{count(n, 'seed')} ({', '.join(str(r.seed) for r in results)})"
    sm, K = cfg.sampling, cfg.iterations
    measure = quality_measure(cfg, data.n_units)
    crits = ", ".join(label(c) for c in cfg.criteria)
    zero = (" (and every weight of exactly zero importance when they are more, paper 2.4)"
            if cfg.model == "dbm" else "")
    units = ("hidden units left without weights" if cfg.model == "rbm" else
             "hidden units cut off from the layer below or above")
    starts = "training patterns" if sm.init == "data" else "random states"
    return f"""# boltzprune: pruning {cfg.model.upper()}s on {data.array.source}

Wall time {wall:.0f} s for {seeds} with {cfg.workers} worker \
process{'' if cfg.workers == 1 else 'es'}. Resolved configuration: `config.json`; the \
data: `data.json`; every round's metrics: `metrics.csv`; aggregates: `summary.json`; \
checkpoints: `seed<k>/` (the trained model, the shared samples, and per criterion \
`iter<k>_pruned` and `iter<k>_retrained`).

The procedure of Scholl, Rule & Hennig (2020): train, estimate each weight's importance from \
model samples, cut the least important, remove disconnected hidden units, retrain; repeat.

## Set-up

{_data_lines(cfg, data)}
{_model_lines(cfg, data)}
- Pruning: {K} round{'' if K == 1 else 's'}, each cutting {cfg.fraction:.0%} of every \
weight matrix's remaining weights, least important first{zero}, by each of {crits}; then \
removing {units} and retraining ({schedule_words(cfg.retrain)}). Importance from \
{sm.n_samples:,} joint model samples ({sm.n_chains} chains started at {starts}, burn-in \
{sm.burn_in}, every {sm.thin} sweeps); per seed all criteria share the first estimate.
{_measure_line(cfg, data, measure)}

## Results after {K} round{'' if K == 1 else 's'} (mean{' ± sd' if n > 1 else ''} over {seeds})

{_table(cfg, summary, n)}

{_findings(cfg, summary)}

![Hidden units left against weights left](figures/units.png)

![Quality after every round](figures/quality.png)
"""


# Final-round metrics a sweep summary aggregates (name -> label; the first two are plotted).
SWEEP_METRICS = {"quality": "test quality (see the runs' measure)",
                   "units_left": "hidden units left", "weights_left": "weights left",
                   "visible_cut_off": "visible units cut off",
                   "encoding_error": "readout error"}


def sweep_rows(run_dir: Path, cfg: PruneDataConfig) -> list[dict[str, Any]]:
    """One row per (seed, criterion): the metrics after the last round (readout error NaN
    without labels)."""
    from boltzprune.app.tables import final_round_rows

    return [{"seed": int(r["seed"]), "criterion": r["criterion"], "measure": r["measure"],
             "quality": float(r["quality"]),
             "units_left": int(r["n_hidden_total"]),
             "weights_left": int(r["n_weights_total"]),
             "visible_cut_off": int(r["n_dead_visible"]),
             "encoding_error": float(r["encoding_error"] or "nan")}
            for r in final_round_rows(run_dir, cfg.iterations)]
