"""Samples from RBMs and DBMs: batched Gibbs chains with burn-in and thinning (paper 4.3:
one sample kept every 200 steps; one loop serves both), and exact sampling by enumeration
for small RBMs."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from tqdm.auto import tqdm

from boltzprune._validate import (
    check_binary_matrix,
    check_generator,
    check_memory,
    check_positive_int,
)
from boltzprune.errors import InvalidInputError, InvalidTypeError
from boltzprune.models.dbm import DBM
from boltzprune.models.rbm import RBM, as_binary
from boltzprune.sampling.config import SamplingConfig  # re-exported, where it always was
from boltzprune.seeding import randint, uniform

__all__ = ["SamplingConfig", "Samples", "sample_rbm", "sample_dbm", "gibbs_chains",
           "exact_samples"]

@dataclass
class Samples:
    """Joint model samples. v: (n, n_visible), h: (n, n_hidden), float32 0/1."""

    v: torch.Tensor
    h: torch.Tensor


_Sweep = Callable[[list[torch.Tensor], torch.Generator], list[torch.Tensor]]


def _run_chains(sweep: _Sweep, states: list[torch.Tensor], *, n_keep: int, burn_in: int,
                thin: int, generator: torch.Generator, progress: bool) -> list[torch.Tensor]:
    """The burn-in and thinning loop shared by RBM and DBM chains.

    states: the chains' state at step 0, one (n_chains, n_k) tensor per group of units.
    Keeps the state at steps burn_in, burn_in + thin, ..., ``n_keep`` times, advancing one
    step with ``sweep(states, generator)`` in between (never after the last kept state).
    Returns one (n_keep * n_chains, n_k) tensor per group, ordered sample-major.
    """
    kept: list[list[torch.Tensor]] = [[] for _ in states]
    total = burn_in + (n_keep - 1) * thin + 1
    it = range(total)
    if progress:
        it = tqdm(it, desc="gibbs", unit="sweep", leave=False, mininterval=0.5)
    for step in it:
        if step >= burn_in and (step - burn_in) % thin == 0:
            for k, s in zip(kept, states, strict=True):
                k.append(s)
        if step + 1 < total:
            states = sweep(states, generator)
    return [torch.cat(k) for k in kept]


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

    def sweep(states: list[torch.Tensor], g: torch.Generator) -> list[torch.Tensor]:
        v = rbm.sample_v(states[1], g)
        return [v, rbm.sample_h(v, g)]

    v = v0.to(rbm.device, torch.float32)
    v, h = _run_chains(sweep, [v, rbm.sample_h(v, generator)], n_keep=n_keep,
                       burn_in=burn_in, thin=thin, generator=generator, progress=progress)
    return Samples(v, h)


def exact_samples(rbm: RBM, n: int, *, generator: torch.Generator) -> Samples:
    """Independent joint samples: v from p(v) computed by enumerating all 2^n_visible
    patterns (n_visible <= 24), then h ~ p(h|v)."""
    from boltzprune.models.enumerate import all_states, log_marginal_visible

    n = check_positive_int("n", n)
    logp = log_marginal_visible(rbm)
    idx = torch.multinomial(logp.exp().to(generator.device), n, replacement=True,
                            generator=generator)
    v = all_states(rbm.n_visible, device=rbm.device)[idx.to(rbm.device)]
    return Samples(v, rbm.sample_h(v, generator))


def sample_rbm(
    rbm: RBM,
    config: SamplingConfig = SamplingConfig(),  # noqa: B008 (frozen)
    *,
    generator: torch.Generator,
    data: torch.Tensor | None = None,
    progress: bool = False,
) -> Samples:
    """Draw ``config.n_samples`` joint samples from the model (see SamplingConfig).

    data: (n, n_visible) binary patterns to start chains from when ``init == "data"``.
    """
    if not isinstance(config, SamplingConfig):
        raise InvalidTypeError(f"sampling config must be a SamplingConfig, got "
                               f"{type(config).__name__}")
    check_generator("generator", generator)
    check_memory(f"n_samples={config.n_samples}",
                 4 * config.n_samples * (rbm.n_visible + rbm.n_hidden), rbm.device)
    if config.method == "exact":
        return exact_samples(rbm, config.n_samples, generator=generator)
    n_chains = min(config.n_chains, config.n_samples)
    n_keep = math.ceil(config.n_samples / n_chains)
    if config.init == "data":
        if data is None:
            raise InvalidInputError("init 'data' needs data to start the chains from; pass "
                                    "data=")
        data = as_binary("data", data, rbm)
        v0 = data[randint(data.shape[0], (n_chains,), generator, data.device)]
    else:
        v0 = (uniform((n_chains, rbm.n_visible), generator, rbm.device) < 0.5).float()
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
    if not isinstance(config, SamplingConfig):
        raise InvalidTypeError(f"sampling config must be a SamplingConfig, got "
                               f"{type(config).__name__}")
    if config.method != "gibbs":
        raise InvalidInputError("DBMs are sampled with Gibbs chains only (method 'gibbs')")
    check_generator("generator", generator)
    check_memory(f"n_samples={config.n_samples}", 4 * config.n_samples * sum(dbm.sizes),
                 dbm.device)
    n_chains = min(config.n_chains, config.n_samples)
    n_keep = math.ceil(config.n_samples / n_chains)
    dev = dbm.device
    if config.init == "data":
        if data is None:
            raise InvalidInputError("init 'data' needs data to start the chains from; pass "
                                    "data=")
        data = check_binary_matrix("data", data, n_columns=dbm.sizes[0])
        v0 = data[randint(data.shape[0], (n_chains,), generator, data.device)].to(dev)
    else:
        v0 = (uniform((n_chains, dbm.sizes[0]), generator, dev) < 0.5).float()
    states = [v0.float()] + [(uniform((n_chains, s), generator, dev) < 0.5).float()
                             for s in dbm.sizes[1:]]
    # the state kept first is the one after the first sweep
    kept = _run_chains(dbm.gibbs_sweep, dbm.gibbs_sweep(states, generator), n_keep=n_keep,
                       burn_in=config.burn_in, thin=config.thin, generator=generator,
                       progress=progress)
    return [k[: config.n_samples] for k in kept]
