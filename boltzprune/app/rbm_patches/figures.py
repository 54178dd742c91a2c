"""Figures of the RBM experiment (paper Fig 1 and 2, plus units and likelihood per stage)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.colors import LogNorm

from boltzprune.app.figures import color as _color
from boltzprune.app.figures import label as _label
from boltzprune.app.figures import new_figure
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
    ax_bh.set_title(title, fontsize=10)
    for a in (ax_bh, ax_bv, ax_w):
        a.set_xticks([])
        a.set_yticks([])
    ax_bv.set_ylabel("b_v / visible unit")
    ax_bh.set_ylabel("b_h", rotation=0, labelpad=10, fontsize=8)
    ax_w.set_xlabel("hidden unit (W columns)")
    fig.colorbar(im, ax=ax_w, fraction=0.03, pad=0.01, label="normalised importance")


def plot_fim(path: Path, F: np.ndarray, eigvec: np.ndarray, eig_sampled: Sequence[float],
             eig_exact: Sequence[float], n_v: int, n_h: int, title: str,
             paper_eigenvalues: Sequence[float] = ()) -> None:
    """Figure 1: (B) |FIM| heat map, (C) leading eigenvector and (D) diagonal as W / b_v /
    b_h images, and the eigenvalue spectrum (sampled, exact, paper)."""
    fig = new_figure((13, 9.5))
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
    ax.set_title("B  |FIM| (sampled); blocks W | b_v | b_h", fontsize=10)
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
    ax.set_title("Eigenvalue spectrum", fontsize=10)
    ax.legend()
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
            ax.set_title(f"iteration {it}, after {after}", fontsize=10)
            ax.set_ylim(1e-7, 1)
            if col == 0:
                ax.set_ylabel("pattern probability")
            if it == iterations:
                ax.set_xlabel("rank")
    axes[0, 1].legend(fontsize=8, loc="lower left")
    fig.suptitle(title)
    fig.tight_layout()
    _save(fig, path)


def plot_stage_curves(path: Path, summary: Mapping[str, CriterionSummary],
                      criteria: Sequence[str], title: str) -> None:
    """Hidden units against remaining weights, and exact log-likelihood after pruning and
    after retraining, mean and spread over seeds.

    summary[criterion]: the criterion's ``CriterionSummary`` (sequences over iterations
    0..K: weights, units_mean/sd, ll_pruned_mean/sd, ll_retrained_mean/sd).
    """
    fig = new_figure((15, 4.2))
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
    axes[0].set_xticks(weights, [str(int(w)) for w in weights])
    axes[0].minorticks_off()
    axes[0].invert_xaxis()
    axes[0].set_xlabel("remaining weights")
    axes[0].set_ylabel("hidden units left")
    axes[0].set_title("Units left (Table 1)", fontsize=10)
    for ax, what in ((axes[1], "right after pruning"), (axes[2], "after retraining")):
        ax.set_xlabel("pruning iteration (0 = trained, unpruned)")
        ax.set_xticks(range(len(weights)))
        ax.set_ylabel("exact log-likelihood per pattern (nats)")
        ax.set_title(f"Log-likelihood {what}", fontsize=10)
    axes[0].legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    _save(fig, path)
