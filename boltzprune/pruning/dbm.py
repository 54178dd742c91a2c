"""Layer-wise Fisher pruning of DBMs (paper 2.4): every weight matrix is scored from the
joint model samples of its two layers, cut by the same fraction (with the zero-FI rule),
and hidden units disconnected from either side are removed."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from boltzprune.fisher.matrix_free import leading_fim_eigen
from boltzprune.models.dbm import DBM
from boltzprune.models.masks import remove_dead_units_dbm
from boltzprune.pruning.criteria import ImportanceContext, compute_importance, get_criterion
from boltzprune.pruning.step import prune_mask
from boltzprune.sampling import Samples

__all__ = ["dbm_importance", "PruneDBMResult", "prune_dbm"]


def dbm_importance(dbm: DBM, samples: list[torch.Tensor], criterion: str,
                   generator: torch.Generator) -> list[torch.Tensor]:
    """Importance of every weight of every layer pair under ``criterion`` ("layer-wise":
    pair (l-1, l) uses the joint samples of those two layers; "eigenvector" uses the leading
    eigenvector of the full FIM of all layers, computed matrix-free). samples: one (n, n_l)
    tensor per layer, as returned by ``sample_dbm``. Returns one (n_{l-1}, n_l) tensor per
    pair."""
    get_criterion(criterion)
    if len(samples) != dbm.n_layers + 1:
        raise ValueError(f"need samples of all {dbm.n_layers + 1} layers, got {len(samples)}")
    if criterion == "eigenvector":  # the full FIM of all layers, never formed
        eig = leading_fim_eigen(samples, dbm.masks, k=1)
        return [eig.blocks(0)[f"W{l}"].abs().float().to(dbm.device)
                for l in range(1, dbm.n_layers + 1)]
    out = []
    for l in range(1, dbm.n_layers + 1):
        ctx = ImportanceContext(dbm.layer_rbm(l), Samples(samples[l - 1], samples[l]),
                                generator)
        out.append(compute_importance(criterion, ctx))
    return out


@dataclass
class PruneDBMResult:
    dbm: DBM
    n_cut: list[int]  # weights cut by the criterion per matrix (before unit removal)
    removed_units: list[torch.Tensor]  # original indices of removed units, per hidden layer
    dead_visible: torch.Tensor  # visible units left without weights (never removed)


def prune_dbm(dbm: DBM, importances: list[torch.Tensor], fraction: float, *,
              generator: torch.Generator, zero_rule: bool = True) -> PruneDBMResult:
    """Cut ``fraction`` of each matrix's remaining weights (all zero-importance weights when
    they are more, paper 2.4), then remove disconnected hidden units."""
    if len(importances) != dbm.n_layers:
        raise ValueError(f"need one importance tensor per weight matrix ({dbm.n_layers}), got "
                         f"{len(importances)}")
    new = dbm.clone()
    cut = []
    for l, imp in enumerate(importances):
        m = prune_mask(new.masks[l], imp, fraction, generator=generator, zero_rule=zero_rule)
        cut.append(int(new.masks[l].sum() - m.sum()))
        new.masks[l] = m
        new.weights[l] = new.weights[l] * m
    small, removed, dead = remove_dead_units_dbm(new)
    return PruneDBMResult(small, cut, removed, dead)
