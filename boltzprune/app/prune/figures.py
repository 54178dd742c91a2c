"""Figures of ``boltzprune prune``: hidden units left against weights left, and the test
quality (and readout error) after every round, per criterion, mean ± sd over seeds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from boltzprune.app.figures import color, label, new_figure, save_figure

if TYPE_CHECKING:
    from boltzprune.app.prune.summary import CriterionSummary

__all__ = ["plot_units", "plot_quality"]


def _errorbar(ax, x, mean, sd, c: str) -> None:
    ax.errorbar(x, mean, yerr=sd, color=color(c), label=label(c), marker="o", ms=3, capsize=2)


def plot_units(path: Path, summary: Mapping[str, CriterionSummary], criteria: Sequence[str],
               title: str) -> None:
    """One panel per hidden layer: units left in it against the weights left in the model,
    one line per criterion through rounds 0..K (0 = unpruned, at the right). summary[c]: the
    criterion's ``CriterionSummary`` (weights_mean, and hidden_mean / hidden_sd per
    layer)."""
    n_layers = len(next(iter(summary.values())).hidden_mean)
    fig = new_figure((4.6 * n_layers + 0.6, 3.8))
    axes = fig.subplots(1, n_layers, squeeze=False)[0]
    for l, ax in enumerate(axes):
        for c in criteria:
            s = summary[c]
            _errorbar(ax, s.weights_mean, s.hidden_mean[l], s.hidden_sd[l], c)
        ax.set_xscale("log")
        ax.invert_xaxis()
        ax.set_xlabel("weights left")
        ax.set_ylabel(f"units left in hidden layer {l + 1}" if n_layers > 1
                      else "hidden units left")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle(title)
    save_figure(fig, path)


def plot_quality(path: Path, summary: Mapping[str, CriterionSummary], criteria: Sequence[str],
                 measure: str, higher_better: bool, raw_error: float | None,
                 title: str) -> None:
    """The test-set quality measure per round (0 = unpruned) and, when the data have
    labels, the readout's test error with the raw patterns' error dashed. summary[c]: the
    criterion's ``CriterionSummary``."""
    panels = 2 if raw_error is not None else 1
    fig = new_figure((5.2 * panels, 3.8))
    axes = fig.subplots(1, panels, squeeze=False)[0]
    for c in criteria:
        s = summary[c]
        rounds = np.arange(len(s.quality_mean))
        _errorbar(axes[0], rounds, s.quality_mean, s.quality_sd, c)
        if raw_error is not None:
            _errorbar(axes[1], rounds, s.error_mean, s.error_sd, c)
    axes[0].set_ylabel(f"{measure} ({'higher' if higher_better else 'lower'} is better)")
    axes[0].set_title("quality on the test patterns", fontsize=10)
    if raw_error is not None:
        axes[1].axhline(raw_error, color="k", ls="--", lw=1, label="raw patterns")
        axes[1].set_ylabel("test error of the readout")
        axes[1].set_title("readout of the deepest layer", fontsize=10)
    for ax in axes:
        ax.set_xlabel("pruning round (0 = unpruned)")
        ax.set_xticks(np.arange(len(next(iter(summary.values())).quality_mean)))
        ax.grid(alpha=0.3)
    axes[-1].legend(fontsize=8)
    fig.suptitle(title)
    save_figure(fig, path)
