"""Figures of the online-pruning experiment: the final log-likelihood of every variant per
criterion; the weights and hidden units left against training updates (the online schedule
and the offline loop's cuts); how the running FI estimate tracks the exact FI diagonal; and
the critical-period traces (the FIM's leading eigenvalue and the FI share of the top
units), with and without pruning. Means over seeds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from matplotlib.ticker import FuncFormatter, MaxNLocator

from boltzprune.app.figures import color, label, legend_below, new_figure, save_figure
from boltzprune.app.online.summary import CriterionSummary, VariantSummary

__all__ = ["VARIANT_LABELS", "plot_loglik", "plot_schedule", "plot_traces"]

VARIANT_LABELS = {"offline": "offline loop", "online": "pruning during learning",
                  "scratch": "final architecture from scratch",
                  "random_mask": "random mask, final size", "trained": "trained, unpruned"}
_MARKERS = {"offline": "o", "online": "s", "scratch": "^", "random_mask": "v"}
_SHADES = {"offline": "tab:blue", "online": "tab:green", "scratch": "tab:orange",
           "random_mask": "tab:gray"}


def _updates_axis(ax) -> None:
    """Training updates on the x axis, in thousands, at most five ticks."""
    ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v / 1000:g}k" if v else "0"))
    ax.set_xlabel("training updates")


def plot_loglik(path: Path, summary: Sequence[CriterionSummary], trained: VariantSummary,
                variants: Sequence[str], title: str) -> None:
    """Mean ± sd log-likelihood of every variant, grouped by criterion; the trained,
    unpruned model's as a dashed line."""
    fig = new_figure((max(5.5, 1.9 * len(summary) + 2.5), 4.0))
    ax = fig.subplots()
    width = 0.8 / len(variants)
    for i, v in enumerate(variants):
        xs = np.arange(len(summary)) + (i - (len(variants) - 1) / 2) * width
        m = [s.variants[v].log_likelihood.mean for s in summary]
        sd = [s.variants[v].log_likelihood.sd for s in summary]
        ax.errorbar(xs, m, yerr=sd, ls="none", marker=_MARKERS[v], color=_SHADES[v], ms=6,
                    capsize=3, label=VARIANT_LABELS[v])
    ax.axhline(trained.log_likelihood.mean, color="k", ls="--", lw=1,
               label=VARIANT_LABELS["trained"])
    ax.set_xticks(np.arange(len(summary)), [label(s.criterion) for s in summary])
    ax.set_xlim(-0.6, len(summary) - 0.4)
    ax.set_ylabel("log-likelihood per pattern (nats)")
    ax.grid(alpha=0.3, axis="y")
    ax.set_title(title)
    fig.tight_layout()
    legend_below(fig, ncol=2)
    save_figure(fig, path)


def plot_schedule(path: Path, online: Mapping[str, dict[str, np.ndarray]],
                  offline: Mapping[str, dict[str, np.ndarray]], title: str) -> None:
    """Weights (left) and hidden units still connected (right) against updates: the online
    variant's events (lines) and the offline loop's cuts (steps), per criterion.
    online[c] / offline[c]: arrays "step", "weights", "hidden_units" (means over seeds),
    starting at update 0 with the full model."""
    fig = new_figure((10.0, 3.8))
    axes = fig.subplots(1, 2)
    for c, tr in online.items():
        for ax, f in zip(axes, ("weights", "hidden_units"), strict=True):
            ax.plot(tr["step"], tr[f], color=color(c), label=f"{label(c)}, during learning")
            off = offline[c]
            ax.step(off["step"], off[f], where="post", color=color(c), ls=":",
                    label=f"{label(c)}, offline loop")
    axes[0].set_ylabel("weights left")
    axes[1].set_ylabel("hidden units with weights")
    for ax in axes:
        _updates_axis(ax)
        ax.grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    legend_below(fig)
    save_figure(fig, path)


def plot_traces(path: Path, baseline: dict[str, np.ndarray],
                online: Mapping[str, dict[str, np.ndarray]], top_units: int,
                title: str) -> None:
    """Three panels against training updates: the correlation of the running variance
    estimate with the exact FI diagonal, the exact FIM's leading eigenvalue, and the share
    of the weights' FI held by the ``top_units`` hidden units with the most; training
    without pruning (black) and with pruning during learning (per criterion)."""
    fig = new_figure((11.0, 3.8))
    axes = fig.subplots(1, 3)
    fields = (("running_corr", "corr(running, exact FI diagonal)"),
              ("eig1", "leading FIM eigenvalue"),
              ("top_share", f"FI share of the top {top_units} units"))
    for ax, (f, ylabel) in zip(axes, fields, strict=True):
        ax.plot(baseline["step"], baseline[f], color="k", marker=".", ms=3,
                label="training without pruning")
        for c, tr in online.items():
            ax.plot(tr["step"], tr[f], color=color(c), marker=".", ms=3,
                    label=f"{label(c)}, pruning during learning")
        _updates_axis(ax)
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    legend_below(fig)
    save_figure(fig, path)
