"""Contrastive divergence (CD-k) and persistent CD (PCD-k) training of an RBM (paper 4.3.1).

One update on a minibatch of B patterns v0:
    positive = v0^T p(h|v0) / B, negative = v_k^T p(h|v_k) / B   (and the same for biases),
    vel <- momentum * vel + lr * (positive - negative) * mask,  param <- param + vel.
v_k comes from k alternating Gibbs steps started at v0 (CD) or at persistent chains (PCD).
Removed weights stay exactly 0: both the gradient and the momentum are masked.
Batch size 1 on the CPU runs a compiled loop (``_online.py``); everything else is PyTorch,
and so is every run with hooks (``training.hooks``), which see each update.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from tqdm.auto import tqdm

from boltzprune._validate import (
    check_generator,
)
from boltzprune.errors import DivergenceError, InvalidInputError, InvalidTypeError
from boltzprune.models.rbm import RBM, as_binary
from boltzprune.seeding import randperm, uniform
from boltzprune.training.config import AUTHORS_CODE_RBM, PAPER_RBM, TrainConfig  # re-exported
from boltzprune.training.hooks import Hook, UpdateState, call_hooks, check_hooks
from boltzprune.training.schedules import learning_rates, momenta

__all__ = ["TrainConfig", "TrainResult", "train_rbm", "cd_statistics", "PAPER_RBM",
           "AUTHORS_CODE_RBM"]

COMPILED_MAX_WEIGHTS = 20_000  # "auto" uses the compiled online loop up to this size


@dataclass
class TrainResult:
    """The trained RBM and per-epoch diagnostics."""

    rbm: RBM
    reconstruction_error: list[float] = field(default_factory=list)  # mean |v0 - p(v|h0)|^2
    learning_rates: list[float] = field(default_factory=list)
    momenta: list[float] = field(default_factory=list)


class _Uniforms:
    """Rows of uniforms drawn from ``generator`` in fixed-size chunks, so that the compiled
    and the PyTorch paths consume identical random numbers."""

    CHUNK = 4096

    def __init__(self, generator: torch.Generator, width: int, device: torch.device):
        self.generator, self.width, self.device = generator, width, device
        self.buf = torch.empty(0, width, device=device)
        self.pos = 0

    def take(self, n: int) -> torch.Tensor:
        out = []
        while n > 0:
            if self.pos == self.buf.shape[0]:
                self.buf = uniform((self.CHUNK, self.width), self.generator, self.device)
                self.pos = 0
            m = min(n, self.buf.shape[0] - self.pos)
            out.append(self.buf[self.pos:self.pos + m])
            self.pos += m
            n -= m
        return out[0] if len(out) == 1 else torch.cat(out)


def _use_compiled(cfg: TrainConfig, rbm: RBM) -> bool:
    if cfg.backend == "torch":
        return False
    if cfg.backend == "compiled":  # the config checked batch size and factors
        if rbm.device.type != "cpu":
            raise InvalidInputError(f"backend 'compiled' runs on the CPU only; the RBM is on "
                                    f"{rbm.device}")
        return True
    # "auto": the scalar loop wins while per-operator overhead dominates (13 x 70: 10x the
    # NumPy loop); for 784 x 500 PyTorch's GEMV path was 1.9x faster (benchmarks/run.py)
    return (cfg.batch_size == 1 and rbm.device.type == "cpu" and cfg.up_factor == 1
            and cfg.down_factor == 1 and rbm.W.numel() <= COMPILED_MAX_WEIGHTS)


def _torch_epoch(rbm, vel, data, order, uni, lr, mom, cfg, chain, bar, hooks=(), epoch=0,
                 step=0):
    """One epoch of PyTorch updates; returns the number of updates so far (``step`` on
    entry)."""
    n_v, n_h = rbm.W.shape
    maskf = None if bool(rbm.mask.all()) else rbm.mask.to(rbm.W.dtype)
    up, down = cfg.up_factor, cfg.down_factor

    def p_h(x):
        return torch.sigmoid(torch.addmm(rbm.b_h, x, rbm.W, alpha=up))

    def p_v(x):
        return torch.sigmoid(torch.addmm(rbm.b_v, x, rbm.W.T, alpha=down))

    for start in range(0, order.shape[0], cfg.batch_size):
        v0 = data[order[start:start + cfg.batch_size]]
        b = v0.shape[0]
        u = uni.take(b)
        ph0 = p_h(v0)
        ph = p_h(chain[:b]) if cfg.persistent else ph0
        off = 0
        for _ in range(cfg.k):
            h = (u[:, off:off + n_h] < ph).to(v0.dtype)
            off += n_h
            v = (u[:, off:off + n_v] < p_v(h)).to(v0.dtype)
            off += n_v
            ph = p_h(v)
        if cfg.persistent:
            chain[:b] = v
        gW, gbv, gbh = cd_statistics(v0, ph0, v, ph)
        vel["W"].mul_(mom).add_(gW, alpha=lr)
        if maskf is not None:
            vel["W"].mul_(maskf)
        vel["b_v"].mul_(mom).add_(gbv, alpha=lr)
        vel["b_h"].mul_(mom).add_(gbh, alpha=lr)
        rbm.W.add_(vel["W"])
        rbm.b_v.add_(vel["b_v"])
        rbm.b_h.add_(vel["b_h"])
        step += 1
        if hooks:
            masks = call_hooks(hooks, UpdateState(rbm, step, epoch, [v0, ph0], [v, ph]))
            if masks is not None:  # a hook pruned: the removed weights and momentum go
                maskf = masks[0].to(rbm.W.dtype)
                vel["W"].mul_(maskf)
                rbm.W.mul_(maskf)
        if bar is not None:
            bar.update(b)
    return step


def cd_statistics(v0: torch.Tensor, ph0: torch.Tensor, vk: torch.Tensor, phk: torch.Tensor
                  ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Positive minus negative statistics, averaged over the batch: the CD estimate of the
    log-likelihood gradient, equal to -d/dtheta mean(F(v0) - F(vk)) (F = free energy).

    v0, vk: (B, n_visible); ph0 = p(h|v0), phk = p(h|vk): (B, n_hidden).
    Returns (dW: (n_visible, n_hidden), db_v: (n_visible,), db_h: (n_hidden,)).
    """
    b = v0.shape[0]
    gW = torch.cat([v0, vk]).T @ torch.cat([ph0, -phk])  # one GEMM for both phases
    return gW / b, (v0 - vk).mean(0), (ph0 - phk).mean(0)


def _compiled_epoch(rbm, vel, data_np, order, uni, lr, mom, cfg, chain, bar):
    from boltzprune.training._online import online_cd_chunk

    W, b_v, b_h = rbm.W.numpy(), rbm.b_v.numpy(), rbm.b_h.numpy()
    maskf = rbm.mask.numpy().astype(np.float32)
    order_np = order.numpy()
    for start in range(0, order_np.shape[0], _Uniforms.CHUNK):
        idx = order_np[start:start + _Uniforms.CHUNK]
        u = uni.take(idx.shape[0]).numpy()
        online_cd_chunk(W, b_v, b_h, maskf, vel["W"].numpy(), vel["b_v"].numpy(),
                        vel["b_h"].numpy(), data_np, idx, u, np.float32(lr), np.float32(mom),
                        cfg.k, cfg.persistent, chain[0].numpy())
        if bar is not None:
            bar.update(idx.shape[0])


def train_rbm(
    rbm: RBM,
    data: torch.Tensor,
    config: TrainConfig = PAPER_RBM,
    *,
    generator: torch.Generator,
    progress: bool = False,
    desc: str = "train",
    hooks: list[Hook] | tuple[Hook, ...] = (),
) -> TrainResult:
    """Train a copy of ``rbm`` on ``data`` with CD-k or PCD-k (paper 4.3.1).

    data: (n_samples, n_visible) binary. The data are shuffled every epoch with
    ``generator``, which also drives all sampling. Momentum (velocity) starts at zero, as
    after pruning in the paper. Raises DivergenceError when the parameters stop being
    finite or a weight exceeds ``config.max_abs_weight``. ``hooks`` are called after every
    update with its ``training.hooks.UpdateState`` (they run on the PyTorch path).
    """
    if not isinstance(config, TrainConfig):
        raise InvalidTypeError(f"config must be a TrainConfig, got {type(config).__name__}")
    if not isinstance(rbm, RBM):
        raise InvalidTypeError(f"rbm must be an RBM, got {type(rbm).__name__}")
    check_generator("generator", generator)
    data = as_binary("data", data, rbm)
    hooks = check_hooks(hooks)
    rbm = rbm.clone()
    lrs = learning_rates(config.lr_schedule, config.lr_start, config.lr_end, config.epochs)
    moms = momenta(config.initial_momentum, config.momentum, config.momentum_switch_epoch,
                   config.epochs)
    vel = {"W": torch.zeros_like(rbm.W), "b_v": torch.zeros_like(rbm.b_v),
           "b_h": torch.zeros_like(rbm.b_h)}
    compiled = _use_compiled(config, rbm) and not hooks
    width = config.k * (rbm.n_visible + rbm.n_hidden)
    uni = _Uniforms(generator, width, rbm.device)
    n = data.shape[0]
    chain = data[:config.batch_size].clone() if config.persistent else \
        torch.zeros(1, rbm.n_visible, device=rbm.device)
    if config.persistent and chain.shape[0] < config.batch_size:  # fewer samples than chains
        chain = chain[torch.arange(config.batch_size) % chain.shape[0]]
    data_np = data.numpy() if compiled else None
    result = TrainResult(rbm=rbm, learning_rates=lrs, momenta=moms)
    bar = tqdm(total=n * config.epochs, desc=desc, unit="pat", unit_scale=True,
               leave=False, mininterval=0.5) if progress else None
    try:
        step = 0
        for epoch in range(config.epochs):
            order = randperm(n, generator, rbm.device)
            if compiled:
                _compiled_epoch(rbm, vel, data_np, order, uni, lrs[epoch], moms[epoch], config,
                                chain, bar)
            else:
                step = _torch_epoch(rbm, vel, data, order, uni, lrs[epoch], moms[epoch],
                                    config, chain, bar, hooks, epoch, step)
            _check_health(rbm, config, f"{desc}, epoch {epoch + 1}")
            result.reconstruction_error.append(_reconstruction_error(rbm, data))
    finally:
        if bar is not None:
            bar.close()
    assert bool((rbm.W[~rbm.mask] == 0).all())
    return result


def _check_health(rbm: RBM, cfg: TrainConfig, where: str) -> None:
    finite = all(bool(torch.isfinite(t).all()) for t in (rbm.W, rbm.b_v, rbm.b_h))
    if not finite:
        raise DivergenceError(f"training diverged ({where}): parameters are NaN or infinite; "
                              "try a smaller learning rate")
    big = float(rbm.W.abs().max()) if rbm.W.numel() else 0.0
    if big > cfg.max_abs_weight:
        raise DivergenceError(f"training diverged ({where}): a weight reached {big:.3g} > "
                              f"max_abs_weight {cfg.max_abs_weight:g}; try a smaller learning rate")


def _reconstruction_error(rbm: RBM, data: torch.Tensor) -> float:
    """Mean squared error between up to 1,000 patterns and their one-step reconstructions.
    A diagnostic: it draws from its own fixed generator, never from the training one."""
    v0 = data[:1_000]
    h = rbm.sample_h(v0, torch.Generator(device=rbm.device).manual_seed(0))
    return float(((v0 - rbm.p_v(h)) ** 2).mean())
