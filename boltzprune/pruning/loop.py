"""Iterative pruning: (samples -> importance -> prune -> drop units -> retrain) x K."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from boltzprune._validate import check_fraction, check_positive_int
from boltzprune.models.rbm import RBM
from boltzprune.pruning.criteria import ImportanceContext, compute_importance, get_criterion
from boltzprune.pruning.step import prune_rbm
from boltzprune.sampling import Samples, SamplingConfig, sample_rbm
from boltzprune.seeding import stage_generator
from boltzprune.training.cd import TrainConfig, train_rbm

__all__ = ["PruneIteration", "prune_retrain_loop"]


@dataclass
class PruneIteration:
    """One round of the loop. ``importance`` is on the model before pruning."""

    iteration: int  # 1-based
    importance: torch.Tensor | None  # (n_visible, n_hidden); None when restored from disk
    pruned: RBM  # right after pruning and unit removal
    retrained: RBM  # after retraining
    n_removed_weights: int
    removed_hidden: torch.Tensor  # original indices of hidden units removed this round


def prune_retrain_loop(
    rbm: RBM,
    data: torch.Tensor,
    criterion: str,
    *,
    iterations: int,
    fraction: float,
    train_config: TrainConfig,
    sampling_config: SamplingConfig,
    seed: int,
    first_samples: Samples | None = None,
    on_iteration: Callable[[PruneIteration], None] | None = None,
    restore: Callable[[int], PruneIteration | None] | None = None,
    progress: bool = False,
) -> list[PruneIteration]:
    """Prune ``rbm`` ``iterations`` times by ``fraction`` of its remaining weights under
    ``criterion``, retraining after each cut (paper 4.4.1).

    Every stage draws its randomness from (seed, criterion, iteration, stage), so a stage
    can be recomputed alone. ``first_samples`` (model samples of ``rbm``) lets several
    criteria share the first importance estimate, as in the paper's comparison.
    ``restore(iteration)`` may return a finished round (e.g. read from checkpoints when a
    run resumes); it is then used instead of recomputing that round.
    """
    get_criterion(criterion)
    iterations = check_positive_int("iterations", iterations)
    fraction = check_fraction("fraction", fraction)
    out: list[PruneIteration] = []
    current = rbm
    for it in range(1, iterations + 1):
        record = restore(it) if restore is not None else None
        if record is not None:
            out.append(record)
            if on_iteration is not None:
                on_iteration(record)
            current = record.retrained
            continue
        if it == 1 and first_samples is not None:
            samples = first_samples
        else:
            samples = sample_rbm(current, sampling_config, data=data, progress=progress,
                                 generator=stage_generator(seed, criterion, it, "sample"))
        ctx = ImportanceContext(current, samples, stage_generator(seed, criterion, it, "score"))
        imp = compute_importance(criterion, ctx)
        res = prune_rbm(current, imp, fraction,
                        generator=stage_generator(seed, criterion, it, "prune"))
        retrained = train_rbm(res.rbm, data, train_config, progress=progress,
                              desc=f"{criterion} retrain {it}",
                              generator=stage_generator(seed, criterion, it, "retrain")).rbm
        record = PruneIteration(it, imp, res.rbm, retrained, res.n_removed_weights,
                                res.removed_hidden)
        out.append(record)
        if on_iteration is not None:
            on_iteration(record)
        current = retrained
    return out
