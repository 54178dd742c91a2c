"""DBM training (paper 4.3.2): greedy layer-wise pretraining with the Salakhutdinov-Hinton
weight doubling, stacking by averaging the biases of merged layers, and joint training with
a mean-field positive phase and persistent Gibbs chains for the negative phase.
Connectivity masks are honoured everywhere (gradient and momentum masked)."""

from __future__ import annotations

import dataclasses

import torch
from tqdm.auto import tqdm

from boltzprune._validate import (
    check_binary_matrix,
    check_generator,
)
from boltzprune.errors import DivergenceError, InvalidInputError, InvalidTypeError
from boltzprune.models.dbm import DBM
from boltzprune.models.rbm import RBM, init_rbm
from boltzprune.seeding import randint, randperm, uniform
from boltzprune.training.cd import TrainConfig, train_rbm
from boltzprune.training.config import DBMTrainConfig  # re-exported, where it always was
from boltzprune.training.hooks import Hook, UpdateState, call_hooks, check_hooks
from boltzprune.training.schedules import learning_rates, momenta

__all__ = ["DBMTrainConfig", "pretrain_dbm", "stack_rbms", "train_dbm"]


def stack_rbms(rbms: list[RBM]) -> DBM:
    """A DBM from RBMs trained bottom-up: weights and masks as trained, the bias of each
    merged layer the average of the two RBMs' biases for it (paper 4.3.2)."""
    biases = [rbms[0].b_v.clone()]
    for lower, upper in zip(rbms[:-1], rbms[1:], strict=True):
        biases.append((lower.b_h + upper.b_v) / 2)
    biases.append(rbms[-1].b_h.clone())
    return DBM([r.W.clone() for r in rbms], [r.mask.clone() for r in rbms], biases,
               [r.hidden_index.clone() for r in rbms])


def pretrain_dbm(
    sizes: list[int],
    data: torch.Tensor,
    configs: list[TrainConfig],
    *,
    generator: torch.Generator,
    masks: list[torch.Tensor] | None = None,
    weight_std: float = 0.1,
    visible_bias: float = -1.0,
    hidden_bias: float = -2.0,
    progress: bool = False,
) -> DBM:
    """Greedy layer-wise pretraining, then ``stack_rbms``.

    RBM l models layer l-1 (binary samples passed up from the RBM below) with layer l.
    Weight doubling: the first RBM doubles its bottom-up input, the last its top-down input,
    middle ones both (for a one-layer stack nothing is doubled).
    configs: one TrainConfig per RBM (their up/down factors are set here).
    """
    L = len(sizes) - 1
    if not all(isinstance(c, TrainConfig) for c in configs):
        raise InvalidTypeError(f"configs must be TrainConfigs, got "
                               f"{[type(c).__name__ for c in configs]}")
    if L < 1 or len(configs) != L:
        raise InvalidInputError(f"need {max(L, 1)} training configs for sizes {sizes}, got "
                                f"{len(configs)}")
    masks = masks or [None] * L
    x = data
    rbms = []
    for l in range(1, L + 1):
        up = 2.0 if (L > 1 and l < L) else 1.0
        down = 2.0 if (L > 1 and l > 1) else 1.0
        cfg = dataclasses.replace(configs[l - 1], up_factor=up, down_factor=down)
        rbm = init_rbm(sizes[l - 1], sizes[l], generator=generator, weight_std=weight_std,
                       visible_bias=visible_bias, hidden_bias=hidden_bias, mask=masks[l - 1])
        rbm = rbm.to(data.device)
        rbm = train_rbm(rbm, x, cfg, generator=generator, progress=progress,
                        desc=f"pretrain RBM {l}").rbm
        rbms.append(rbm)
        if l < L:  # binary samples of this layer, with the doubled bottom-up input
            p = torch.sigmoid(up * (x @ rbm.W) + rbm.b_h)
            x = (uniform(p.shape, generator, p.device) < p).to(p.dtype)
    return stack_rbms(rbms)


def train_dbm(
    dbm: DBM,
    data: torch.Tensor,
    config: DBMTrainConfig = DBMTrainConfig(),  # noqa: B008 (frozen)
    *,
    generator: torch.Generator,
    progress: bool = False,
    desc: str = "train DBM",
    hooks: list[Hook] | tuple[Hook, ...] = (),
) -> DBM:
    """Joint training of a copy of ``dbm`` on data: (n, n_visible) binary.

    Positive phase: mean-field marginals given each pattern; negative phase:
    ``config.n_chains`` persistent Gibbs chains (started from random training patterns),
    ``gibbs_steps`` sweeps per update. Update per weight matrix l:
    vel <- m vel + lr (<x_{l-1} x_l>_data - <x_{l-1} x_l>_model) * mask; W += vel; then each
    unit's incoming weight vector is rescaled to L2 norm <= max_norm. ``hooks`` are called
    after every update with its ``training.hooks.UpdateState``.
    """
    if not isinstance(config, DBMTrainConfig):
        raise InvalidTypeError(f"config must be a DBMTrainConfig, got {type(config).__name__}")
    check_generator("generator", generator)
    data = check_binary_matrix("data", data, n_columns=dbm.sizes[0]).to(dbm.device)
    hooks = check_hooks(hooks)
    dbm = dbm.clone()
    L = dbm.n_layers
    lrs = learning_rates(config.lr_schedule, config.lr_start, config.lr_end, config.epochs)
    moms = momenta(config.initial_momentum, config.momentum, config.momentum_switch_epoch,
                   config.epochs)
    vel_w = [torch.zeros_like(w) for w in dbm.weights]
    vel_b = [torch.zeros_like(b) for b in dbm.biases]
    # masks as factors; None where a matrix is dense (multiplying by 1 changes nothing)
    maskf = [None if bool(m.all()) else m.to(w.dtype)
             for m, w in zip(dbm.masks, dbm.weights, strict=True)]
    n = data.shape[0]
    idx = randint(n, (config.n_chains,), generator, dbm.device)
    chains = [data[idx]] + [(uniform((config.n_chains, s), generator, dbm.device) < 0.5).float()
                            for s in dbm.sizes[1:]]
    bar = tqdm(total=n * config.epochs, desc=desc, unit="pat", unit_scale=True, leave=False,
               mininterval=0.5) if progress else None
    step = 0
    try:
        for epoch in range(config.epochs):
            lr, mom = lrs[epoch], moms[epoch]
            order = randperm(n, generator, dbm.device)
            for start in range(0, n, config.batch_size):
                v = data[order[start:start + config.batch_size]]
                mus = dbm.mean_field(v, config.mean_field)
                for _ in range(config.gibbs_steps):
                    chains = dbm.gibbs_sweep(chains, generator)
                b, c = v.shape[0], config.n_chains
                for l in range(1, L + 1):
                    g = mus[l - 1].T @ mus[l] / b - chains[l - 1].T @ chains[l] / c
                    vel_w[l - 1].mul_(mom).add_(g, alpha=lr)
                    if maskf[l - 1] is not None:
                        vel_w[l - 1].mul_(maskf[l - 1])
                    dbm.weights[l - 1].add_(vel_w[l - 1])
                for l in range(L + 1):
                    g = mus[l].mean(0) - chains[l].mean(0)
                    vel_b[l].mul_(mom).add_(g, alpha=lr)
                    dbm.biases[l].add_(vel_b[l])
                for w in dbm.weights:
                    norms = w.norm(dim=0).clamp_min(config.max_norm)
                    w.mul_(config.max_norm / norms)
                step += 1
                if hooks:
                    masks = call_hooks(hooks, UpdateState(dbm, step, epoch, mus, chains))
                    if masks is not None:  # a hook pruned: removed weights and momentum go
                        maskf = [m.to(w.dtype) for m, w in zip(masks, dbm.weights, strict=True)]
                        for w, vw, m in zip(dbm.weights, vel_w, maskf, strict=True):
                            vw.mul_(m)
                            w.mul_(m)
                if bar is not None:
                    bar.update(b)
            if not all(bool(torch.isfinite(t).all()) for t in dbm.weights + dbm.biases):
                raise DivergenceError(f"{desc} diverged at epoch {epoch + 1}: parameters are "
                                      "NaN or infinite; try a smaller learning rate")
    finally:
        if bar is not None:
            bar.close()
    return dbm
