"""A sweep's summary, read from its run directories: per-run final metrics, their mean and
spread per criterion (and per value of every other varied setting), a figure, and
summary.md / summary.html."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from boltzprune.app.tables import csv_text as _csv_text
from boltzprune.io import atomic_write_text, write_json

__all__ = ["collect_rows", "aggregate", "write_sweep_report"]


def _fmt(v: Any) -> str:
    return "+".join(map(str, v)) if isinstance(v, list) else str(v)


def collect_rows(experiment, run_dir: Path, values: dict[str, Any], cfg: Any
                 ) -> list[dict[str, Any]]:
    """The grid values of one finished run beside each of its rows of final-round metrics
    (``experiment.sweep_rows``)."""
    grid = {k: _fmt(v) for k, v in values.items()}
    return [{**grid, **r} for r in experiment.sweep_rows(run_dir, cfg)]


def aggregate(rows: list[dict[str, Any]], group_keys: list[str], metrics: list[str]
              ) -> list[dict[str, Any]]:
    """Mean, sd (over seeds; 0 for one) and count of each metric per group."""
    groups: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[tuple(r[k] for k in group_keys)].append(r)
    out = []
    for key, rs in groups.items():
        row: dict[str, Any] = dict(zip(group_keys, key, strict=True))
        row["n_runs"] = len(rs)
        for m in metrics:
            x = np.array([r[m] for r in rs], dtype=np.float64)
            row[f"{m}_mean"] = float(x.mean())
            row[f"{m}_sd"] = float(x.std(ddof=1)) if len(x) > 1 else 0.0
        out.append(row)
    return out


def _plot(path: Path, summary: list[dict[str, Any]], group_keys: list[str], metrics: dict,
          title: str) -> None:
    """Each metric's mean ± sd per criterion as points with error bars (one offset series
    per combination of the other varied settings), on an axis fitted to the values so that
    e.g. -5.6 against -5.4 nats shows; the legend in its own band below the panels."""
    from matplotlib.ticker import MaxNLocator

    from boltzprune.app.figures import legend_below, new_figure, save_figure

    others = [k for k in group_keys if k != "criterion"]
    combos = list(dict.fromkeys(tuple(r[k] for k in others) for r in summary))
    crits = list(dict.fromkeys(r["criterion"] for r in summary))
    shown = list(metrics)[:2]
    fig = new_figure((5.2 * len(shown), 3.8))
    axes = fig.subplots(1, len(shown), squeeze=False)
    step = 0.6 / max(len(combos), 1)
    for ax, m in zip(axes[0], shown, strict=True):
        for j, combo in enumerate(combos):
            by = {r["criterion"]: r for r in summary
                  if tuple(r[k] for k in others) == combo}
            x = np.arange(len(crits)) + (j - (len(combos) - 1) / 2) * step
            mean = [by[c][f"{m}_mean"] if c in by else np.nan for c in crits]
            sd = [by[c][f"{m}_sd"] if c in by else 0 for c in crits]
            label = ", ".join(f"{k}={v}" for k, v in zip(others, combo, strict=True)) or None
            ax.errorbar(x, mean, yerr=sd, fmt="o", ms=5, capsize=3, label=label)
        ax.set_xticks(np.arange(len(crits)), crits, rotation=20 if len(crits) > 3 else 0)
        ax.set_xlim(-0.6, len(crits) - 0.4)
        ax.margins(y=0.15)
        ax.yaxis.set_major_locator(MaxNLocator(nbins=6))
        ax.grid(axis="y", alpha=0.3)
        ax.set_ylabel(metrics[m])
        ax.set_title(f"{metrics[m]}\nafter the last round")
    fig.suptitle(title)
    fig.tight_layout()
    if len(combos) > 1:
        legend_below(fig)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_figure(fig, path)


def _md_table(rows: list[dict[str, Any]], group_keys: list[str], metrics: list[str]) -> str:
    head = [*group_keys, "runs", *metrics]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [str(r[k]).replace("|", "\\|") for k in group_keys] + [str(r["n_runs"])]
        cells += [f"{r[f'{m}_mean']:.4g} ± {r[f'{m}_sd']:.2g}" for m in metrics]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_sweep_report(sweep_dir: Path, sweep, finished: list, failed: dict[str, str]
                       ) -> Path | None:
    """Write results.csv, summary.csv, summary.json, figures/sweep.png, summary.md and
    summary.html from the finished runs; returns summary.md (None if no run finished)."""
    from boltzprune.app.experiments import EXPERIMENTS

    exp = EXPERIMENTS[sweep.experiment]
    metrics = exp.sweep_metrics
    rows = [r for p in finished for r in collect_rows(exp, sweep_dir / "runs" / p.run_id,
                                                      p.values, p.config)]
    failed_md = "\n".join(f"- `{rid}`: {err}" for rid, err in failed.items())
    if not rows:
        return None
    varied = [k for k in sweep.grid if k not in ("seeds", "criteria")]
    extra = [k for k in rows[0] if k not in (*sweep.grid, *metrics, "seed", "criterion")]
    group_keys = varied + extra + ["criterion"]  # e.g. the RBM experiment's schedule
    summary = aggregate(rows, group_keys, list(metrics))
    atomic_write_text(sweep_dir / "results.csv", _csv_text(rows))
    atomic_write_text(sweep_dir / "summary.csv", _csv_text(summary))
    write_json(sweep_dir / "summary.json", {"group_keys": group_keys, "summary": summary,
                                            "failed": failed})
    grid_text = ", ".join(f"{k} ({len(v)})" for k, v in sweep.grid.items())
    title = f"{sweep.experiment} sweep: mean ± sd over seeds"
    _plot(sweep_dir / "figures" / "sweep.png", summary, group_keys, metrics, title)
    text = f"""# boltzprune sweep: {sweep.experiment}

{len(finished)} runs finished, {len(failed)} failed; grid: {grid_text}; base:
{sweep.base or 'the experiment defaults'}. Each run's directory is `runs/<run id>/`; every
row of `results.csv` is one (run, criterion) after the last pruning round, and
`summary.csv` holds the mean and sd over seeds.

![Sweep summary](figures/sweep.png)

## Mean ± sd over seeds after the last round

{_md_table(summary, group_keys, list(metrics))}

## Failed runs

{failed_md or 'None.'}
"""
    path = sweep_dir / "summary.md"
    atomic_write_text(path, text)
    _write_html(sweep_dir, sweep, finished, failed, rows, summary, group_keys, list(metrics))
    return path


def _write_html(sweep_dir: Path, sweep, finished: list, failed: dict[str, str],
                rows: list[dict[str, Any]], summary: list[dict[str, Any]],
                group_keys: list[str], metrics: list[str]) -> None:
    """summary.html: the figure, the tables, failures, links to every run's report and the
    sweep's settings, in one self-contained page."""
    import dataclasses
    import html

    from boltzprune.app.figures import CRITERION_LABELS
    from boltzprune.app.html import (
        Section,
        config_html,
        details_html,
        figure_html,
        render_html,
        table_html,
    )

    cols = [*group_keys, "n_runs"]
    shown = [{**{k: r[k] for k in cols},
              **{m: f"{r[f'{m}_mean']:.4g} ± {r[f'{m}_sd']:.2g}" for m in metrics}}
             for r in summary]
    runs = []
    for p in finished:
        rid = html.escape(p.run_id)
        runs.append(f'<li><a href="runs/{rid}/report.html">{rid}</a></li>')
    fails = "".join(f"<li><code>{html.escape(k)}</code>: {html.escape(v)}</li>"
                    for k, v in failed.items())
    labels = ", ".join(f"{c} = {CRITERION_LABELS[c]}" for c in
                       dict.fromkeys(r["criterion"] for r in rows) if c in CRITERION_LABELS)
    sections = [
        Section("Summary", figure_html(sweep_dir / "figures" / "sweep.png",
                                       "Mean ± sd over seeds after the last pruning round")
                + table_html(shown, [*cols, *metrics])
                + f'<p class="note">Criteria: {html.escape(labels)}.</p>', id="summary"),
        Section("Failed runs", f"<ul>{fails}</ul>" if fails else "<p>None.</p>",
                id="failed"),
        Section("Runs", f"<p>{len(finished)} finished runs; each links to its own report."
                        f"</p><ul>{''.join(runs)}</ul>"
                + details_html("Every run's final metrics (results.csv)",
                               table_html(rows, list(rows[0]))), id="runs"),
        Section("Sweep settings", config_html(dataclasses.asdict(sweep)), id="settings"),
    ]
    page = render_html(f"boltzprune sweep: {sweep.experiment}", sections,
                       subtitle=f"Sweep directory {sweep_dir.name}",
                       footer="Written by boltzprune from the run directories of this sweep; "
                              "self-contained (figures embedded, no network access).")
    atomic_write_text(sweep_dir / "summary.html", page)
