"""Aggregate the RBM experiment over seeds and write metrics, Table 1, figures and report.md.

The report reads every setting it states from the typed config (``RBMPatchesConfig``) and
every number from the typed results (``SeedResult``); the paper's numbers come from
``reference.py`` (DESIGN.md section 6).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from boltzprune.app.experiment import RunContext
from boltzprune.app.figures import label, md_label
from boltzprune.app.patches import PatchData
from boltzprune.app.rbm_patches.config import SCHEDULES, RBMPatchesConfig
from boltzprune.app.rbm_patches.figures import (
    data_preparation_examples,
    plot_data_preparation,
    plot_fim,
    plot_rank_frequency,
    plot_stage_curves,
)
from boltzprune.app.rbm_patches.reference import (
    PAPER_ANTI_FI_DAMAGES_MOST,
    PAPER_CUTS,
    PAPER_FIM_EIGENVALUES,
    PAPER_FRACTION,
    PAPER_N_HIDDEN,
    PAPER_N_VISIBLE,
    PAPER_TABLE1,
)
from boltzprune.app.rbm_patches.run import SeedResult
from boltzprune.app.rbm_patches.summary import (
    BASELINES,
    FI_CRITERIA,
    PatternChecks,
    RBMPatchesSummary,
    ScheduleSummary,
    summarise,
    units_pattern,
)
from boltzprune.app.tables import write_csv
from boltzprune.app.words import count, schedule_words
from boltzprune.app.workers import run_steps
from boltzprune.io import atomic_write_text, load_checkpoint, write_json

if TYPE_CHECKING:
    from boltzprune.data.patches import PatchPreparation

__all__ = ["Table1Row", "PaperSetup", "paper_setup", "report_markdown", "write_report"]

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
    # the paper's count for this cell (None: the set-up differs from the paper's, or the
    # paper's Table 1 has no value for this criterion or cut)
    paper: int | None


# The set-up the paper's Table 1 and FIM eigenvalues hold for, in words (reference.py).
PAPER_SETUP_WORDS = (f"{PAPER_N_VISIBLE} visible and {PAPER_N_HIDDEN} hidden units, cuts of "
                     f"{PAPER_FRACTION * 100:g}% of the remaining weights, the paper's stated "
                     "training schedule or its code's effective one")


@dataclass(frozen=True)
class PaperSetup:
    """How one schedule's run stands against the set-up of the paper's Table 1 and FIM
    eigenvalues (``reference.py``): which of its settings differ, in words, and how many
    cuts it made. Numbers are set against the paper's only where the set-up is the paper's
    and for the cuts the paper has."""

    model_differences: tuple[str, ...]  # the trained model: its size, its training schedule
    pruning_differences: tuple[str, ...]  # the pruning: the share cut per round
    n_cuts: int  # the run's cuts (the config's iterations)

    @property
    def differences(self) -> tuple[str, ...]:
        return self.model_differences + self.pruning_differences

    @property
    def model_matches(self) -> bool:
        """The trained model is the paper's, so that its FIM eigenvalues compare."""
        return not self.model_differences

    @property
    def n_compared(self) -> int:
        """Cuts 1..n_compared compare with the paper's Table 1 (0: none, the set-up
        differs)."""
        return 0 if self.differences else min(self.n_cuts, PAPER_CUTS)

    def paper_units(self, criterion: str, k: int) -> int | None:
        """The paper's hidden units for a criterion after cut k (k = 0: before the first
        cut); None where the set-up differs or the paper's Table 1 has no such cell."""
        if self.differences or k > PAPER_CUTS or criterion not in PAPER_TABLE1:
            return None
        return PAPER_TABLE1[criterion][k]

    def no_paper_value(self, k: int) -> str | None:
        """Why cut k has no paper value, in words; None when it has one."""
        if self.differences:
            return "not compared, the set-up differs, see above"
        if k > PAPER_CUTS:
            return f"no value for cut {k}"
        return None

    def differs_sentence(self) -> str:
        """One sentence naming the settings that differ from the paper's ("" if none)."""
        if not self.differences:
            return ""
        what = ("Table 1 and the checks are not set against the paper's (the trained model's "
                "FIM eigenvalues still are)" if self.model_matches
                else "its numbers are not set against the paper's")
        return (f"This set-up differs from the paper's ({PAPER_SETUP_WORDS}): "
                f"{'; '.join(self.differences)}; so {what}.")

    def missing_cuts_sentence(self) -> str:
        """The run's cuts past the paper's, in one sentence ("" if none or not compared)."""
        if self.differences or self.n_cuts <= PAPER_CUTS:
            return ""
        first, last = PAPER_CUTS + 1, self.n_cuts
        cuts = f"cut {first}" if first == last else f"cuts {first}-{last}"
        return f"The paper's Table 1 has no values for {cuts}."


def paper_setup(cfg: RBMPatchesConfig, n_visible: int, schedule: str) -> PaperSetup:
    """Which settings of this run's schedule differ from the paper's Table 1 set-up, read
    from the config and the data's visible count against ``reference.py``."""
    model = []
    if n_visible != PAPER_N_VISIBLE:
        model.append(f"{count(n_visible, 'visible unit')} (patch radius {cfg.radius:g}) "
                     f"instead of {PAPER_N_VISIBLE}")
    if cfg.n_hidden != PAPER_N_HIDDEN:
        model.append(f"{count(cfg.n_hidden, 'hidden unit')} instead of {PAPER_N_HIDDEN}")
    if cfg.training[schedule] not in SCHEDULES.values():
        model.append(f"the training schedule `{schedule}` is neither the paper's stated one "
                     "nor its code's effective one")
    pruning = []
    if cfg.fraction != PAPER_FRACTION:
        pruning.append(f"cuts of {cfg.fraction * 100:g}% instead of {PAPER_FRACTION * 100:g}%")
    return PaperSetup(tuple(model), tuple(pruning), cfg.iterations)


# --------------------------------------------------------------------------- words


def _schedule_title(label: str, cfg: RBMPatchesConfig) -> str:
    """What a schedule is: one of SCHEDULES unchanged ("the paper's stated schedule (...)"),
    or a custom one, with its settings in the parenthesis either way."""
    t = cfg.training[label]
    kind = (SCHEDULE_KINDS.get(label, f"the `{label}` schedule")
            if SCHEDULES.get(label) == t else "a custom schedule")
    return f"{kind} ({schedule_words(t)})"


def _table1_distance(s: ScheduleSummary, setup: PaperSetup) -> tuple[float, int] | None:
    """Mean |our units - the paper's| over the Table 1 cells after the cuts that compare
    (cuts 1..n_compared; the unpruned column is equal by construction), and their count."""
    cells = [abs(v.units_mean[k] - p) for c, v in s.criteria.items()
             for k in range(1, setup.n_compared + 1)
             if (p := setup.paper_units(c, k)) is not None]
    return (float(np.mean(cells)), len(cells)) if cells else None


def _fmt_eigs(m: tuple[float, ...], sd: tuple[float, ...]) -> str:
    return ", ".join(f"{a:.2f} ± {b:.2f}" for a, b in zip(m, sd, strict=True))


def _span(values: list[float], fmt: str = ".1f") -> str:
    """'30.4-38.0', or one value when all are equal."""
    lo, hi = min(values), max(values)
    return f"{lo:{fmt}}" if lo == hi else f"{lo:{fmt}}-{hi:{fmt}}"


def _cuts(n: int) -> str:
    return "cut 1" if n == 1 else f"cuts 1-{n}"


# --------------------------------------------------------------------------- tables


def _table1(s: ScheduleSummary, setup: PaperSetup) -> tuple[str, list[Table1Row]]:
    weights = next(iter(s.criteria.values())).weights
    head = "| criterion | " + " | ".join(f"{w} w" for w in weights) + " |"
    lines = [head, "|---" * (len(weights) + 1) + "|"]
    rows = []
    for c, v in s.criteria.items():
        cells = []
        for k, w in enumerate(weights):
            paper = setup.paper_units(c, k)
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


# The data-preparation figure (paper Fig 1 A), in the run's figures/ folder.
DATA_FIGURE = "fig_data_preparation.png"




def data_preparation(cfg: RBMPatchesConfig, data: PatchData) -> PatchPreparation:
    """How the run's data source prepared the image the data-preparation figure shows
    (``boltzprune.data.patches.patch_preparation`` with the run's data settings; free when
    ``load_data`` made the patches in this process). Its patches are the run's rows."""
    from boltzprune.data.patches import patch_preparation

    prep = patch_preparation(cfg.data_source, n_patches=cfg.n_patches, radius=cfg.radius,
                             seed=cfg.data_seed, cifar_dir=cfg.cifar_dir)
    kept = prep.rows >= 0
    assert np.array_equal(data.x[prep.rows[kept]], prep.patches[kept]), \
        "the data-preparation figure's patches are not the run's"
    return prep


def write_report(cfg: RBMPatchesConfig, data: PatchData, results: list[SeedResult],
                 ctx: RunContext, wall_seconds: float) -> Path:
    """Write metrics.csv, summary.json, table1_<schedule>.csv, figures/ and report.md into
    ctx.dir, under a progress bar when ``ctx.progress``; returns report.md's path. Figures 1
    and 2 show the first seed and read its fim.safetensors and rank_frequency.safetensors
    from <schedule>/seed<k>/; the data-preparation figure is made from the run's data
    settings (``data_preparation``)."""
    run_dir = ctx.dir
    summary = summarise(cfg, results)
    fig_dir = run_dir / "figures"
    first = cfg.seeds[0]
    n_visible = int(data.stats["n_pixels"])
    prep = data_preparation(cfg, data)

    def tables() -> None:
        write_csv(run_dir / "metrics.csv", [row for r in results for row in r.rows])
        write_json(run_dir / "summary.json", {**asdict(summary), "wall_seconds": wall_seconds})

    def data_figure() -> None:
        plot_data_preparation(fig_dir / DATA_FIGURE, prep,
                              f"Data preparation ('{cfg.data_source}', data seed "
                              f"{cfg.data_seed}, radius {cfg.radius:g})")

    def fig1(schedule: str) -> None:
        setup = paper_setup(cfg, n_visible, schedule)
        fim, meta = load_checkpoint(run_dir / schedule / f"seed{first}" / "fim.safetensors")
        r0 = next(r for r in results if r.schedule == schedule and r.seed == first)
        plot_fim(fig_dir / f"fig1_fim_{schedule}.png", fim["fim_sampled"].double().numpy(),
                 fim["eigvec_sampled"].double().numpy(), r0.fim.eigenvalues_sampled,
                 r0.fim.eigenvalues_exact, meta["n_visible"], meta["n_hidden"],
                 f"Figure 1 ({_figure_title(cfg, schedule)})",
                 PAPER_FIM_EIGENVALUES if setup.model_matches else ())

    def fig2(schedule: str) -> None:
        ranks, _ = load_checkpoint(run_dir / schedule / f"seed{first}"
                                   / "rank_frequency.safetensors")
        plot_rank_frequency(fig_dir / f"fig2_rank_frequency_{schedule}.png",
                            {k: v.double().numpy() for k, v in ranks.items()}, cfg.criteria,
                            cfg.iterations, f"Figure 2 ({_figure_title(cfg, schedule)})")

    def curves(schedule: str) -> None:
        s = summary.schedules[schedule]
        plot_stage_curves(fig_dir / f"units_loglik_{schedule}.png", s.criteria, cfg.criteria,
                          f"{schedule}: mean ± sd over {count(len(s.seeds), 'seed')}")
        write_csv(run_dir / f"table1_{schedule}.csv",
                  _table1(s, paper_setup(cfg, n_visible, schedule))[1])

    path = run_dir / "report.md"
    steps: list[tuple[str, Callable[[], Any]]] = [("metrics", tables),
                                                  ("data preparation", data_figure)]
    for schedule in cfg.schedules:
        steps += [(f"{schedule}: Figure 1", partial(fig1, schedule)),
                  (f"{schedule}: Figure 2", partial(fig2, schedule)),
                  (f"{schedule}: units, Table 1", partial(curves, schedule))]
    steps.append(("report.md", lambda: atomic_write_text(
        path, report_markdown(cfg, data, summary, wall_seconds, len(results), prep=prep))))
    run_steps(steps, "rbm-patches: report", ctx.progress)
    return path


def _figure_title(cfg: RBMPatchesConfig, schedule: str) -> str:
    return f"{schedule}: {_schedule_title(schedule, cfg)}, seed {cfg.seeds[0]}"


# --------------------------------------------------------------------------- checks


def _labels(criteria: tuple[str, ...], last: str = "and") -> str:
    """'variance FI, heuristic FI and first eigenvector'."""
    names = [label(c) for c in criteria]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} {last} {names[-1]}"


def _yes(v: bool) -> str:
    return "yes" if v else "no"


@dataclass(frozen=True)
class _Check:
    """One automatic check: its line in the report, and the contradiction with the paper it
    found ("" if none)."""

    line: str
    contradiction: str


def _fewer_check(chk: PatternChecks, setup: PaperSetup) -> _Check:
    """After the last cut: every FI criterion leaves fewer hidden units than |w| and
    random."""
    K, fi, base, u = chk.n_cuts, chk.fi_criteria, chk.baselines, chk.final_units_mean
    where = f"Hidden units left after cut {K}, the last"
    if chk.fi_fewer_units_than_baselines is None:
        return _Check(f"- {where}: FI criteria against |w| and random not tested (needs at "
                      f"least one of {_labels(FI_CRITERIA, 'or')} and one of "
                      f"{_labels(BASELINES, 'or')}).", "")
    claim = f"every FI criterion ({_labels(fi)}) fewer than {_labels(base)}"
    ours = chk.fi_fewer_units_than_baselines
    here = (f"FI criteria {_span([u[c] for c in fi])}, {_labels(base)} "
            f"{_span([u[c] for c in base])}")
    why = setup.no_paper_value(K)
    paper: bool | None = None
    if why is None:
        pu = {c: setup.paper_units(c, K) for c in (*fi, *base)}
        paper = units_pattern(pu)[0]
        ref = (f"paper's Table 1: {_yes(bool(paper))}, FI criteria "
               f"{_span([pu[c] for c in fi], 'd')}, {_labels(base)} "
               f"{_span([pu[c] for c in base], 'd')}")
    else:
        ref = f"paper: {why}"
    line = f"- {where}: {claim} ({ref}) — here: **{_yes(ours)}** ({here})."
    if paper is None or paper == ours:
        return _Check(line, "")
    if not ours:
        worst = max(fi, key=u.__getitem__)
        best = min(base, key=u.__getitem__)
        text = (f"after cut {K} {label(worst)} leaves {u[worst]:.1f} hidden units, not fewer "
                f"than {label(best)} ({u[best]:.1f}), while in the paper's Table 1 every FI "
                f"criterion leaves fewer than {_labels(base)}")
    else:
        text = (f"after cut {K} every FI criterion leaves fewer hidden units than "
                f"{_labels(base)}, while in the paper's Table 1 one does not")
    return _Check(f"{line} **Contradicts the paper:** {text}.", text)


def _anti_units_check(chk: PatternChecks, setup: PaperSetup) -> _Check:
    """After the last cut: anti-FI leaves more hidden units than every FI criterion (the
    paper: anti-FI, like |w|, "kept more hidden units in the model" than FI pruning)."""
    K, fi, u = chk.n_cuts, chk.fi_criteria, chk.final_units_mean
    where = f"Hidden units left after cut {K}, the last"
    if chk.anti_fi_more_units_than_fi is None:
        return _Check(f"- {where}: anti-FI against the FI criteria not tested (needs anti-FI "
                      f"and at least one of {_labels(FI_CRITERIA, 'or')}).", "")
    claim = f"anti-FI more than every FI criterion ({_labels(fi)})"
    ours = chk.anti_fi_more_units_than_fi
    a, fi_u = u["anti_fi"], [u[c] for c in fi]
    here = f"anti-FI {a:.1f}, FI criteria {_span(fi_u)}"
    why = setup.no_paper_value(K)
    paper: bool | None = None
    if why is None:
        pu = {c: setup.paper_units(c, K) for c in (*fi, "anti_fi")}
        paper = units_pattern(pu)[1]
        p_here = f"anti-FI {pu['anti_fi']}, FI criteria {_span([pu[c] for c in fi], 'd')}"
        ref = f"paper's Table 1: {_yes(bool(paper))}, {p_here}"
    else:
        ref = f"paper: {why}"
    line = f"- {where}: {claim} ({ref}) — here: **{_yes(ours)}** ({here})."
    if paper is None or paper == ours:
        return _Check(line, "")
    if ours:
        text = (f"after cut {K} anti-FI leaves more hidden units ({a:.1f}) than every FI "
                f"criterion ({_span(fi_u)}), while in the paper's Table 1 it does not "
                f"({p_here})")
    elif a < min(fi_u):
        text = (f"after cut {K} anti-FI leaves fewer hidden units ({a:.1f}) than every FI "
                f"criterion ({_span(fi_u)}), while the paper's anti-FI keeps more of them "
                f"than FI pruning ({p_here})")
    else:
        top = max(fi, key=u.__getitem__)
        text = (f"after cut {K} anti-FI leaves {a:.1f} hidden units, not more than "
                f"{label(top)} ({u[top]:.1f}), while the paper's anti-FI keeps more of them "
                f"than FI pruning ({p_here})")
    return _Check(f"{line} **Contradicts the paper:** {text}.", text)


def _damage_check(s: ScheduleSummary, chk: PatternChecks, setup: PaperSetup) -> _Check:
    """Over all cuts: anti-FI's cuts lower the exact log-likelihood most on average."""
    K = chk.n_cuts
    where = f"Exact log-likelihood change right after a cut, mean over {_cuts(K)}"
    if chk.anti_fi_worst_drop is None:
        return _Check(f"- {where}: anti-FI against the other criteria not tested (anti-FI "
                      "not run).", "")
    drop = {c: float(np.mean(v.ll_drop_mean)) for c, v in s.criteria.items()}
    others = [c for c in drop if c != "anti_fi"]
    ours = chk.anti_fi_worst_drop
    here = f"anti-FI {drop['anti_fi']:.2f} nats per pattern"
    if others:
        nxt = min(others, key=drop.__getitem__)
        here += f", the most negative other: {label(nxt)} {drop[nxt]:.2f}"
    if setup.differences:
        why: str | None = "not compared, the set-up differs, see above"
    elif K > PAPER_CUTS:
        why = f"the paper's finding covers {_cuts(PAPER_CUTS)} only"
    else:
        why = None
    paper = PAPER_ANTI_FI_DAMAGES_MOST if why is None else None
    ref = (f"paper: {_yes(PAPER_ANTI_FI_DAMAGES_MOST)}, in words without a number, section "
           "2.3" if why is None else f"paper: {why}")
    line = (f"- {where}: anti-FI's the most negative of all criteria ({ref}) — here: "
            f"**{_yes(ours)}** ({here}).")
    if paper is None or paper == ours:
        return _Check(line, "")
    worst = chk.worst_mean_drop
    text = (f"{label(worst)}'s cuts cost more exact log-likelihood on average "
            f"({drop[worst]:.2f} nats per pattern) than anti-FI's ({drop['anti_fi']:.2f}), "
            "while the paper finds anti-FI the most damaging" if not ours else
            "anti-FI's cuts cost the most log-likelihood, while the paper finds otherwise")
    return _Check(f"{line} **Contradicts the paper:** {text}.", text)


def _checks(s: ScheduleSummary, chk: PatternChecks, setup: PaperSetup) -> list[_Check]:
    """The automatic checks of the paper's findings on one schedule, in report order."""
    return [_fewer_check(chk, setup), _anti_units_check(chk, setup),
            _damage_check(s, chk, setup)]


# --------------------------------------------------------------------------- report.md


def _schedule_section(cfg: RBMPatchesConfig, s: ScheduleSummary, chk: PatternChecks,
                      setup: PaperSetup) -> str:
    f = s.fim
    schedule = s.schedule
    t1 = _table1(s, setup)[0]
    compared = setup.n_compared and set(s.criteria) & set(PAPER_TABLE1)
    paper_note = "; the paper's in brackets" if compared else ""
    notes = " ".join(x for x in (setup.differs_sentence(), setup.missing_cuts_sentence()) if x)
    notes = f"{notes}\n\n" if notes else ""
    final = ", ".join(f"{label(c)} {u:.1f}" for c, u in chk.final_units_mean.items())
    checks = "\n".join(c.line for c in _checks(s, chk, setup))
    worst = ", ".join(f"cut {k} {label(c)}" for k, c in
                      enumerate(chk.worst_drop_per_iteration, 1))
    paper_eigs = (f"; the paper: {', '.join(map(str, PAPER_FIM_EIGENVALUES))}"
                  if setup.model_matches else "")
    return f"""## Schedule `{schedule}`: {_schedule_title(schedule, cfg)}

### Table 1: hidden units left (mean ± sd over {count(len(s.seeds), 'seed')}{paper_note})

{notes}{t1}

Hidden units left after cut {chk.n_cuts}, the last: {final}.

### Checks of the paper's findings

{checks}

### Fisher information of the trained RBM

Leading eigenvalues (mean ± sd over seeds) of the FIM from {f.n_samples:,} model samples:
{_fmt_eigs(f.sampled_mean, f.sampled_sd)}; of the exact FIM (enumerating all visible
states): {_fmt_eigs(f.exact_mean, f.exact_sd)}{paper_eigs}.
Mean relative L1 error of the sampled FIM diagonal against the exact one:
{f.diag_rel_err_mean:.3f}.

![Figure 1](figures/fig1_fim_{schedule}.png)

### Exact log-likelihood per pattern (nats)

Change caused by each cut (right after pruning minus before it); more negative = more damage.
Largest damage per cut: {worst}. Largest mean damage over {_cuts(chk.n_cuts)}:
{label(chk.worst_mean_drop)}.

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


def _schedule_differences(cfg: RBMPatchesConfig, summary: RBMPatchesSummary,
                          setups: dict[str, PaperSetup]) -> str:
    """The training-schedule bullet: measured facts per schedule, and which lies closest to
    the paper where the set-up is the paper's."""
    per = []
    dist: dict[str, float] = {}
    eig_gap: dict[str, float] = {}
    K = cfg.iterations
    for schedule, s in summary.schedules.items():
        f, crit, setup = s.fim, s.criteria, setups[schedule]
        units = ", ".join(
            f"{label(c)} {v.units_mean[-1]:.1f}"
            + (f" (paper {p})" if (p := setup.paper_units(c, K)) is not None else "")
            for c, v in crit.items())
        if not setup.differences and K > PAPER_CUTS:
            units += f" (no paper value for cut {K})"
        d = _table1_distance(s, setup)
        text = ""
        if d is not None:
            dist[schedule] = d[0]
            text = (f"mean |difference| from the paper's Table 1 over the {d[1]} cells of "
                    f"{_cuts(setup.n_compared)} {d[0]:.1f} units; ")
        paper_eigs = ""
        if setup.model_matches:
            eig_gap[schedule] = abs(np.log(f.exact_mean[0] / PAPER_FIM_EIGENVALUES[0]))
            paper_eigs = f" (paper {', '.join(map(str, PAPER_FIM_EIGENVALUES))})"
        per.append(f"  - `{schedule}`, {_schedule_title(schedule, cfg)}: {text}leading exact "
                   f"FIM eigenvalues {_fmt_eigs(f.exact_mean, f.exact_sd)}{paper_eigs}; mean "
                   f"|w| after training {s.mean_abs_w:.2f}; the 10 hidden units with the most "
                   f"weight FI hold {f.top10_unit_share_mean:.0%} of it; units left after "
                   f"cut {K}, the last: {units}.")
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
            + f"\n\n  {reading}The paper's findings (FI criteria leave fewer hidden units than "
              "|w| and random, and than anti-FI; anti-FI's cuts cost the most log-likelihood) "
              "are checked for each schedule in its section.")


def _differences(cfg: RBMPatchesConfig, data: PatchData, summary: RBMPatchesSummary,
                 setups: dict[str, PaperSetup]) -> str:
    """Where our set-up and numbers differ from the paper's, with the measured facts."""
    out = []
    diffs = list(dict.fromkeys(d for st in setups.values() for d in st.differences))
    if diffs:
        out.append(f"- **Set-up.** This run differs from the set-up of the paper's Table 1 "
                   f"({PAPER_SETUP_WORDS}): {'; '.join(diffs)}; where it differs, Table 1 and "
                   "the checks are not set against the paper's.")
    contra = [f"`{schedule}`: {c.contradiction}" for schedule, s in summary.schedules.items()
              for c in _checks(s, summary.checks[schedule], setups[schedule])
              if c.contradiction]
    if contra:
        out.append("- **Results that contradict the paper.** " + "; ".join(contra) + ".")
    out.append(_schedule_differences(cfg, summary, setups))
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


def data_figure_text(cfg: RBMPatchesConfig, data: PatchData, prep: PatchPreparation) -> str:
    """The data-preparation figure's link and caption, every number read from ``prep``
    (the prepared image) and the data's statistics."""
    from boltzprune.data.patches import circle_offsets

    h, w = prep.binary.shape
    n_pix = len(circle_offsets(prep.radius))
    k = len(prep.centres)
    kept = prep.rows[prep.rows >= 0]
    on = float(prep.binary.mean())
    if prep.source == "tiles":
        assert prep.crop is not None
        side = prep.crop[2]
        what = (f"tile {prep.index} of the {prep.n_images:,} tiles (the first with an "
                f"on-fraction in 0.3-0.7), a {side} x {side} crop of the photograph "
                f"`{prep.photo}` shrunk to {h} x {w}, its RGB summed and binarised at the "
                f"global median over all tiles' pixels, {prep.threshold:.3f} (of 3)")
        where = f"its {k} circles on a grid"
    elif prep.source == "photos":
        what = (f"the photograph `{prep.photo}` ({h} x {w}, the first of "
                f"{prep.n_images}) in grey, binarised at its own median, "
                f"{prep.threshold:.3f} (of 1)")
        where = f"its {k:,} circles at random positions (a window shows one)"
    else:
        what = (f"CIFAR-10 image {prep.index} of {prep.n_images:,}, its RGB summed and "
                f"binarised at the global median over all images' pixels, "
                f"{prep.threshold:g} (of 765)")
        where = f"{len(kept)} of its {k} grid circles drawn into the training patterns"
    rows = (f"training rows {kept.min():,}-{kept.max():,}" if len(kept) == k
            and kept.max() - kept.min() + 1 == k else f"{len(kept)} training rows")
    idx = data_preparation_examples(prep)
    shown = ", ".join(str(int(r)) for r in prep.rows[idx])
    on_pixels = ", ".join(str(int(prep.patches[i].sum())) for i in idx)
    return (f"![Data preparation](figures/{DATA_FIGURE})\n\n"
            f"Data preparation (paper Fig 1 A), from this run's data: {what}; on-fraction "
            f"of the binarised image {on:.3f}. The patch mask of radius {prep.radius:g} "
            f"covers {n_pix} pixels; {where} are {rows}, and the discs show rows {shown} "
            f"({on_pixels} pixels on). All {data.stats['n_patches']:,} training patches: "
            f"on-fraction {data.stats['on_fraction']:.3f}.\n")


def report_markdown(cfg: RBMPatchesConfig, data: PatchData, summary: RBMPatchesSummary,
                    wall: float, n_runs: int, *, prep: PatchPreparation | None = None) -> str:
    """report.md's text, from the typed config, the data's statistics and the summary
    (no file is read: the figures and CSVs it links are written by ``write_report``);
    with ``prep`` (``data_preparation``), the data-preparation figure and its caption
    after the set-up."""
    st = data.stats
    n_v = int(st["n_pixels"])
    setups = {k: paper_setup(cfg, n_v, k) for k in cfg.schedules}
    sections = [_schedule_section(cfg, summary.schedules[k], summary.checks[k], setups[k])
                for k in cfg.schedules]
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

{data_figure_text(cfg, data, prep) if prep is not None else ""}
{chr(10).join(sections)}
## Differences from the paper, and why we think they arise

{_differences(cfg, data, summary, setups)}
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
