"""Figures of the RBM experiment (paper Fig 1 and 2, plus units and likelihood per stage)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.ticker import MaxNLocator

from boltzprune.app.figures import color as _color
from boltzprune.app.figures import count_ticks, legend_below, new_figure
from boltzprune.app.figures import label as _label
from boltzprune.app.figures import save_figure as _save

if TYPE_CHECKING:
    from boltzprune.app.rbm_patches.summary import CriterionSummary

__all__ = ["plot_fim", "plot_rank_frequency", "plot_stage_curves"]

def _blocks_image(fig, spec, x: np.ndarray, n_v: int, n_h: int, title: str) -> None:
    """Show a parameter vector x: (P,) as W (n_v x n_h) with b_h above and b_v at the left,
    each normalised to its largest magnitude."""
    nw = n_v * n_h
    W = np.abs(x[:nw].reshape(n_v, n_h))
    bv, bh = np.abs(x[nw:nw + n_v]), np.abs(x[nw + n_v:])
    scale = max(W.max(), bv.max(), bh.max(), 1e-12)
    sub = spec.subgridspec(2, 2, width_ratios=[1, n_h], height_ratios=[1, n_v],
                           wspace=0.03, hspace=0.06)
    ax_bh = fig.add_subplot(sub[0, 1])
    ax_bv = fig.add_subplot(sub[1, 0])
    ax_w = fig.add_subplot(sub[1, 1])
    kw = {"cmap": "viridis", "vmin": 0, "vmax": 1, "aspect": "auto", "interpolation": "nearest"}
    ax_bh.imshow(bh[None, :] / scale, **kw)
    ax_bv.imshow(bv[:, None] / scale, **kw)
    im = ax_w.imshow(W / scale, **kw)
    ax_bh.set_title(title)
    for a in (ax_bh, ax_bv, ax_w):
        a.set_xticks([])
        a.set_yticks([])
    ax_bv.set_ylabel("b_v / visible unit")
    ax_bh.set_ylabel("b_h", rotation=0, labelpad=12, va="center")
    ax_w.set_xlabel("hidden unit (W columns)")
    fig.colorbar(im, ax=ax_w, fraction=0.03, pad=0.01, label="normalised importance")


def plot_fim(path: Path, F: np.ndarray, eigvec: np.ndarray, eig_sampled: Sequence[float],
             eig_exact: Sequence[float], n_v: int, n_h: int, title: str,
             paper_eigenvalues: Sequence[float] = ()) -> None:
    """Figure 1: (B) |FIM| heat map, (C) leading eigenvector and (D) diagonal as W / b_v /
    b_h images, and the eigenvalue spectrum (sampled, exact, paper)."""
    fig = new_figure((11, 9))
    gs = fig.add_gridspec(2, 2, width_ratios=[1, 1.35], hspace=0.3, wspace=0.25)
    ax = fig.add_subplot(gs[0, 0])
    A = np.abs(F)
    floor = max(A.max() * 1e-5, 1e-12)
    im = ax.imshow(np.maximum(A, floor), norm=LogNorm(vmin=floor, vmax=A.max()),
                   cmap="magma", interpolation="nearest")
    nw = n_v * n_h
    for b in (nw, nw + n_v):
        ax.axhline(b - 0.5, color="w", lw=0.5)
        ax.axvline(b - 0.5, color="w", lw=0.5)
    ax.set_title("B  |FIM| (sampled); blocks W | b_v | b_h")
    ax.set_xlabel("parameter")
    ax.set_ylabel("parameter")
    fig.colorbar(im, ax=ax, fraction=0.046)
    _blocks_image(fig, gs[0, 1], eigvec, n_v, n_h, "C  |first eigenvector| of the FIM")
    _blocks_image(fig, gs[1, 1], np.diag(F), n_v, n_h, "D  FIM diagonal")
    ax = fig.add_subplot(gs[1, 0])
    k = np.arange(1, len(eig_sampled) + 1)
    ax.semilogy(k, eig_sampled, "o-", label="sampled FIM")
    ax.semilogy(np.arange(1, len(eig_exact) + 1), eig_exact, "x--", label="exact FIM")
    if len(paper_eigenvalues):
        ax.semilogy(np.arange(1, len(paper_eigenvalues) + 1), paper_eigenvalues, "s",
                    mfc="none", color="k", label="paper")
    ax.set_xlabel("rank")
    ax.set_ylabel("eigenvalue")
    ax.set_title("Eigenvalue spectrum")
    # below the axes, clear of the curves at any spectrum
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.17), ncol=3, frameon=False)
    fig.suptitle(title)
    _save(fig, path)


def plot_rank_frequency(path: Path, ranks: dict[str, np.ndarray], criteria: Sequence[str],
                        iterations: int, title: str) -> None:
    """Figure 2: rank-frequency of the model's patterns after pruning and after retraining,
    per iteration and criterion, against the training data (dashed)."""
    fig = new_figure((10, 3.2 * iterations))
    axes = fig.subplots(iterations, 2, sharex=True,
                             sharey=True, squeeze=False)
    data = ranks["data"]
    for it in range(1, iterations + 1):
        for col, stage in enumerate(("pruned", "retrained")):
            ax = axes[it - 1, col]
            ax.loglog(np.arange(1, len(data) + 1), data, "k--", lw=1.5, label="training data")
            for c in criteria:
                r = ranks.get(f"{c}/{it}/{stage}")
                if r is not None:
                    r = r[r > 0]
                    ax.loglog(np.arange(1, len(r) + 1), r, color=_color(c), lw=1, label=_label(c))
            after = "pruning" if stage == "pruned" else "retraining"
            ax.set_title(f"iteration {it}, after {after}")
            ax.set_ylim(1e-7, 1)
            if col == 0:
                ax.set_ylabel("pattern probability")
            if it == iterations:
                ax.set_xlabel("rank")
    fig.suptitle(title)
    fig.tight_layout()
    legend_below(fig)
    _save(fig, path)


def plot_stage_curves(path: Path, summary: Mapping[str, CriterionSummary],
                      criteria: Sequence[str], title: str) -> None:
    """Hidden units against remaining weights, and exact log-likelihood after pruning and
    after retraining, mean and spread over seeds.

    summary[criterion]: the criterion's ``CriterionSummary`` (sequences over iterations
    0..K: weights, units_mean/sd, ll_pruned_mean/sd, ll_retrained_mean/sd).
    """
    fig = new_figure((11, 4.2))
    axes = fig.subplots(1, 3)
    for c in criteria:
        s = summary[c]
        kw = {"color": _color(c), "label": _label(c)}
        axes[0].errorbar(s.weights, s.units_mean, yerr=s.units_sd, marker="o", capsize=3,
                         **kw)
        it = np.arange(len(s.weights))
        axes[1].errorbar(it, s.ll_pruned_mean, yerr=s.ll_pruned_sd, marker="o", capsize=3,
                         **kw)
        axes[2].errorbar(it, s.ll_retrained_mean, yerr=s.ll_retrained_sd, marker="o",
                         capsize=3, **kw)
    weights = summary[criteria[0]].weights
    axes[0].set_xscale("log")
    count_ticks(axes[0], weights)
    axes[0].invert_xaxis()
    axes[0].set_xlabel("remaining weights")
    axes[0].set_ylabel("hidden units left")
    axes[0].set_title("Units left (Table 1)")
    for ax, what in ((axes[1], "right after pruning"), (axes[2], "after retraining")):
        ax.set_xlabel("pruning iteration\n(0 = trained, unpruned)")
        ax.xaxis.set_major_locator(MaxNLocator(nbins=min(len(weights), 8), integer=True))
        ax.set_ylabel("exact log-likelihood\nper pattern (nats)")
        ax.set_title(f"Log-likelihood {what}")
    fig.suptitle(title)
    fig.tight_layout()
    legend_below(fig)
    _save(fig, path)


# --------------------------------------------------------------------------- data preparation

DATA_PREPARATION_EXAMPLES = 8  # patches shown as discs in the data-preparation figure


def _circle_edges(centres: np.ndarray, offsets: np.ndarray) -> list:
    """The outline of each digital circle (pixel edges with no neighbour of the same circle)
    as line segments in image coordinates. centres: (k, 2) (y, x); offsets: (n_pixels, 2)."""
    segs = []
    own = {(int(dy), int(dx)) for dy, dx in offsets}
    for cy, cx in centres:
        for dy, dx in own:
            y, x = cy + dy, cx + dx
            if (dy - 1, dx) not in own:
                segs.append([(x - 0.5, y - 0.5), (x + 0.5, y - 0.5)])
            if (dy + 1, dx) not in own:
                segs.append([(x - 0.5, y + 0.5), (x + 0.5, y + 0.5)])
            if (dy, dx - 1) not in own:
                segs.append([(x - 0.5, y - 0.5), (x - 0.5, y + 0.5)])
            if (dy, dx + 1) not in own:
                segs.append([(x + 0.5, y - 0.5), (x + 0.5, y + 0.5)])
    return sorted(segs)


def data_preparation_examples(prep) -> np.ndarray:
    """Indices (into ``prep.patches``) of the patches the data-preparation figure shows: the
    first ``DATA_PREPARATION_EXAMPLES`` that are training patterns (``prep.rows >= 0``)."""
    return np.flatnonzero(prep.rows >= 0)[:DATA_PREPARATION_EXAMPLES]


def plot_data_preparation(path: Path, prep, title: str) -> None:
    """Paper Fig 1 A from the run's own data: the source photograph (for "tiles" with the
    square crop that became the first tile), the source image as thresholded, its binarised
    version with the circular patch mask (radius ``prep.radius``) drawn on it, and example
    training patches as discs. prep: ``boltzprune.data.patches.PatchPreparation``."""
    import numpy as np
    from matplotlib.collections import LineCollection
    from matplotlib.patches import Rectangle

    from boltzprune.app.figures import new_figure, save_figure
    from boltzprune.data.patches import circle_offsets

    offs = circle_offsets(prep.radius)
    reach = int(np.abs(offs).max())
    shown = data_preparation_examples(prep)
    fig = new_figure((9.0, 4.6))
    gs = fig.add_gridspec(2, 1, height_ratios=[2.7, 1.0], hspace=0.28)
    top = gs[0].subgridspec(1, 3, wspace=0.25)
    axes = [fig.add_subplot(top[0, i]) for i in range(3)]
    for a in axes:
        a.set_xticks([])
        a.set_yticks([])
    h, w = prep.binary.shape
    # panel 1: where the image came from
    ax = axes[0]
    if prep.source == "tiles" and prep.photo_image is not None and prep.crop is not None:
        ax.imshow(prep.photo_image, cmap="gray", vmin=0, vmax=1, interpolation="antialiased")
        y, x, side = prep.crop
        ax.add_patch(Rectangle((x - 0.5, y - 0.5), side, side, fill=False, ec="tab:red",
                               lw=1.5))
        ax.set_title(f"photograph '{prep.photo}'\nred: the crop of tile {prep.index}",
                     fontsize=10)
    elif prep.source == "photos" and prep.photo_image is not None:
        ax.imshow(prep.photo_image, cmap="gray", vmin=0, vmax=1, interpolation="antialiased")
        ax.set_title(f"photograph '{prep.photo}'", fontsize=10)
    else:
        ax.imshow(prep.image, interpolation="nearest")
        ax.set_title(f"CIFAR-10 image {prep.index}", fontsize=10)
    # panel 2: the image as thresholded; panel 3: binarised, with the patch mask
    if prep.source == "photos":
        axes[1].imshow(prep.binary, cmap="gray_r", vmin=0, vmax=1, interpolation="antialiased")
        axes[1].set_title(f"binarised, {h} x {w}\nred: the window at the right", fontsize=10)
        cy, cx = prep.centres[shown[0]] if len(shown) else prep.centres[0]
        half = 4 * reach + 2
        y0, y1 = max(0, cy - half), min(h, cy + half + 1)
        x0, x1 = max(0, cx - half), min(w, cx + half + 1)
        axes[1].add_patch(Rectangle((x0 - 0.5, y0 - 0.5), x1 - x0, y1 - y0, fill=False,
                                    ec="tab:red", lw=1.5))
        ax = axes[2]
        ax.imshow(prep.binary[y0:y1, x0:x1], cmap="gray_r", vmin=0, vmax=1,
                  interpolation="nearest")
        inside = [i for i in shown if y0 + reach <= prep.centres[i][0] < y1 - reach
                  and x0 + reach <= prep.centres[i][1] < x1 - reach]
        centres = prep.centres[inside] - np.array([y0, x0])
        ax.set_title(f"window of {y1 - y0} x {x1 - x0} pixels\nred: patch mask, "
                     f"{len(offs)} pixels", fontsize=10)
    else:
        if prep.source == "tiles":
            axes[1].imshow(np.clip(prep.image, 0, 1), interpolation="nearest")
            axes[1].set_title(f"tile {prep.index}, {h} x {w} pixels", fontsize=10)
        else:
            axes[1].imshow(prep.intensity, cmap="gray", interpolation="nearest")
            axes[1].set_title(f"RGB summed, {h} x {w} pixels", fontsize=10)
        ax = axes[2]
        ax.imshow(prep.binary, cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
        centres = prep.centres
        ax.add_collection(LineCollection(_circle_edges(np.delete(centres, shown, axis=0), offs),
                                         colors="tab:blue", linewidths=0.8))
        centres = centres[shown]
        ax.set_title(f"binarised, {len(prep.centres)} patch masks\nred: the patches below",
                     fontsize=10)
    ax.add_collection(LineCollection(_circle_edges(centres, offs), colors="tab:red",
                                     linewidths=1.6))
    # bottom: example patches as discs (pixels outside the circle blank)
    bottom = gs[1].subgridspec(1, DATA_PREPARATION_EXAMPLES, wspace=0.15)
    side = 2 * reach + 1
    for j, i in enumerate(shown):
        a = fig.add_subplot(bottom[0, j])
        disc = np.full((side, side), np.nan)
        disc[offs[:, 0] + reach, offs[:, 1] + reach] = prep.patches[i]
        a.imshow(np.ma.masked_invalid(disc), cmap="gray_r", vmin=0, vmax=1,
                 interpolation="nearest")
        a.add_collection(LineCollection(_circle_edges(np.array([[reach, reach]]), offs),
                                        colors="tab:red", linewidths=1.2))
        a.set_xlim(-0.6, side - 0.4)
        a.set_ylim(side - 0.4, -0.6)
        a.set_axis_off()
        a.set_title(f"row {int(prep.rows[i])}\n{int(prep.patches[i].sum())} on", fontsize=9)
    fig.suptitle(title, fontsize=11)
    low = min(a.get_position().y0 for a in fig.axes)
    fig.text(0.5, low - 0.02, "binarised: black = 1 (on), white = 0 (off)", ha="center",
             va="top", fontsize=9)
    save_figure(fig, path)


__all__ += ["plot_data_preparation", "data_preparation_examples"]
