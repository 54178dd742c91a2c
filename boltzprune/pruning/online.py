"""Pruning during learning: weights go while the model trains, ranked by a criterion
computed from each synapse's running local statistics (``fisher.running.RunningFisher``).

An ``OnlinePruner`` is a training hook. After every update it folds the update's layer
states into the running averages; at the scheduled updates (``OnlinePruneConfig``) it ranks
the existing weights of every matrix by the criterion and assigns the model new masks, and
training zeroes the removed weights and their momentum before the next update
(``training.hooks``). Units keep their places while training runs, so the persistent chains
and the momentum keep their shapes; a unit that lost its connections (``alive_units``)
loses the rest of its weights at the same event, so it no longer touches any other unit,
and ``train_pruning`` removes such units when training ends, which leaves p(v) unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from boltzprune._validate import check_generator
from boltzprune.errors import InvalidInputError, InvalidTypeError
from boltzprune.fisher.running import RunningFisher
from boltzprune.models.dbm import DBM
from boltzprune.models.rbm import RBM
from boltzprune.pruning.config import OnlinePruneConfig
from boltzprune.pruning.criteria import CriteriaRegistry
from boltzprune.pruning.criteria import registry as default_registry
from boltzprune.pruning.step import cut_weights
from boltzprune.pruning.units import alive_units, remove_dead_units
from boltzprune.seeding import randint
from boltzprune.training.cd import TrainConfig, TrainResult, train_rbm
from boltzprune.training.config import DBMTrainConfig
from boltzprune.training.dbm import train_dbm
from boltzprune.training.hooks import Hook, UpdateState, model_masks

__all__ = ["OnlinePruneConfig", "PruneEvent", "OnlinePruner", "OnlineResult", "event_steps",
           "target_densities", "train_pruning"]


def event_steps(config: OnlinePruneConfig, updates_per_epoch: int, epochs: int) -> list[int]:
    """The updates (1-based, counted over the whole training) after which weights are cut:
    every ``config.every`` updates from the start of ``start_epoch`` to the end of
    ``end_epoch``."""
    end = epochs if config.end_epoch is None else config.end_epoch
    if end > epochs:
        raise InvalidInputError(f"end_epoch is {end} but training has {epochs} epochs")
    if config.start_epoch > epochs:
        raise InvalidInputError(f"start_epoch is {config.start_epoch} but training has "
                                f"{epochs} epochs")
    first = (config.start_epoch - 1) * updates_per_epoch
    steps = list(range(first + config.every, end * updates_per_epoch + 1, config.every))
    if not steps:
        raise InvalidInputError(f"no pruning event: epochs {config.start_epoch}-{end} have "
                                f"{(end - config.start_epoch + 1) * updates_per_epoch} updates, "
                                f"fewer than every={config.every}")
    return steps


def target_densities(final_density: float, n_events: int) -> list[float]:
    """The cubic schedule of Zhu & Gupta (2017): the density left after event k of K,
    d_f + (1 - d_f) (1 - k / K)^3, k = 1..K (the last is d_f)."""
    return [final_density + (1 - final_density) * (1 - k / n_events) ** 3
            for k in range(1, n_events + 1)]


@dataclass(frozen=True)
class PruneEvent:
    """One pruning event: after which update, in which epoch (1-based), the weights cut
    per matrix (by the criterion, then those of units left disconnected), the weights left
    per matrix and the hidden units still connected per hidden layer."""

    step: int
    epoch: int
    n_cut: list[int]
    weights: list[int]
    hidden_units: list[int]


class OnlinePruner:
    """The training hook that prunes by ``config`` at the updates ``steps`` (``event_steps``).

    model: the model as training starts (its weight counts set the schedule's targets);
    generator: ties at the cut and criteria that draw random numbers (on the model's
    device). ``events`` lists what each event did; ``tracker`` holds the running averages.
    """

    def __init__(self, config: OnlinePruneConfig, model: RBM | DBM, steps: Sequence[int], *,
                 generator: torch.Generator, registry: CriteriaRegistry = default_registry):
        if not isinstance(config, OnlinePruneConfig):
            raise InvalidTypeError(f"config must be an OnlinePruneConfig, got "
                                   f"{type(config).__name__}")
        self.config = config
        self.generator = check_generator("generator", generator)
        self.registry = registry
        registry.check_names([config.criterion])
        self.tracker = RunningFisher(model, decay=config.decay, phase=config.phase)
        self.steps = sorted(set(steps))
        self._event = {s: k for k, s in enumerate(self.steps)}
        self.initial = [int(m.sum()) for m in model_masks(model)]
        if config.final_density is not None:
            dens = target_densities(config.final_density, len(self.steps))
            self.targets: list[list[int]] | None = [
                [math.floor(n * d + 1e-9) for n in self.initial] for d in dens]
            small = [n for n, t in zip(self.initial, self.targets[-1], strict=True) if t < 1]
            if small:
                raise InvalidInputError(f"final_density {config.final_density:g} would leave "
                                        f"no weight of a matrix of {small[0]}")
        else:
            self.targets = None
        self.events: list[PruneEvent] = []

    def __call__(self, state: UpdateState) -> None:
        self.tracker(state)
        k = self._event.get(state.step)
        if k is not None:
            self._prune(state, k)

    def _prune(self, state: UpdateState, k: int) -> None:
        model = state.model
        masks = model_masks(model)
        counts = [int(m.sum()) for m in masks]
        if self.targets is not None:
            n_remove = [max(0, c - t) for c, t in zip(counts, self.targets[k], strict=True)]
        else:
            f = self.config.fraction
            n_remove = [c - math.floor(c * (1 - f) + 1e-9) for c in counts]
        if not any(n_remove):
            return
        x = state.model_phase if self.config.phase == "model" else state.data_phase
        imps = self.registry.importance(self.config.criterion, model, x, self.generator,
                                        statistics=self.tracker.statistics())
        new = [cut_weights(m, imp, r, generator=self.generator) if r else m
               for m, imp, r in zip(masks, imps, n_remove, strict=True)]
        alive = alive_units(new)
        for l, a in enumerate(alive, start=1):  # a disconnected unit loses all its weights
            if not bool(a.any()):
                raise InvalidInputError(f"pruning during learning disconnected every unit of "
                                        f"hidden layer {l} at update {state.step}; use a larger "
                                        "final_density or a smaller fraction")
            new[l - 1] = new[l - 1] & a[None, :]
            if l < len(new):
                new[l] = new[l] & a[:, None]
        if isinstance(model, RBM):
            model.mask = new[0]
            model.W.mul_(new[0])
        else:
            model.masks = new
            for w, m in zip(model.weights, new, strict=True):
                w.mul_(m)
        left = [int(m.sum()) for m in new]
        self.events.append(PruneEvent(state.step, state.epoch + 1,
                                      [c - n for c, n in zip(counts, left, strict=True)], left,
                                      [int(a.sum()) for a in alive]))


@dataclass
class OnlineResult:
    """A model trained while being pruned: the model with its disconnected units removed,
    the same model before removal (the training's last state), per hidden layer the
    original indices of the units removed, the events, the running statistics and, for an
    RBM, the training record."""

    model: RBM | DBM
    trained: RBM | DBM
    removed_units: list[torch.Tensor]
    events: list[PruneEvent]
    tracker: RunningFisher
    train: TrainResult | None


def train_pruning(model: RBM | DBM, data: torch.Tensor,
                  train_config: TrainConfig | DBMTrainConfig, config: OnlinePruneConfig, *,
                  generator: torch.Generator, registry: CriteriaRegistry = default_registry,
                  hooks: Sequence[Hook] = (), progress: bool = False,
                  desc: str = "train and prune") -> OnlineResult:
    """Train a copy of ``model`` on ``data`` (``train_rbm`` for an RBM with a
    ``TrainConfig``, ``train_dbm`` for a DBM with a ``DBMTrainConfig``) and prune it during
    training by ``config``. ``generator`` drives training; the pruning draws from a
    generator seeded by one draw from it. Further ``hooks`` run after the pruner."""
    check_generator("generator", generator)
    if isinstance(model, RBM) and isinstance(train_config, TrainConfig):
        batch = train_config.batch_size
    elif isinstance(model, DBM) and isinstance(train_config, DBMTrainConfig):
        batch = train_config.batch_size
    else:
        raise InvalidTypeError(f"train an RBM with a TrainConfig and a DBM with a "
                               f"DBMTrainConfig, got {type(model).__name__} and "
                               f"{type(train_config).__name__}")
    n = int(data.shape[0]) if hasattr(data, "shape") and len(data.shape) == 2 else 0
    if n == 0:
        raise InvalidInputError("data must be a non-empty (n_samples, n_visible) matrix")
    steps = event_steps(config, math.ceil(n / batch), train_config.epochs)
    seed = int(randint(2**62, (1,), generator, generator.device).item())
    prune_gen = torch.Generator(generator.device).manual_seed(seed)
    pruner = OnlinePruner(config, model, steps, generator=prune_gen, registry=registry)
    all_hooks = [pruner, *hooks]
    if isinstance(model, RBM):
        res = train_rbm(model, data, train_config, generator=generator, progress=progress,
                        desc=desc, hooks=all_hooks)
        trained, record = res.rbm, res
    else:
        trained = train_dbm(model, data, train_config, generator=generator, progress=progress,
                            desc=desc, hooks=all_hooks)
        record = None
    r = remove_dead_units(trained)
    return OnlineResult(r.model, trained, r.removed, pruner.events, pruner.tracker, record)
