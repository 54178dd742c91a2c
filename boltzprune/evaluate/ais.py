"""Log-partition functions and test log-likelihoods of RBMs and DBMs beyond enumeration:
annealed importance sampling (AIS) and the same path run backwards.

The path (Salakhutdinov & Murray 2008) runs from a base-rate model A, which has only
visible biases b_A (from the data's pixel on-fractions) and every weight and hidden bias 0,
to the target: at inverse temperature beta the model has weights beta W, hidden biases
beta b_l and visible biases (1 - beta) b_A + beta b_0. One group of alternate layers (the
odd layers, or the even ones) is the chain's state; the other group is summed out
analytically, so that log f_beta(state) is exact and each Gibbs transition samples the
summed-out group and then the state. Layers are numbered 0 (visible) to L as in ``DBM``; an
RBM is the case L = 1. Removed weights are 0 in W, so masks and pruned units are honoured.

- ``ais_log_partition``: forward AIS from exact base samples. E[Z_hat] = Z, so log Z_hat
  tends to be low (Jensen) and the log-likelihood computed from it high.
- ``reverse_log_partition``: the path backwards from states that stand in for samples of
  the target. Started from exact samples, E[1 / Z_hat] = 1 / Z, so log Z_hat tends to be
  high: with the forward estimate it brackets log Z (bidirectional Monte Carlo).
- ``raise_log_likelihood``: reverse AIS started at test patterns (RAISE, Burda, Grosse &
  Salakhutdinov 2015): per pattern, an unbiased estimate of the likelihood of an annealed
  model close to the RBM, a conservative (low) estimate of log p(v).
- ``estimate_log_likelihood``: the mean test log p(v) of an RBM (exact when its smaller
  layer is small, else between RAISE and AIS) or the variational lower bound on log p(v) of
  a DBM (mean-field posterior) with log Z between forward and reverse AIS.

Log-weights are accumulated in float64 (float32 on devices without it); random numbers
come from the caller's generator.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from boltzprune._validate import check_binary_matrix, check_generator
from boltzprune.errors import InvalidInputError, InvalidTypeError
from boltzprune.evaluate.config import AISConfig
from boltzprune.models.config import MeanFieldConfig
from boltzprune.models.dbm import DBM
from boltzprune.models.rbm import RBM
from boltzprune.seeding import randperm, uniform

__all__ = ["AISConfig", "LogZEstimate", "LikelihoodEstimate", "ais_schedule",
           "base_rate_biases", "ais_log_partition", "reverse_log_partition",
           "raise_log_likelihood", "mean_field_bound", "estimate_log_likelihood"]

_ON_CLIP = 1e-3  # on-fractions of the base-rate model clipped to [1e-3, 1 - 1e-3]


@dataclass(frozen=True)
class LogZEstimate:
    """log Z from ``n_runs`` importance weights w_r: log mean w (forward) or -log mean w
    (reverse), plus log Z_A of the base model; ``std_err`` by the delta method,
    ``ess`` = (sum w)^2 / sum w^2 (1 .. n_runs: how many runs carry the estimate)."""

    log_z: float
    std_err: float
    ess: float
    n_runs: int
    n_betas: int
    direction: str  # "forward" (tends low) or "reverse" (tends high)
    log_z_base: float
    log_weights: torch.Tensor  # (n_runs,) float64 on the CPU, base model excluded


@dataclass(frozen=True)
class LikelihoodEstimate:
    """Mean log p(v) over a test set, or for a DBM its mean variational lower bound.

    ``high`` uses the forward AIS log Z (tends to overstate), ``low`` the reverse one
    (tends to understate); an exact value has low == high."""

    low: float
    high: float
    method: str  # "exact", "AIS + RAISE" (RBM) or "AIS bound" (DBM: mean-field bound)
    n_patterns: int
    log_z: LogZEstimate | None  # forward AIS (None when exact)
    log_z_reverse: LogZEstimate | None
    log_z_exact: float | None = None

    @property
    def interval(self) -> tuple[float, float]:
        return (min(self.low, self.high), max(self.low, self.high))

    @property
    def value(self) -> float:
        """The middle of the interval (the exact value when exact)."""
        return 0.5 * (self.low + self.high)


def ais_schedule(n_betas: int, device: str | torch.device = "cpu") -> torch.Tensor:
    """Inverse temperatures beta_0 = 0 < ... < beta_K = 1 (K = n_betas, K + 1 values),
    float64, spaced as Salakhutdinov & Murray 2008: the first 500/14,500 of the steps evenly
    in [0, 0.5], the next 4,000/14,500 in [0.5, 0.9], the rest in [0.9, 1]."""
    k = int(n_betas)
    if k < 3:
        raise InvalidInputError(f"n_betas must be at least 3, got {k}")
    n1 = max(1, round(k * 500 / 14_500))
    n2 = max(1, round(k * 4_000 / 14_500))
    n3 = k - n1 - n2
    parts = [torch.linspace(0.0, 0.5, n1 + 1, dtype=torch.float64)[:-1],
             torch.linspace(0.5, 0.9, n2 + 1, dtype=torch.float64)[:-1],
             torch.linspace(0.9, 1.0, n3 + 1, dtype=torch.float64)]
    return torch.cat(parts).to(device)


def base_rate_biases(data: torch.Tensor) -> torch.Tensor:
    """Visible biases of the base-rate model: logit of each unit's on-fraction in ``data``
    (n, n_visible), clipped to [1e-3, 1 - 1e-3] so that always-off pixels stay finite."""
    frac = data.float().mean(0).clamp(_ON_CLIP, 1 - _ON_CLIP)
    return torch.logit(frac)


class _Path:
    """The annealing path of a layered model (RBM: L = 1) whose state is the layers of one
    parity; the other layers are summed out."""

    def __init__(self, model: RBM | DBM, base: torch.Tensor | None, parity: int):
        if isinstance(model, RBM):
            self.W, self.b = [model.W], [model.b_v, model.b_h]
        elif isinstance(model, DBM):
            self.W, self.b = list(model.weights), list(model.biases)
        else:
            raise InvalidTypeError(f"model must be an RBM or a DBM, got {type(model).__name__}")
        self.device = self.W[0].device
        self.acc = torch.float32 if self.device.type == "mps" else torch.float64
        n0 = self.b[0].shape[0]
        b_a = self.b[0] if base is None else base.to(self.device, torch.float32)
        if b_a.shape != (n0,):
            raise InvalidInputError(f"base-rate biases must have shape ({n0},), got "
                                    f"{tuple(b_a.shape)}")
        self.b_a = b_a
        self.L = len(self.W)
        self.state = [l for l in range(self.L + 1) if l % 2 == parity]
        self.summed = [l for l in range(self.L + 1) if l % 2 != parity]
        # bias of layer l at beta: c_l + beta e_l
        self.c = [b_a if l == 0 else torch.zeros_like(self.b[l]) for l in range(self.L + 1)]
        self.e = [self.b[l] - self.c[l] for l in range(self.L + 1)]
        sizes = [b.shape[0] for b in self.b]
        self.log_z_base = float(F.softplus(b_a.double()).sum()) + math.log(2) * sum(sizes[1:])

    def _input(self, l: int, x: dict[int, torch.Tensor]) -> torch.Tensor:
        """The beta-scaled part of layer l's input from its neighbours in ``x``, plus e_l."""
        out = self.e[l]
        if l > 0 and l - 1 in x:
            out = x[l - 1] @ self.W[l - 1] + out
        if l < self.L and l + 1 in x:
            out = x[l + 1] @ self.W[l].T + out
        return out

    def summed_inputs(self, x: dict[int, torch.Tensor]) -> dict[int, torch.Tensor]:
        return {l: self._input(l, x) for l in self.summed}

    def log_ratio(self, x: dict[int, torch.Tensor], d: dict[int, torch.Tensor],
                  beta_to: torch.Tensor, beta_from: torch.Tensor) -> torch.Tensor:
        """log f_{beta_to}(x) - log f_{beta_from}(x), (n,) in the accumulation dtype;
        ``d``: ``summed_inputs(x)``."""
        acc = self.acc
        db = beta_to - beta_from
        out = sum((x[l].to(acc) @ self.e[l].to(acc)) for l in self.state) * db
        for l, dl in d.items():
            c, dl = self.c[l].to(acc), dl.to(acc)
            out = out + (F.softplus(c + beta_to * dl) - F.softplus(c + beta_from * dl)).sum(-1)
        return out

    def transition(self, x: dict[int, torch.Tensor], d: dict[int, torch.Tensor],
                   beta: float, generator: torch.Generator) -> dict[int, torch.Tensor]:
        """One Gibbs transition at ``beta`` (leaves p_beta(state) invariant): the summed-out
        layers given the state, then the state given them."""
        y = {}
        for l, dl in d.items():
            p = torch.sigmoid(self.c[l] + beta * dl)
            y[l] = (uniform(p.shape, generator, p.device) < p).to(p.dtype)
        new = {}
        for l in self.state:
            p = torch.sigmoid(self.c[l] + beta * self._input(l, y))
            new[l] = (uniform(p.shape, generator, p.device) < p).to(p.dtype)
        return new

    def base_samples(self, n: int, generator: torch.Generator) -> dict[int, torch.Tensor]:
        """Exact samples of the state under the base model: visible units Bernoulli with
        sigmoid(b_A), hidden units uniform bits."""
        out = {}
        for l in self.state:
            p = torch.sigmoid(self.b_a) if l == 0 else torch.full_like(self.b[l], 0.5)
            p = p.expand(n, -1)
            out[l] = (uniform(p.shape, generator, p.device) < p).to(torch.float32)
        return out


def _summary(log_w: torch.Tensor, path: _Path, n_betas: int, direction: str) -> LogZEstimate:
    lw = log_w.double().cpu()
    n = lw.numel()
    lme = float(torch.logsumexp(lw, 0)) - math.log(n)
    w = torch.exp(lw - lw.max())
    ess = float(w.sum() ** 2 / (w * w).sum())
    se = float(w.std() / (w.mean() * math.sqrt(n))) if n > 1 else float("nan")
    log_z = path.log_z_base + lme if direction == "forward" else path.log_z_base - lme
    return LogZEstimate(log_z, se, ess, n, n_betas, direction, path.log_z_base, lw)


def _check(model: RBM | DBM, config: AISConfig, generator: torch.Generator) -> None:
    if not isinstance(config, AISConfig):
        raise InvalidTypeError(f"AIS config must be an AISConfig, got {type(config).__name__}")
    check_generator("generator", generator)
    if not isinstance(model, (RBM, DBM)):
        raise InvalidTypeError(f"model must be an RBM or a DBM, got {type(model).__name__}")


def _progress(it, progress: bool, desc: str):
    return tqdm(it, desc=desc, unit="beta", leave=False, mininterval=0.5) if progress else it


@torch.no_grad()
def ais_log_partition(model: RBM | DBM, config: AISConfig = AISConfig(),  # noqa: B008
                      *, generator: torch.Generator, base_data: torch.Tensor | None = None,
                      progress: bool = False) -> LogZEstimate:
    """log Z of ``model`` by forward AIS: ``config.n_runs`` runs, batched, over
    ``config.n_betas`` inverse temperatures. The base-rate model's visible biases come from
    ``base_data`` (n, n_visible) when given, else from the model's own visible biases."""
    _check(model, config, generator)
    base = None if base_data is None else base_rate_biases(_binary(base_data, model))
    path = _Path(model, base, parity=1)
    betas = ais_schedule(config.n_betas).tolist()
    x = path.base_samples(config.n_runs, generator)
    log_w = torch.zeros(config.n_runs, dtype=path.acc, device=path.device)
    for k in _progress(range(1, len(betas)), progress, "AIS"):
        d = path.summed_inputs(x)
        log_w += path.log_ratio(x, d, betas[k], betas[k - 1])
        if k < len(betas) - 1:
            x = path.transition(x, d, betas[k], generator)
    return _summary(log_w, path, config.n_betas, "forward")


def _reverse_log_weights(path: _Path, x: dict[int, torch.Tensor], n_betas: int,
                         generator: torch.Generator, progress: bool) -> torch.Tensor:
    """log prod_k f_{k-1}(x_{k-1}) / f_k(x_{k-1}) along the path from beta = 1 (the states
    ``x``) down to 0."""
    betas = ais_schedule(n_betas).tolist()
    n = next(iter(x.values())).shape[0]
    log_r = torch.zeros(n, dtype=path.acc, device=path.device)
    for k in _progress(range(len(betas) - 1, 0, -1), progress, "reverse AIS"):
        d = path.summed_inputs(x)
        log_r += path.log_ratio(x, d, betas[k - 1], betas[k])
        if k > 1:
            x = path.transition(x, d, betas[k - 1], generator)
    return log_r


@torch.no_grad()
def reverse_log_partition(model: RBM | DBM, start: list[torch.Tensor],
                          config: AISConfig = AISConfig(),  # noqa: B008
                          *, generator: torch.Generator,
                          base_data: torch.Tensor | None = None,
                          progress: bool = False) -> LogZEstimate:
    """log Z by reverse AIS from ``start``, one (n, n_l) tensor per layer as ``sample_dbm``
    returns (for an RBM: [v, h]); the odd layers are the chain's state. With exact samples
    of the model this tends to overestimate log Z; with approximate samples (Gibbs chains)
    it is an estimate from the high side only as far as the chains have mixed."""
    _check(model, config, generator)
    base = None if base_data is None else base_rate_biases(_binary(base_data, model))
    path = _Path(model, base, parity=1)
    n_layers = path.L + 1
    if not isinstance(start, (list, tuple)) or len(start) != n_layers:
        raise InvalidInputError(f"start must list {n_layers} tensors, one per layer, got "
                                f"{len(start) if isinstance(start, (list, tuple)) else start!r}")
    x = {l: start[l].to(path.device, torch.float32) for l in path.state}
    log_r = _reverse_log_weights(path, x, config.n_betas, generator, progress)
    return _summary(log_r, path, config.n_betas, "reverse")


@torch.no_grad()
def raise_log_likelihood(rbm: RBM, data: torch.Tensor,
                         config: AISConfig = AISConfig(),  # noqa: B008
                         *, generator: torch.Generator, base_data: torch.Tensor | None = None,
                         progress: bool = False) -> torch.Tensor:
    """RAISE: for each pattern of ``data`` (n, n_visible), log p_hat(v) = -F(v) - log Z_A +
    log r(v) from one reverse run started at v (the visible layer is the state, the hidden
    layer summed out). E[p_hat(v)] is the likelihood of the annealed model, so the mean of
    these tends to understate the RBM's mean log p(v). Returns (n,) float64 on the CPU."""
    if not isinstance(rbm, RBM):
        raise InvalidTypeError(f"RAISE is defined here for RBMs, got {type(rbm).__name__}")
    _check(rbm, config, generator)
    v = _binary(data, rbm)
    base = None if base_data is None else base_rate_biases(_binary(base_data, rbm))
    path = _Path(rbm, base, parity=0)
    log_r = _reverse_log_weights(path, {0: v}, config.n_betas, generator, progress)
    neg_f = -rbm.free_energy(v).to(path.acc)
    return (neg_f - path.log_z_base + log_r).double().cpu()


def mean_field_bound(dbm: DBM, data: torch.Tensor,
                     config: MeanFieldConfig = MeanFieldConfig(),  # noqa: B008
                     ) -> torch.Tensor:
    """-E(v, mu) + H(mu) per pattern of ``data`` (n, n_visible), with mu the mean-field
    marginals of the hidden layers (``DBM.mean_field``): log p(v) >= this - log Z.
    Returns (n,) float64 on the CPU."""
    v = _binary(data, dbm)
    mus = dbm.mean_field(v, config)
    neg_e = -dbm.energy(mus).double()
    ent = sum(_bernoulli_entropy(m.double()) for m in mus[1:])
    return (neg_e + ent).cpu()


def _bernoulli_entropy(p: torch.Tensor) -> torch.Tensor:
    return -(torch.special.xlogy(p, p) + torch.special.xlogy(1 - p, 1 - p)).sum(-1)


@torch.no_grad()
def estimate_log_likelihood(model: RBM | DBM, data: torch.Tensor,
                            config: AISConfig = AISConfig(),  # noqa: B008
                            *, generator: torch.Generator,
                            base_data: torch.Tensor | None = None,
                            model_samples: list[torch.Tensor] | None = None,
                            mean_field: MeanFieldConfig = MeanFieldConfig(),  # noqa: B008
                            progress: bool = False) -> LikelihoodEstimate:
    """Mean log p(v) over ``data`` (n, n_visible), the test set.

    RBM: exact when its smaller layer has at most ``config.exact_max_units`` units; else
    ``high`` = mean -F(v) - (forward AIS log Z) and ``low`` = the mean RAISE estimate over
    ``config.n_reverse`` of the patterns (a random subset when there are more), turned into a
    log Z and applied to all patterns.
    DBM: the mean-field lower bound on log p(v) (``mean_field_bound``) minus the forward AIS
    log Z (``high``) and minus the reverse AIS log Z started at ``config.n_reverse`` of
    ``model_samples`` (``low``; one tensor per layer, as ``sample_dbm`` returns; without
    them no reverse estimate is made and low == high).
    ``base_data`` (default: ``data``) sets the base-rate model's visible biases.
    """
    from boltzprune.models.enumerate import log_partition

    _check(model, config, generator)
    v = _binary(data, model)
    base = v if base_data is None else _binary(base_data, model)
    n = v.shape[0]
    if isinstance(model, RBM):
        neg_f = float((-model.free_energy(v)).double().mean())
        if min(model.n_visible, model.n_hidden) <= config.exact_max_units:
            log_z = log_partition(model)
            return LikelihoodEstimate(neg_f - log_z, neg_f - log_z, "exact", n, None, None,
                                      log_z)
        fwd = ais_log_partition(model, config, generator=generator, base_data=base,
                                progress=progress)
        pick = _subset(n, config.n_reverse, generator, v.device)
        p_hat = raise_log_likelihood(model, v[pick], config, generator=generator,
                                     base_data=base, progress=progress)
        implied = (-model.free_energy(v[pick])).double().cpu() - p_hat  # log Z per pattern
        rev = LogZEstimate(float(implied.mean()),
                           float(implied.std() / math.sqrt(len(pick))) if len(pick) > 1
                           else float("nan"), float("nan"), len(pick), config.n_betas,
                           "reverse", fwd.log_z_base, -implied + fwd.log_z_base)
        return LikelihoodEstimate(neg_f - rev.log_z, neg_f - fwd.log_z, "AIS + RAISE", n,
                                  fwd, rev)
    bound = float(mean_field_bound(model, v, mean_field).mean())
    fwd = ais_log_partition(model, config, generator=generator, base_data=base,
                            progress=progress)
    rev = None
    if model_samples is not None:
        pick = _subset(model_samples[0].shape[0], config.n_reverse, generator, model.device)
        start = [s.to(model.device)[pick] for s in model_samples]
        rev = reverse_log_partition(model, start, config, generator=generator,
                                    base_data=base, progress=progress)
    low = bound - (rev.log_z if rev is not None else fwd.log_z)
    return LikelihoodEstimate(low, bound - fwd.log_z, "AIS bound", n, fwd, rev)


def _subset(n: int, k: int, generator: torch.Generator, device: torch.device) -> torch.Tensor:
    """k distinct indices of range(n) (all of them, in order, when k >= n)."""
    if k >= n:
        return torch.arange(n, device=device)
    return randperm(n, generator, device)[:k]


def _binary(data: object, model: RBM | DBM) -> torch.Tensor:
    n_v = model.n_visible if isinstance(model, RBM) else model.sizes[0]
    return check_binary_matrix("data", data, n_columns=n_v).to(model.device)
