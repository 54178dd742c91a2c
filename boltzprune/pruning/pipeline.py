"""Iterative pruning, one pipeline for RBMs and DBMs (paper 2.3, 2.4, 4.4.1):

    (model samples -> importance -> cut -> remove dead units -> retrain -> checkpoint) x K

Every stage draws its randomness from a generator on the model's device seeded by (seed,
criterion, round, stage), so that a stage can be recomputed alone; with a checkpoint folder,
finished rounds are read back instead of recomputed, and an interrupted run resumes where it
stopped with the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from boltzprune._validate import check_choice, check_fraction, check_positive_int
from boltzprune.errors import InvalidInputError
from boltzprune.io import load_checkpoint, load_model, save_checkpoint, save_model
from boltzprune.models.dbm import DBM
from boltzprune.models.rbm import RBM
from boltzprune.pruning.criteria import CriteriaRegistry, n_matrices
from boltzprune.pruning.criteria import registry as default_registry
from boltzprune.pruning.step import prune_model
from boltzprune.sampling import SamplingConfig, sample_dbm, sample_rbm
from boltzprune.seeding import stage_generator
from boltzprune.training.cd import TrainConfig, train_rbm
from boltzprune.training.dbm import DBMTrainConfig, train_dbm

__all__ = ["SAMPLE_WHEN", "PruneConfig", "PruneRound", "PruneHistory", "model_samples",
           "shared_samples",
           "retrain_model", "prune_retrain"]

SAMPLE_WHEN = ("before_cut", "after_retrain")
Model = RBM | DBM


@dataclass(frozen=True)
class PruneConfig:
    """How to prune: by which criterion, how many rounds, how much per round."""

    criterion: str  # a name in the criteria registry
    iterations: int = 3  # prune -> retrain rounds (paper: RBM 3, DBM 10)
    fraction: float = 0.5  # share of each weight matrix's remaining weights cut per round
    # DBM rule (paper 2.4): when more weights than the cut have importance exactly 0, cut
    # all of them
    zero_rule: bool = False
    # when each round's model samples are drawn: "before_cut" (round k samples the model it
    # is about to prune) or "after_retrain" (round k ends by sampling its retrained model,
    # which scores round k + 1 and is kept in the round's record for evaluation)
    sample_when: str = "before_cut"

    def __post_init__(self) -> None:
        if not isinstance(self.criterion, str) or not self.criterion.isidentifier():
            raise InvalidInputError(f"criterion must be a criterion's name, got "
                                    f"{self.criterion!r}")
        check_positive_int("iterations", self.iterations)
        check_fraction("fraction", self.fraction)
        check_choice("sample_when", self.sample_when, SAMPLE_WHEN)


@dataclass
class PruneRound:
    """One round. ``importance`` (one tensor per weight matrix, on the model before the cut)
    is None when the round was read back from checkpoints."""

    iteration: int  # 1-based
    importance: list[torch.Tensor] | None
    pruned: Model  # right after the cut and unit removal
    retrained: Model  # after retraining
    n_cut: list[int]  # weights cut per matrix (before unit removal)
    removed_units: list[torch.Tensor]  # per hidden layer, original indices removed this round
    # with sample_when "after_retrain": joint samples of ``retrained``, one tensor per layer
    samples: list[torch.Tensor] | None = None

    @property
    def restored(self) -> bool:
        return self.importance is None


@dataclass
class PruneHistory:
    """Every round, in order; ``final`` is the last retrained model."""

    rounds: list[PruneRound]

    @property
    def final(self) -> Model:
        return self.rounds[-1].retrained


def model_samples(model: Model, config: SamplingConfig, *, generator: torch.Generator,
                  data: torch.Tensor | None = None, progress: bool = False
                  ) -> list[torch.Tensor]:
    """Joint model samples, one (n_samples, n_l) tensor per layer (visible first)."""
    if isinstance(model, RBM):
        s = sample_rbm(model, config, data=data, progress=progress, generator=generator)
        return [s.v, s.h]
    return sample_dbm(model, config, data=data, progress=progress, generator=generator)


def shared_samples(model: Model, config: SamplingConfig, path: str | Path, *,
                   generator: torch.Generator, data: torch.Tensor | None = None,
                   meta: dict[str, Any] | None = None, names: list[str] | None = None
                   ) -> list[torch.Tensor]:
    """The model samples several criteria share (each one's first importance estimate, as in
    the paper's comparison): drawn once with ``generator`` and kept at ``path`` (0/1 values
    as uint8, one tensor per layer named ``names``, default x0, x1, ...); a later call, in
    any process, reads them back onto the model's device."""
    names = names or [f"x{l}" for l in range(n_matrices(model) + 1)]
    if Path(path).exists():
        t = load_checkpoint(path)[0]
        return [t[k].to(torch.float32).to(model.device) for k in names]
    samples = model_samples(model, config, data=data, generator=generator)
    save_checkpoint(path, {k: s.to(torch.uint8) for k, s in zip(names, samples, strict=True)},
                    meta)
    return samples


def retrain_model(model: Model, data: torch.Tensor, config: TrainConfig | DBMTrainConfig, *,
                  generator: torch.Generator, progress: bool = False, desc: str = "retrain"
                  ) -> Model:
    """Train ``model`` further with its masks held (CD for an RBM, mean-field + PCD joint
    training for a DBM); momentum and persistent chains start afresh."""
    if isinstance(model, RBM):
        if not isinstance(config, TrainConfig):
            raise InvalidInputError(f"an RBM retrains with a TrainConfig, got "
                                    f"{type(config).__name__}")
        return train_rbm(model, data, config, progress=progress, desc=desc,
                         generator=generator).rbm
    if not isinstance(config, DBMTrainConfig):
        raise InvalidInputError(f"a DBM retrains with a DBMTrainConfig, got "
                                f"{type(config).__name__}")
    return train_dbm(model, data, config, generator=generator)


def _round_meta(model: RBM | DBM, res_cut: list[int], removed: list[torch.Tensor]
                ) -> dict[str, Any]:
    if isinstance(model, RBM):
        return {"n_removed_weights": res_cut[0], "removed_hidden": removed[0].tolist()}
    return {"n_cut": res_cut, "removed_units": [r.tolist() for r in removed]}


def _read_round(k: int, paths: tuple[Path, Path], device: torch.device,
                expected: dict[str, Any]) -> PruneRound:
    (pruned, meta), (retrained, _) = (load_model(p, device) for p in paths)
    for key, value in expected.items():  # older checkpoints may lack a key: not checked
        if key in meta and meta[key] != value:
            raise InvalidInputError(f"{paths[0]}: holds a round of another run ({key} "
                                    f"{meta[key]!r}, this run {value!r}); use another "
                                    "checkpoint folder")
    if isinstance(pruned, RBM):
        n_cut = [meta["n_removed_weights"]]
        removed = [torch.tensor(meta["removed_hidden"], dtype=torch.int64)]
    else:
        n_cut = list(meta["n_cut"])
        removed = [torch.tensor(r, dtype=torch.int64) for r in meta["removed_units"]]
    return PruneRound(k, None, pruned, retrained, n_cut, removed)


def prune_retrain(
    model: Model,
    data: torch.Tensor,
    prune: PruneConfig,
    *,
    retrain: TrainConfig | DBMTrainConfig,
    sampling: SamplingConfig,
    seed: int,
    first_samples: list[torch.Tensor] | None = None,
    checkpoints: str | Path | None = None,
    meta: dict[str, Any] | None = None,
    registry: CriteriaRegistry = default_registry,
    on_round: Callable[[PruneRound], None] | None = None,
    progress: bool = False,
) -> PruneHistory:
    """Prune ``model`` (an RBM or a DBM) ``prune.iterations`` times by ``prune.fraction`` of
    each weight matrix's remaining weights under ``prune.criterion``, retraining after each
    cut with ``retrain``.

    data: (n, n_visible) binary training patterns (retraining; chains started from data).
    first_samples: model samples of ``model`` (one tensor per layer) that round 1 scores
    with, so that several criteria share the first estimate as in the paper's comparison;
    drawn with the round-1 key when None. checkpoints: a folder for
    ``iter<k>_pruned.safetensors`` and ``iter<k>_retrained.safetensors`` (metadata: ``meta``
    plus the criterion, round, stage, the weights cut and the units removed); rounds whose
    two files exist are read back. ``on_round`` is called after every round, read back or
    computed.
    """
    registry.get(prune.criterion)  # an unknown name fails before any work
    crit = prune.criterion
    folder = Path(checkpoints) if checkpoints is not None else None
    rounds: list[PruneRound] = []
    current = model

    def gen(it: int, stage: str) -> torch.Generator:  # on the model's device
        return stage_generator(seed, crit, it, stage, device=current.device)

    # what every round's checkpoints record, and what a round read back must match
    info = {**({} if meta and "seed" in meta else {"seed": seed}), **(meta or {}),
            "criterion": crit}
    samples = first_samples
    for it in range(1, prune.iterations + 1):
        paths = ((folder / f"iter{it}_pruned.safetensors",
                  folder / f"iter{it}_retrained.safetensors") if folder else None)
        if paths is not None and all(p.exists() for p in paths):
            record = _read_round(it, paths, current.device,
                                 info | {"iteration": it, "fraction": prune.fraction})
        else:
            if samples is None:
                samples = model_samples(current, sampling, data=data, progress=progress,
                                        generator=gen(it, "sample"))
            imps = registry.importance(crit, current, samples, gen(it, "score"))
            res = prune_model(current, imps, prune.fraction, zero_rule=prune.zero_rule,
                              generator=gen(it, "prune"))
            retrained = retrain_model(res.model, data, retrain, progress=progress,
                                      desc=f"{crit} retrain {it}", generator=gen(it, "retrain"))
            record = PruneRound(it, imps, res.model, retrained, res.n_cut, res.removed_units)
            if paths is not None:
                for stage, m, p in (("pruned", res.model, paths[0]),
                                    ("retrained", retrained, paths[1])):
                    save_model(p, m, {**info, "iteration": it, "stage": stage,
                                      **_round_meta(m, res.n_cut, res.removed_units),
                                      "fraction": prune.fraction})
        current = record.retrained
        samples = None
        if prune.sample_when == "after_retrain":
            samples = model_samples(current, sampling, data=data, progress=progress,
                                    generator=gen(it, "sample"))
            record.samples = samples
        rounds.append(record)
        if on_round is not None:
            on_round(record)
    return PruneHistory(rounds)
