"""Exact log-partition function and log-likelihood of small RBMs by enumeration (eq. 5-6).

log Z is a log-sum-exp over all states of the smaller layer with the other layer summed
out analytically (the free energy), so a 13 x 70 RBM needs 2^13 terms.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from boltzprune.errors import InvalidInputError
from boltzprune.models.dbm import DBM
from boltzprune.models.rbm import RBM, as_binary

__all__ = ["MAX_ENUMERATED_UNITS", "all_states", "log_partition", "log_marginal_visible",
           "log_likelihood"]

MAX_ENUMERATED_UNITS = 24


def all_states(n: int, device: str | torch.device = "cpu") -> torch.Tensor:
    """All 2^n binary vectors as (2^n, n) float32; row r is the binary code of r with unit 0
    as the most significant bit (consistent with ``patterns.pattern_codes``)."""
    if not 0 < n <= MAX_ENUMERATED_UNITS:
        raise InvalidInputError(f"can enumerate 1 to {MAX_ENUMERATED_UNITS} units, got {n}")
    r = torch.arange(2**n, device=device)
    shifts = torch.arange(n - 1, -1, -1, device=device)
    return ((r[:, None] >> shifts) & 1).to(torch.float32)


def _logsumexp_chunked(fn, n_units: int, device) -> torch.Tensor:
    parts = []
    chunk_bits = min(n_units, 16)
    base = all_states(chunk_bits, device)
    for hi in range(2 ** (n_units - chunk_bits)):
        if n_units > chunk_bits:
            high = all_states(n_units - chunk_bits, device)[hi].expand(base.shape[0], -1)
            states = torch.cat([high, base], 1)
        else:
            states = base
        parts.append(torch.logsumexp(-fn(states.double()), 0))
    return torch.logsumexp(torch.stack(parts), 0)


def log_partition(rbm: RBM | DBM) -> float:
    """log Z, exactly: of an RBM enumerating its smaller layer (at most 24 units), of a DBM
    enumerating its odd or its even layers, whichever have fewer units (at most 24 in all),
    with the other layers summed out."""
    if isinstance(rbm, DBM):
        return _dbm_log_partition(rbm)
    small = min(rbm.n_visible, rbm.n_hidden)
    if small > MAX_ENUMERATED_UNITS:
        raise InvalidInputError(f"exact log Z needs a layer of at most {MAX_ENUMERATED_UNITS} "
                                f"units; this RBM is {rbm.n_visible} x {rbm.n_hidden}")
    d = _double(rbm)
    if rbm.n_visible <= rbm.n_hidden:
        return float(_logsumexp_chunked(d.free_energy, rbm.n_visible, rbm.device))
    return float(_logsumexp_chunked(d.free_energy_h, rbm.n_hidden, rbm.device))


def _dbm_log_partition(dbm: DBM) -> float:
    sizes, L = dbm.sizes, dbm.n_layers
    parity = min((0, 1), key=lambda p: sum(sizes[l] for l in range(p, L + 1, 2)))
    enum = list(range(parity, L + 1, 2))
    n_enum = sum(sizes[l] for l in enum)
    if n_enum > MAX_ENUMERATED_UNITS:
        raise InvalidInputError(f"exact log Z of a DBM needs its odd or its even layers to "
                                f"hold at most {MAX_ENUMERATED_UNITS} units; layer sizes "
                                f"are {sizes}")
    W = [w.double() for w in dbm.weights]
    b = [x.double() for x in dbm.biases]
    cuts = torch.tensor([sizes[l] for l in enum]).cumsum(0).tolist()

    def neg_log_f(states: torch.Tensor) -> torch.Tensor:
        x = dict(zip(enum, torch.tensor_split(states, cuts[:-1], dim=1), strict=True))
        out = sum(x[l] @ b[l] for l in enum)
        for l in range(1 - parity, L + 1, 2):
            a = b[l]
            if l > 0:
                a = x[l - 1] @ W[l - 1] + a
            if l < L:
                a = x[l + 1] @ W[l].T + a
            out = out + F.softplus(a).sum(-1)
        return -out

    return float(_logsumexp_chunked(neg_log_f, n_enum, dbm.device))


def log_marginal_visible(rbm: RBM) -> torch.Tensor:
    """log p(v) for all 2^n_visible patterns (ordered as ``all_states``), float64."""
    if rbm.n_visible > MAX_ENUMERATED_UNITS:
        raise InvalidInputError(f"enumerating the visible layer needs n_visible <= "
                                f"{MAX_ENUMERATED_UNITS}, got {rbm.n_visible}")
    d = _double(rbm)
    neg_f = -d.free_energy(all_states(rbm.n_visible, rbm.device).double())
    return neg_f - torch.logsumexp(neg_f, 0)


def log_likelihood(rbm: RBM, data: torch.Tensor) -> float:
    """Mean log p(v) over data: (n, n_visible) binary (eq. 6), exact."""
    data = as_binary("data", data, rbm)
    logz = log_partition(rbm)
    return float((-_double(rbm).free_energy(data.double())).mean()) - logz


def _double(rbm: RBM) -> RBM:
    return RBM(rbm.W.double(), rbm.b_v.double(), rbm.b_h.double(), rbm.mask, rbm.hidden_index)
