"""Aggregate the RBM experiment over seeds and write metrics, Table 1, figures and report.md.

The report reads every setting it states from the typed config (``RBMPatchesConfig``) and
every number from the typed results (``SeedResult``); the paper's numbers come from
``reference.py`` (DESIGN.md section 6).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from boltzprune.app.experiment import RunContext
from boltzprune.app.figures import label, md_label
from boltzprune.app.rbm_patches.config import SCHEDULES, RBMPatchesConfig
from boltzprune.app.rbm_patches.figures import plot_fim, plot_rank_frequency, plot_stage_curves
from boltzprune.app.rbm_patches.reference import (
    PAPER_FIM_EIGENVALUES,
    PAPER_TABLE1,
    PAPER_WEIGHTS,
)
from boltzprune.app.rbm_patches.run import PatchData, SeedResult
from boltzprune.app.rbm_patches.summary import (
    BASELINES,
    FI_CRITERIA,
    PatternChecks,
    RBMPatchesSummary,
    ScheduleSummary,
    summarise,
)
from boltzprune.app.tables import write_csv
from boltzprune.app.words import count, schedule_words
from boltzprune.io import atomic_write_text, load_checkpoint, write_json

__all__ = ["Table1Row", "write_report"]

# How the paper drew its Fisher-information samples (paper 2.2: a sample every 200 Gibbs
# steps, as many samples as training patterns).
PAPER_THIN = 200
# What the named schedules in SCHEDULES are, when a config uses them unchanged.
SCHEDULE_KINDS = {"paper": "the paper's stated schedule",
                  "authors_code": "the authors' code's effective schedule"}
PAPER_EIGS = ", ".join(map(str, PAPER_FIM_EIGENVALUES))
# What each data source is (boltzprune.data.patches).
DATA_SOURCE_TEXT = {
    "tiles": "the authors' CIFAR-10 preparation (CIFAR-sized colour tiles, RGB summed, "
             "binarised at the global median, a grid of non-overlapping circles per tile) "
             "applied to the photographs scikit-image ships",
    "photos": "the photographs scikit-image ships at full resolution, grey, each binarised "
              "at its own median, circles at uniformly random positions (the paper's text, "
              "4.1)",
    "cifar": "CIFAR-10 images through the authors' preparation (RGB summed, binarised at the "
             "global median, a grid of non-overlapping circles per image)",
}


@dataclass(frozen=True)
class Table1Row:
    """One cell of Table 1 (table1_<schedule>.csv)."""

    criterion: str
    n_weights: int
    units_mean: float
    units_sd: float
    paper: int | None  # the paper's count for this cell (None: the columns differ)



# --------------------------------------------------------------------------- words


def _schedule_title(label: str, cfg: RBMPatchesConfig) -> str:
    """What a schedule is: one of SCHEDULES unchanged ("the paper's stated schedule (...)"),
    or a custom one, with its settings in the parenthesis either way."""
    t = cfg.training[label]
    kind = (SCHEDULE_KINDS.get(label, f"the `{label}` schedule")
            if SCHEDULES.get(label) == t else "a custom schedule")
    return f"{kind} ({schedule_words(t)})"


def _paper_columns(weights: tuple[int, ...]) -> int:
    """How many leading Table 1 columns match the paper's (same remaining weights)."""
    n = 0
    while n < min(len(weights), len(PAPER_WEIGHTS)) and weights[n] == PAPER_WEIGHTS[n]:
        n += 1
    return n


def _comparable(s: ScheduleSummary) -> bool:
    """Whether the trained model has the paper's size, so that its FIM eigenvalues and
    Table 1 compare with the paper's."""
    return _paper_columns(next(iter(s.criteria.values())).weights) > 0


def _table1_distance(s: ScheduleSummary) -> tuple[float, int] | None:
    """Mean |our units - the paper's| over the Table 1 cells that compare, and their count."""
    cells = []
    for c, v in s.criteria.items():
        if c in PAPER_TABLE1:
            cells += [abs(v.units_mean[k] - PAPER_TABLE1[c][k])
                      for k in range(_paper_columns(v.weights))]
    return (float(np.mean(cells)), len(cells)) if cells else None


def _fmt_eigs(m: tuple[float, ...], sd: tuple[float, ...]) -> str:
    return ", ".join(f"{a:.2f} ± {b:.2f}" for a, b in zip(m, sd, strict=True))


# --------------------------------------------------------------------------- tables


def _table1(s: ScheduleSummary) -> tuple[str, list[Table1Row]]:
    weights = next(iter(s.criteria.values())).weights
    n_paper = _paper_columns(weights)
    head = "| criterion | " + " | ".join(f"{w} w" for w in weights) + " |"
    lines = [head, "|---" * (len(weights) + 1) + "|"]
    rows = []
    for c, v in s.criteria.items():
        cells = []
        for k, w in enumerate(weights):
            paper = PAPER_TABLE1[c][k] if c in PAPER_TABLE1 and k < n_paper else None
            m, sd = v.units_mean[k], v.units_sd[k]
            cells.append(f"{m:.1f} ± {sd:.1f}" + ("" if paper is None else f" ({paper})"))
            rows.append(Table1Row(c, w, m, sd, paper))
        lines.append(f"| {md_label(c)} | " + " | ".join(cells) + " |")
    return "\n".join(lines), rows


def _stage_table(s: ScheduleSummary, key: str) -> str:
    """A criterion x iteration table of one quantity's mean ± sd (key: "ll_drop", ...)."""
    first = next(iter(s.criteria.values()))
    K = len(getattr(first, f"{key}_mean"))
    start = 1 if key == "ll_drop" else 0
    hdr = "| criterion | " + " | ".join(f"iter {k + start}" for k in range(K)) + " |"
    lines = [hdr, "|---" * (K + 1) + "|"]
    for c, v in s.criteria.items():
        m, sd = getattr(v, f"{key}_mean"), getattr(v, f"{key}_sd")
        cells = [f"{m[k]:.3f} ± {sd[k]:.3f}" for k in range(K)]
        lines.append(f"| {md_label(c)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


# --------------------------------------------------------------------------- entry point


def write_report(cfg: RBMPatchesConfig, data: PatchData, results: list[SeedResult],
                 ctx: RunContext, wall_seconds: float) -> Path:
    """Write metrics.csv, summary.json, table1_<schedule>.csv, figures/ and report.md into
    ctx.dir; returns report.md's path. Figures 1 and 2 show the first seed and read its
    fim.safetensors and rank_frequency.safetensors from <schedule>/seed<k>/."""
    run_dir = ctx.dir
    write_csv(run_dir / "metrics.csv", [row for r in results for row in r.rows])
    summary = summarise(cfg, results)
    write_json(run_dir / "summary.json", {**asdict(summary), "wall_seconds": wall_seconds})
    fig_dir = run_dir / "figures"
    first = cfg.seeds[0]
    sections = []
    for schedule in cfg.schedules:
        s = summary.schedules[schedule]
        seed_dir = run_dir / schedule / f"seed{first}"
        fim, meta = load_checkpoint(seed_dir / "fim.safetensors")
        r0 = next(r for r in results if r.schedule == schedule and r.seed == first)
        title = f"{schedule}: {_schedule_title(schedule, cfg)}, seed {first}"
        plot_fim(fig_dir / f"fig1_fim_{schedule}.png", fim["fim_sampled"].double().numpy(),
                 fim["eigvec_sampled"].double().numpy(), r0.fim.eigenvalues_sampled,
                 r0.fim.eigenvalues_exact, meta["n_visible"], meta["n_hidden"],
                 f"Figure 1 ({title})", PAPER_FIM_EIGENVALUES if _comparable(s) else ())
        ranks, _ = load_checkpoint(seed_dir / "rank_frequency.safetensors")
        plot_rank_frequency(fig_dir / f"fig2_rank_frequency_{schedule}.png",
                            {k: v.double().numpy() for k, v in ranks.items()}, cfg.criteria,
                            cfg.iterations, f"Figure 2 ({title})")
        plot_stage_curves(fig_dir / f"units_loglik_{schedule}.png", s.criteria, cfg.criteria,
                          f"{schedule}: mean ± sd over {count(len(s.seeds), 'seed')}")
        t1, t1_rows = _table1(s)
        write_csv(run_dir / f"table1_{schedule}.csv", t1_rows)
        sections.append(_schedule_section(cfg, s, summary.checks[schedule], t1))
    path = run_dir / "report.md"
    atomic_write_text(path, _report_text(cfg, data, summary, sections, wall_seconds,
                                         len(results)))
    return path


# --------------------------------------------------------------------------- report.md


def _labels(criteria: tuple[str, ...], last: str = "and") -> str:
    """'variance FI, heuristic FI and first eigenvector'."""
    names = [label(c) for c in criteria]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} {last} {names[-1]}"


def _schedule_section(cfg: RBMPatchesConfig, s: ScheduleSummary, chk: PatternChecks,
                      t1: str) -> str:
    f = s.fim
    schedule = s.schedule
    comparable = _comparable(s)
    n_paper = _paper_columns(next(iter(s.criteria.values())).weights)
    if not n_paper:
        paper_note = ("; the paper's columns are other weight counts, "
                      f"{', '.join(map(str, PAPER_WEIGHTS))}")
    else:
        paper_note = "; the paper's in brackets" if set(s.criteria) & set(PAPER_TABLE1) else ""
    final = ", ".join(f"{label(c)} {u:.1f}" for c, u in chk.final_units_mean.items())
    verdict = {True: "**yes**", False: "**no**"}
    if chk.fi_fewer_units_than_baselines is None:
        fewer = ("FI criteria against |w| and random: not tested (needs at least one of "
                 f"{', '.join(FI_CRITERIA)} and one of {', '.join(BASELINES)}).")
    else:
        fewer = (f"FI criteria ({_labels(chk.fi_criteria)}) leave fewer units than "
                 f"{_labels(chk.baselines)}: {verdict[chk.fi_fewer_units_than_baselines]}.")
    worst = ", ".join(label(c) for c in chk.worst_drop_per_iteration)
    anti = ("anti-FI not run" if chk.anti_fi_worst_drop is None
            else f"anti-FI {verdict[chk.anti_fi_worst_drop]}")
    paper_eigs = f"; the paper: {PAPER_EIGS}" if comparable else ""
    return f"""## Schedule `{schedule}`: {_schedule_title(schedule, cfg)}

### Table 1: hidden units left (mean ± sd over {count(len(s.seeds), 'seed')}{paper_note})

{t1}

Hidden units left after the last cut: {final}.
{fewer}

### Fisher information of the trained RBM

Leading eigenvalues (mean ± sd over seeds) of the FIM from {f.n_samples:,} model samples:
{_fmt_eigs(f.sampled_mean, f.sampled_sd)}; of the exact FIM (enumerating all visible
states): {_fmt_eigs(f.exact_mean, f.exact_sd)}{paper_eigs}.
Mean relative L1 error of the sampled FIM diagonal against the exact one:
{f.diag_rel_err_mean:.3f}.

![Figure 1](figures/fig1_fim_{schedule}.png)

### Exact log-likelihood per pattern (nats)

Change caused by each cut (right after pruning minus before it); more negative = more damage.
Largest damage per iteration: {worst}.
Largest mean damage: {anti} (worst: {label(chk.worst_mean_drop)}).

{_stage_table(s, 'll_drop')}

Right after pruning (iteration 0 = trained, unpruned):

{_stage_table(s, 'll_pruned')}

After retraining:

{_stage_table(s, 'll_retrained')}

KL(data || model) after retraining:

{_stage_table(s, 'kl_retrained')}

![Units and likelihood](figures/units_loglik_{schedule}.png)

![Figure 2](figures/fig2_rank_frequency_{schedule}.png)
"""


def _schedule_differences(cfg: RBMPatchesConfig, summary: RBMPatchesSummary) -> str:
    """The training-schedule bullet: measured facts per schedule, and which lies closest to
    the paper."""
    per = []
    dist: dict[str, float] = {}
    eig_gap: dict[str, float] = {}
    for schedule, s in summary.schedules.items():
        f, crit = s.fim, s.criteria
        comparable = _comparable(s)
        n_paper = _paper_columns(next(iter(crit.values())).weights)
        units = ", ".join(
            f"{label(c)} {v.units_mean[-1]:.1f}"
            + (f" (paper {PAPER_TABLE1[c][len(v.units_mean) - 1]})"
               if c in PAPER_TABLE1 and len(v.units_mean) <= n_paper else "")
            for c, v in crit.items())
        d = _table1_distance(s)
        text = ""
        if d is not None:
            dist[schedule] = d[0]
            text = (f"mean |difference| from the paper's Table 1 over {d[1]} cells "
                    f"{d[0]:.1f} units; ")
        paper_eigs = ""
        if comparable:
            eig_gap[schedule] = abs(np.log(f.exact_mean[0] / PAPER_FIM_EIGENVALUES[0]))
            paper_eigs = f" (paper {PAPER_EIGS})"
        per.append(f"  - `{schedule}`, {_schedule_title(schedule, cfg)}: {text}leading exact "
                   f"FIM eigenvalues {_fmt_eigs(f.exact_mean, f.exact_sd)}{paper_eigs}; mean "
                   f"|w| after training {s.mean_abs_w:.2f}; the 10 hidden units with the most "
                   f"weight FI hold {f.top10_unit_share_mean:.0%} of it; units left after the "
                   f"last cut: {units}.")
    if len(summary.schedules) == 1:
        return "- **Training schedule.**\n" + "\n".join(per)
    by_table = min(dist, key=dist.__getitem__) if len(dist) > 1 else None
    by_eig = min(eig_gap, key=eig_gap.__getitem__) if len(eig_gap) > 1 else None
    if by_table and by_table == by_eig:
        reading = (f"`{by_table}` lies closest to the paper in both Table 1 and the leading "
                   "FIM eigenvalue; we read it as the schedule the paper's numbers came from. ")
    elif by_table or by_eig:
        reading = " and ".join(
            [f"Table 1 lies closest to the paper's under `{by_table}`"] * bool(by_table)
            + [f"the leading FIM eigenvalue under `{by_eig}`"] * bool(by_eig)) + ". "
    else:
        reading = ""
    return ("- **The training schedule decides the result.** The schedules train different "
            "models:\n" + "\n".join(per)
            + f"\n\n  {reading}The qualitative pattern (FI criteria disconnect more units "
              "than |w| and random; anti-FI damages most) is checked for each schedule in its "
              "section.")


def _differences(cfg: RBMPatchesConfig, data: PatchData, summary: RBMPatchesSummary) -> str:
    """Where our set-up and numbers differ from the paper's, with the measured facts."""
    out = [_schedule_differences(cfg, summary)]
    if cfg.data_source == "cifar":
        out.append(f"- **Data.** CIFAR-10 patches as in the paper (`{cfg.data_source}`, from "
                   f"`{cfg.cifar_dir}`).")
    else:
        out.append("- **Data.** The paper used CIFAR-10 patches; no package ships CIFAR-10, "
                   f"so this run (`{cfg.data_source}`) used "
                   f"{DATA_SOURCE_TEXT[cfg.data_source]}; run `--data cifar --cifar-dir DIR` "
                   "on the real batches to compare.")
    n_seeds = len(cfg.seeds)
    if n_seeds == 1:
        out.append("- **Seeds.** The paper's Table 1 is one run, and so is this report's "
                   "(1 seed; the sds shown are 0).")
    else:
        sds = [sd for s in summary.schedules.values() for v in s.criteria.values()
               for sd in v.units_sd[1:]]
        out.append("- **Seeds.** The paper's Table 1 is one run; we report mean ± sd over "
                   f"{count(n_seeds, 'seed')}. Over the pruned Table 1 cells the sd of the units "
                   f"left is {np.mean(sds):.1f} on average and up to {np.max(sds):.1f}, so "
                   "single runs differ by about that much.")
    sm, n_patterns = cfg.sampling, data.stats["n_patches"]
    gaps = []
    if sm.method == "exact":
        gaps.append("drawn exactly (enumerating all visible patterns) instead of by Gibbs "
                    f"sampling with a sample every {PAPER_THIN} steps")
    elif sm.thin != PAPER_THIN:
        gaps.append(f"one every {sm.thin} Gibbs sweeps instead of every {PAPER_THIN}")
    if sm.n_samples != n_patterns:
        gaps.append(f"{sm.n_samples:,} per cut instead of one per training pattern "
                    f"({n_patterns:,}; `--fi-samples {n_patterns}`)")
    if gaps:
        gaps[0] = gaps[0][0].upper() + gaps[0][1:]
        out.append("- **Fisher-information samples.** " + "; ".join(gaps) + ". The exact FIM "
                   "of each trained model measures the error this causes (the relative error "
                   "of the sampled diagonal is reported per schedule).")
    out.append("- **Figure 2** shows the exact pattern probabilities of each model instead of "
               "the frequencies in a finite set of generated samples.")
    return "\n".join(out)


def _sampling_text(cfg: RBMPatchesConfig, n_visible: int) -> str:
    sm = cfg.sampling
    if sm.method == "exact":
        how = (f"drawn exactly (v from p(v) by enumerating all 2^{n_visible} visible patterns, "
               "then h ~ p(h|v))")
    else:
        start = "random bits" if sm.init == "random" else "random training patterns"
        how = (f"from {count(min(sm.n_chains, sm.n_samples), 'Gibbs chain')} started from "
               f"{start}, burn-in {count(sm.burn_in, 'sweep')}, one sample every "
               f"{count(sm.thin, 'sweep')}")
    return (f"- Fisher information from {sm.n_samples:,} joint model samples (v, h) before "
            f"each cut, {how}; the first cut's samples are shared by every criterion and give "
            f"the trained model's sampled FIM (the paper: a sample every {PAPER_THIN} steps, "
            "as many samples as training patterns; see \"Differences\" below).")


def _report_text(cfg: RBMPatchesConfig, data: PatchData, summary: RBMPatchesSummary,
                 sections: list[str], wall: float, n_runs: int) -> str:
    st = data.stats
    n_v = st["n_pixels"]
    training = "\n".join(f"  - `{k}`: {_schedule_title(k, cfg)}" for k in cfg.schedules)
    runs = (f"Wall time {wall:.0f} s for {count(n_runs, 'run')} "
            f"({count(len(cfg.schedules), 'schedule')} x {count(len(cfg.seeds), 'seed')}, "
            f"{count(cfg.workers, 'worker process', 'worker processes')}).")
    data_line = (f"- Data: `{cfg.data_source}`, {DATA_SOURCE_TEXT[cfg.data_source]}; "
                 f"{st['n_patches']:,} circular patches of radius {cfg.radius:g} ({n_v} pixels "
                 f"= visible units). On-fraction {st['on_fraction']:.3f}, all-on "
                 f"{st['all_on_fraction']:.3f}, all-off {st['all_off_fraction']:.3f}, "
                 f"{st['n_distinct_patterns']} distinct patterns, entropy "
                 f"{st['entropy_bits']:.2f} bits.")
    model_line = (f"- Model: {n_v} x {cfg.n_hidden} Bernoulli RBM, W ~ N(0, "
                  f"{cfg.weight_std:g}^2), b_h = {cfg.hidden_bias:g}, b_v = logit of each "
                  "pixel's on-fraction. Training, and each retraining, by the schedule's "
                  "settings:")
    pruning_line = (f"- Pruning: {count(cfg.iterations, 'round')}, each cutting "
                    f"{cfg.fraction * 100:g}% of the remaining weights (the same count for "
                    "every criterion, ties broken at random), hidden units left without "
                    "weights removed, retraining after each round. Criteria: "
                    f"{', '.join(cfg.criteria)}.")
    return f"""# boltzprune: RBM pruning experiment (Scholl, Rule & Hennig 2020, sections 2.2-2.3)

{runs}
Resolved configuration: `config.json`; versions and git revision: `versions.json`; every
stage's metrics: `metrics.csv`; aggregates: `summary.json`; checkpoints (safetensors):
`<schedule>/seed<k>/`.

## Set-up

{data_line}
{model_line}
{training}
{_sampling_text(cfg, n_v)}
{pruning_line}
- Evaluation: exact, by enumerating all 2^{n_v} visible patterns: mean log-likelihood per
  training pattern and KL(data || model); Figure 2 plots the model's exact pattern
  probabilities by rank (the limit of infinitely many generated samples).

{chr(10).join(sections)}
## Differences from the paper, and why we think they arise

{_differences(cfg, data, summary)}
"""


# Final-round metrics a sweep summary aggregates (name -> label; the first two are plotted).
SWEEP_METRICS = {"units_left": "hidden units left", "ll_retrained": "log-likelihood (nats)",
                   "weights_left": "weights left",
                   "ll_pruned": "log-likelihood after the cut",
                   "kl_retrained": "KL(data || model)"}


def sweep_rows(run_dir: Path, cfg: RBMPatchesConfig) -> list[dict[str, Any]]:
    """One row per (schedule, seed, criterion): the metrics after the last round."""
    from boltzprune.app.tables import final_round_rows

    at: dict[tuple, dict[str, dict[str, str]]] = defaultdict(dict)
    for r in final_round_rows(run_dir, cfg.iterations):
        schedule = r["schedule"] if "schedule" in r else r["preset"]  # earlier versions' name
        at[(schedule, r["seed"], r["criterion"])][r["stage"]] = r
    return [{"schedule": schedule, "seed": int(seed), "criterion": crit,
             "units_left": int(st["pruned"]["n_hidden"]),
             "weights_left": int(st["pruned"]["n_weights"]),
             "ll_pruned": float(st["pruned"]["log_likelihood"]),
             "ll_retrained": float(st["retrained"]["log_likelihood"]),
             "kl_retrained": float(st["retrained"]["kl"])}
            for (schedule, seed, crit), st in at.items()]
