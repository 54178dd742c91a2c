"""Write ``boltzprune prune``'s metrics.csv, summary.json, figures and report.md from its
typed summary (summary.py). Every setting in the report is read from the config, every
number from the data, the results and the summary."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from boltzprune.app.experiment import RunContext
from boltzprune.app.figures import label, md_label
from boltzprune.app.prune.config import DIGITS, PruneDataConfig
from boltzprune.app.prune.figures import plot_data_preparation, plot_quality, plot_units
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
from boltzprune.app.workers import run_steps
from boltzprune.io import atomic_write_text, write_json

__all__ = ["write_report"]


# The data-preparation figure, in the run's figures/ folder.
DATA_FIGURE = "fig_data_preparation.png"
DATA_EXAMPLES = 6  # example rows in it: the file's first rows




@dataclass(frozen=True, eq=False)
class RowPreparation:
    """What the run did to the data file's first rows, and every unit's on-fraction."""

    raw: np.ndarray  # (k, d_raw) the first k rows as read
    binary: np.ndarray  # (k, d) the run's rows for them
    on_fraction: np.ndarray  # (d,) share of all rows with the unit on
    shape: tuple[int, int] | None  # (h, w): the rows as images (the file's, or a square)
    raw_shape: tuple[int, int] | None  # (h, w) of the rows as read, when images
    crop: int | None  # pixels cut off each side of the rows as read (the "digits")


def data_preparation(cfg: PruneDataConfig, data: PruneData) -> RowPreparation:
    """The first rows re-read as ``load_data`` reads them, before binarising
    (``boltzprune.data.arrays.read_raw_array``, or for the digits
    ``boltzprune.data.mnist.load_raw_digits``), and binarised with the run's threshold;
    they are checked to be the run's rows."""
    a = data.array
    k = min(DATA_EXAMPLES, len(a.x))
    crop = raw_shape = None
    if cfg.data == DIGITS:
        from boltzprune.data.mnist import crop_and_binarize, load_raw_digits

        r = load_raw_digits("bundled")
        raw = np.concatenate([r.x_train, r.x_test])[:k].reshape(k, -1)
        crop = (28 - (a.image_shape or (20, 20))[0]) // 2
        raw_shape = (28, 28)
        binary = crop_and_binarize(raw, crop=crop, threshold=a.threshold)[0]
    else:
        from boltzprune.data.arrays import binarize_array, read_raw_array

        raw = np.asarray(read_raw_array(cfg.data, max_rows=max(k, 2)).values[:k])
        binary = binarize_array(raw, a.threshold)
    assert np.array_equal(binary, a.x[:k]), "the data-preparation figure's rows are not the run's"
    d = a.x.shape[1]
    side = math.isqrt(d)
    shape = a.image_shape or ((side, side) if side * side == d else None)
    if shape is not None and raw_shape is None:
        raw_shape = a.image_shape or shape
    return RowPreparation(raw, binary, a.x.mean(axis=0, dtype=np.float64), shape, raw_shape,
                          crop)


def data_figure_text(cfg: PruneDataConfig, data: PruneData, prep: RowPreparation) -> str:
    """The data-preparation figure's link and caption, its numbers read from the rows."""
    a = data.array
    k = len(prep.binary)
    lo, hi = float(prep.raw.min()), float(prep.raw.max())
    if a.threshold is None:
        how = "already 0/1, kept as they are"
    elif cfg.data == DIGITS:
        how = f"binarised at {a.threshold:.1f} of 255 (the training digits' mean intensity)"
    else:
        how = (f"binarised at {a.threshold:.4g} (a value is 1 above it; binarize = "
               f"{cfg.binarize!r})")
    if prep.crop is not None and prep.raw_shape is not None and prep.shape is not None:
        how = (f"cropped from {prep.raw_shape[0]} x {prep.raw_shape[1]} to the central "
               f"{prep.shape[0]} x {prep.shape[1]} (red box) and {how}")
    shown = (f"as {prep.shape[0]} x {prep.shape[1]} images" if prep.shape is not None
             else "as rows x units")
    on = prep.on_fraction
    return (f"![Data preparation](figures/{DATA_FIGURE})\n\n"
            f"Data preparation, from this run's data: the first {k} rows of {a.source} "
            f"{shown}, as read (values {lo:.4g} to {hi:.4g}) and {how}; these rows' "
            f"on-fraction {float(prep.binary.mean()):.3f}. Per unit over all "
            f"{len(a.x):,} rows the on-fraction ranges from {on.min():.3f} to {on.max():.3f} "
            f"(mean {on.mean():.3f}); {count(int((on == 0).sum()), 'unit')} never on, "
            f"{int((on == 1).sum())} always on.\n")


def write_report(cfg: PruneDataConfig, data: PruneData, results: list[SeedResult],
                 ctx: RunContext, wall_seconds: float) -> Path:
    """Write metrics.csv, summary.json, figures/fig_data_preparation.png,
    figures/units.png, figures/quality.png and report.md, under a progress bar when
    ``ctx.progress``; returns the report's path."""
    run_dir = ctx.dir
    summary = summarise(cfg, results)
    what, higher = MEASURES[summary.measure].label, MEASURES[summary.measure].higher_better
    seeds = count(len(results), "seed")
    prep = data_preparation(cfg, data)
    path = run_dir / "report.md"

    def tables() -> None:
        write_csv(run_dir / "metrics.csv", [row for r in results for row in r.rows])
        write_json(run_dir / "summary.json", {**asdict(summary), "wall_seconds": wall_seconds})

    def data_figure() -> None:
        plot_data_preparation(run_dir / "figures" / DATA_FIGURE, prep.raw, prep.binary,
                              prep.on_fraction, prep.shape, prep.raw_shape, prep.crop,
                              f"Data preparation ({Path(data.array.source).name})")

    run_steps([("metrics", tables), ("data preparation", data_figure),
               ("units", lambda: plot_units(
                   run_dir / "figures" / "units.png", summary.criteria, cfg.criteria,
                   f"Hidden units left against weights left (mean ± sd over {seeds})")),
               ("quality", lambda: plot_quality(
                   run_dir / "figures" / "quality.png", summary.criteria, cfg.criteria, what,
                   higher, summary.raw_error, f"After every round (mean ± sd over {seeds})")),
               ("report.md", lambda: atomic_write_text(
                   path, _text(cfg, data, results, summary, wall_seconds, prep)))],
              "prune: report", ctx.progress)
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


def _ais_words(cfg: PruneDataConfig) -> str:
    a = cfg.likelihood
    return (f"by annealed importance sampling ({a.n_runs} forward runs over {a.n_betas:,} "
            "inverse temperatures; docs/likelihood.md)")


def _measure_line(cfg: PruneDataConfig, data: PruneData, measure: str) -> str:
    what = MEASURES[measure].label
    why = {"log_likelihood": f"exact by enumeration, as the RBM's smaller layer has at most "
                             f"{EXACT_MAX_UNITS} units",
           "ais_log_likelihood": f"as both of the RBM's layers have more than "
                                 f"{EXACT_MAX_UNITS} units (exact enumeration up to that), "
                                 f"with log Z {_ais_words(cfg)} and RAISE from "
                                 f"{cfg.likelihood.n_reverse} test patterns; the tables give "
                                 "the interval's middle, metrics.csv its ends "
                                 "(quality_low, quality_high)",
           "ais_bound": f"the mean-field lower bound on log p(v) (up to "
                        f"{cfg.joint.mean_field.max_iter} updates) with log Z {_ais_words(cfg)} "
                        f"and reverse AIS from {cfg.likelihood.n_reverse} Gibbs samples of the "
                        "model; the tables give the interval's middle, metrics.csv its ends "
                        "(quality_low, quality_high)"}[measure]
    line = f"- Quality: the {what}, {why}."
    if data.has_labels:
        line += (f" Readout: multinomial logistic regression (C = {READOUT_C:g}, "
                 f"{READOUT_MAX_ITER} lbfgs iterations) on the deepest layer's "
                 f"{'p(h | v)' if cfg.model == 'rbm' else 'mean-field marginals'} of the "
                 "training patterns, its error on the test patterns, against the same "
                 "readout of the raw patterns.")
    return line


def _text(cfg: PruneDataConfig, data: PruneData, results: list[SeedResult],
          summary: PruneSummary, wall: float, prep: RowPreparation | None = None) -> str:
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

{data_figure_text(cfg, data, prep) if prep is not None else ""}
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
