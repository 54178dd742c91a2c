"""Figures of ``boltzprune prune``: hidden units left against weights left, and the test
quality (and readout error) after every round, per criterion, mean ± sd over seeds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.ticker import MaxNLocator

from boltzprune.app.figures import color, count_ticks, label, legend_below, new_figure, save_figure

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
    cols = min(n_layers, 2)  # at most two panels across: the figure fits the page
    rows = -(-n_layers // cols)
    fig = new_figure((4.6 * cols + 0.6, 3.8 * rows))
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax in axes[n_layers:]:
        ax.set_visible(False)
    weights = [w for c in criteria for w in summary[c].weights_mean]
    for l, ax in enumerate(axes[:n_layers]):
        for c in criteria:
            s = summary[c]
            _errorbar(ax, s.weights_mean, s.hidden_mean[l], s.hidden_sd[l], c)
        ax.set_xscale("log")
        count_ticks(ax, weights, max_ticks=5)  # labelled ticks at any run size
        ax.invert_xaxis()
        ax.set_xlabel("weights left")
        ax.set_ylabel(f"units left in hidden layer {l + 1}" if n_layers > 1
                      else "hidden units left")
        ax.grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    legend_below(fig)
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
    axes[0].set_title("quality on the test patterns")
    if raw_error is not None:
        axes[1].axhline(raw_error, color="k", ls="--", lw=1, label="raw patterns")
        axes[1].set_ylabel("test error of the readout")
        axes[1].set_title("readout of the deepest layer")
    n_rounds = len(next(iter(summary.values())).quality_mean)
    for ax in axes:
        ax.set_xlabel("pruning round (0 = unpruned)")
        ax.xaxis.set_major_locator(MaxNLocator(nbins=min(n_rounds, 8), integer=True))
        ax.grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    legend_below(fig)
    save_figure(fig, path)


# --------------------------------------------------------------------------- data preparation


def plot_data_preparation(path: Path, raw: np.ndarray, binary: np.ndarray,
                          on_fraction: np.ndarray, shape: tuple[int, int] | None,
                          raw_shape: tuple[int, int] | None, crop: int | None,
                          title: str) -> None:
    """What the run did to the file's rows: example rows as read, the same rows binarised,
    and every unit's on-fraction over all rows. With ``shape`` (h, w) the rows are shown as
    images (the raw ones as ``raw_shape``, with the crop box when ``crop`` is given), else
    as rasters of rows x units.

    raw: (k, d_raw) values as read; binary: (k, d) their 0/1 rows; on_fraction: (d,)."""
    import numpy as np
    from matplotlib.patches import Rectangle

    from boltzprune.app.figures import new_figure, save_figure

    k, d = binary.shape
    lo, hi = float(np.min(raw)), float(np.max(raw))
    hi = hi if hi > lo else lo + 1
    if shape is not None:
        rs = raw_shape or shape
        fig = new_figure((min(9.0, 1.3 * k + 3.2), 3.2))
        gs = fig.add_gridspec(2, k + 1, width_ratios=[1] * k + [1.9], wspace=0.12,
                              hspace=0.25)
        for j in range(k):
            a = fig.add_subplot(gs[0, j])
            a.imshow(raw[j].reshape(rs), cmap="gray_r", vmin=lo, vmax=hi,
                     interpolation="nearest")
            if crop is not None:
                a.add_patch(Rectangle((crop - 0.5, crop - 0.5), rs[1] - 2 * crop,
                                      rs[0] - 2 * crop, fill=False, ec="tab:red", lw=1.2))
            a.set_title(f"row {j}", fontsize=9)
            b = fig.add_subplot(gs[1, j])
            b.imshow(binary[j].reshape(shape), cmap="gray_r", vmin=0, vmax=1,
                     interpolation="nearest")
            for x in (a, b):
                x.set_xticks([])
                x.set_yticks([])
            if j == 0:
                a.set_ylabel("as read", fontsize=10)
                b.set_ylabel("binarised", fontsize=10)
        c = fig.add_subplot(gs[:, k])
        im = c.imshow(on_fraction.reshape(shape), cmap="viridis", vmin=0, vmax=1,
                      interpolation="nearest")
        c.set_xticks([])
        c.set_yticks([])
        c.set_title("on-fraction\nper unit", fontsize=10)
        fig.colorbar(im, ax=c, fraction=0.046, pad=0.04)
    else:
        fig = new_figure((9.0, 5.6))
        gs = fig.add_gridspec(3, 2, width_ratios=[40, 1], height_ratios=[1, 1, 1.1],
                              wspace=0.03, hspace=0.45)
        axes = [fig.add_subplot(gs[0, 0])]
        axes += [fig.add_subplot(gs[i, 0], sharex=axes[0]) for i in (1, 2)]
        ext = (-0.5, d - 0.5, k - 0.5, -0.5)
        im = axes[0].imshow(raw, cmap="viridis", vmin=lo, vmax=hi, aspect="auto",
                            interpolation="nearest", extent=ext)
        fig.colorbar(im, cax=fig.add_subplot(gs[0, 1]), label="value")
        axes[0].set_title(f"the first {k} rows as read", fontsize=10)
        im = axes[1].imshow(binary, cmap="gray_r", vmin=0, vmax=1, aspect="auto",
                            interpolation="nearest", extent=ext)
        fig.colorbar(im, cax=fig.add_subplot(gs[1, 1]), ticks=[0, 1], label="0 / 1")
        axes[1].set_title("the same rows binarised (black = 1)", fontsize=10)
        for a in axes[:2]:
            a.set_ylabel("row")
            a.set_yticks(range(k))
            a.tick_params(labelbottom=False)
        axes[2].bar(np.arange(d), on_fraction, width=1.0, color="tab:blue")
        axes[2].set_ylim(0, 1)
        axes[2].set_ylabel("on-fraction")
        axes[2].set_xlabel("unit")
        axes[2].set_title("on-fraction per unit, all rows", fontsize=10)
    fig.suptitle(title, fontsize=11)
    save_figure(fig, path)


__all__ += ["plot_data_preparation"]
