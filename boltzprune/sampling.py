"""Samples from an RBM: batched Gibbs chains with burn-in and thinning (paper 4.3: one
sample kept every 200 steps), and exact sampling by enumeration for small models."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from tqdm.auto import tqdm

from boltzprune._validate import check_choice, check_positive_int
from boltzprune.models.dbm import DBM
from boltzprune.models.rbm import RBM, as_binary

__all__ = ["SamplingConfig", "Samples", "sample_rbm", "sample_dbm", "gibbs_chains",
           "exact_samples"]

INITS = ("random", "data")
METHODS = ("gibbs", "exact")


@dataclass(frozen=True)
class SamplingConfig:
    """How to draw joint samples (v, h) from the model."""

    n_samples: int = 90_000  # paper: as many samples as training patterns
    method: str = "gibbs"  # "gibbs" (as the paper) or "exact" (enumeration, small models)
    n_chains: int = 1_000  # parallel Gibbs chains
    burn_in: int = 1_000  # Gibbs steps before the first kept sample
    thin: int = 200  # Gibbs steps between kept samples (paper: 200)
    init: str = "random"  # chain start: "random" (uniform bits) or "data" (random patterns)


@dataclass
class Samples:
    """Joint model samples. v: (n, n_visible), h: (n, n_hidden), float32 0/1."""

    v: torch.Tensor
    h: torch.Tensor


def validate_sampling_config(cfg: SamplingConfig) -> None:
    if not isinstance(cfg, SamplingConfig):
        raise TypeError(f"sampling config must be a SamplingConfig, got {type(cfg).__name__}")
    check_positive_int("n_samples", cfg.n_samples)
    check_choice("method", cfg.method, METHODS)
    check_positive_int("n_chains", cfg.n_chains)
    check_positive_int("burn_in", cfg.burn_in, minimum=0)
    check_positive_int("thin", cfg.thin)
    check_choice("init", cfg.init, INITS)


def gibbs_chains(
    rbm: RBM,
    v0: torch.Tensor,
    *,
    n_keep: int,
    burn_in: int,
    thin: int,
    generator: torch.Generator,
    progress: bool = False,
) -> Samples:
    """Run len(v0) Gibbs chains from v0: (n_chains, n_visible); after ``burn_in`` sweeps keep
    one joint state (v, h ~ p(h|v)) per chain every ``thin`` sweeps, ``n_keep`` times.
    Returns (n_keep * n_chains) samples ordered sample-major."""
    v = v0.to(rbm.device, torch.float32)
    vs, hs = [], []
    total = burn_in + (n_keep - 1) * thin + 1
    it = range(total)
    if progress:
        it = tqdm(it, desc="gibbs", unit="sweep", leave=False, mininterval=0.5)
    for step in it:
        h = rbm.sample_h(v, generator)
        if step >= burn_in and (step - burn_in) % thin == 0:
            vs.append(v)
            hs.append(h)
            if len(vs) == n_keep:
                break
        v = rbm.sample_v(h, generator)
    return Samples(torch.cat(vs), torch.cat(hs))


def exact_samples(rbm: RBM, n: int, *, generator: torch.Generator) -> Samples:
    """Independent joint samples: v from p(v) computed by enumerating all 2^n_visible
    patterns (n_visible <= 24), then h ~ p(h|v)."""
    from boltzprune.evaluate.likelihood import all_states, log_marginal_visible

    n = check_positive_int("n", n)
    logp = log_marginal_visible(rbm)
    idx = torch.multinomial(logp.exp().to(generator.device), n, replacement=True,
                            generator=generator)
    v = all_states(rbm.n_visible, device=rbm.device)[idx.to(rbm.device)]
    return Samples(v, rbm.sample_h(v, generator))


def sample_rbm(
    rbm: RBM,
    config: SamplingConfig = SamplingConfig(),
    *,
    generator: torch.Generator,
    data: torch.Tensor | None = None,
    progress: bool = False,
) -> Samples:
    """Draw ``config.n_samples`` joint samples from the model (see SamplingConfig).

    data: (n, n_visible) binary patterns to start chains from when ``init == "data"``.
    """
    validate_sampling_config(config)
    if config.method == "exact":
        return exact_samples(rbm, config.n_samples, generator=generator)
    n_chains = min(config.n_chains, config.n_samples)
    n_keep = math.ceil(config.n_samples / n_chains)
    if config.init == "data":
        if data is None:
            raise ValueError("init 'data' needs data to start the chains from; pass data=")
        data = as_binary("data", data, rbm)
        idx = torch.randint(data.shape[0], (n_chains,), generator=generator)
        v0 = data[idx.to(data.device)]
    else:
        v0 = (torch.rand(n_chains, rbm.n_visible, generator=generator) < 0.5).float()
    s = gibbs_chains(rbm, v0, n_keep=n_keep, burn_in=config.burn_in, thin=config.thin,
                     generator=generator, progress=progress)
    return Samples(s.v[: config.n_samples], s.h[: config.n_samples])


def sample_dbm(
    dbm: DBM,
    config: SamplingConfig,
    *,
    generator: torch.Generator,
    data: torch.Tensor | None = None,
    progress: bool = False,
) -> list[torch.Tensor]:
    """Joint samples of all layers of a DBM by Gibbs sweeps (odd layers, then even layers):
    ``config.n_chains`` chains, ``burn_in`` sweeps, then one state every ``thin`` sweeps.
    Visible units start from random training patterns (``init == "data"``) or uniform bits;
    hidden units from uniform bits. Returns one (n_samples, n_l) tensor per layer."""
    validate_sampling_config(config)
    if config.method != "gibbs":
        raise ValueError("DBMs are sampled with Gibbs chains only (method 'gibbs')")
    n_chains = min(config.n_chains, config.n_samples)
    n_keep = math.ceil(config.n_samples / n_chains)
    dev = dbm.device
    if config.init == "data":
        if data is None:
            raise ValueError("init 'data' needs data to start the chains from; pass data=")
        idx = torch.randint(data.shape[0], (n_chains,), generator=generator)
        v0 = data[idx.to(data.device)].to(dev)
    else:
        v0 = (torch.rand(n_chains, dbm.sizes[0], generator=generator) < 0.5).float().to(dev)
    states = [v0.float()] + [(torch.rand(n_chains, s, generator=generator) < 0.5).float()
                             .to(dev) for s in dbm.sizes[1:]]
    kept: list[list[torch.Tensor]] = [[] for _ in states]
    total = config.burn_in + (n_keep - 1) * config.thin + 1
    it = range(total)
    if progress:
        it = tqdm(it, desc="gibbs", unit="sweep", leave=False, mininterval=0.5)
    for step in it:
        states = dbm.gibbs_sweep(states, generator)
        if step >= config.burn_in and (step - config.burn_in) % config.thin == 0:
            for k, s in zip(kept, states, strict=True):
                k.append(s)
    return [torch.cat(k)[: config.n_samples] for k in kept]
