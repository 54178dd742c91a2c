"""``boltzprune loglik CHECKPOINT``: log Z and the test log-likelihood of a saved RBM or DBM
(``evaluate.ais.estimate_log_likelihood``), printed as a few lines.

The test patterns are the bundled digits' test split (``digits``, as the DBM experiment and
``boltzprune prune`` split them; the base-rate model from the training split) or every row
of a data file (the base-rate model from those rows). A DBM's reverse AIS starts from Gibbs
samples of the model drawn here.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch

from boltzprune.errors import InvalidInputError
from boltzprune.evaluate.config import AISConfig

__all__ = ["DIGITS", "LoglikResult", "estimate_checkpoint", "format_result"]

DIGITS = "digits"
REVERSE_BURN_IN = 1_000  # Gibbs sweeps before the DBM samples that start reverse AIS


@dataclass(frozen=True)
class LoglikResult:
    kind: str  # "RBM" or "DBM"
    sizes: list[int]
    n_weights: int
    data: str  # where the test patterns came from
    estimate: object  # evaluate.ais.LikelihoodEstimate
    seconds: float


def _patterns(data: str, n_visible: int) -> tuple[torch.Tensor, torch.Tensor, str]:
    """(test patterns, base-rate patterns, description)."""
    if data == DIGITS:
        from boltzprune.data.mnist import load_digits

        d = load_digits("bundled", test_fraction=0.2, seed=0)
        x_te, x_tr = torch.from_numpy(d.x_test).float(), torch.from_numpy(d.x_train).float()
        what = f"the bundled digits' {len(x_te):,} test digits"
    else:
        from boltzprune.data.arrays import read_array_data

        a = read_array_data(data)
        x_te = x_tr = torch.from_numpy(a.x).float()
        what = f"{len(x_te):,} patterns of {data}"
    if x_te.shape[1] != n_visible:
        raise InvalidInputError(f"the model has {n_visible} visible units but {what} have "
                                f"{x_te.shape[1]} (give --data FILE with patterns of "
                                f"{n_visible} units)")
    return x_te, x_tr, what


def estimate_checkpoint(path: str, data: str = DIGITS, config: AISConfig = AISConfig(),  # noqa: B008
                        *, device: str = "cpu", seed: int = 0,
                        progress: bool = True) -> LoglikResult:
    """The test log-likelihood of the model saved at ``path`` (``io.save_model``)."""
    from boltzprune.evaluate.ais import estimate_log_likelihood
    from boltzprune.io import load_model
    from boltzprune.models.rbm import RBM
    from boltzprune.seeding import stage_generator

    t0 = time.perf_counter()
    dev = torch.device(device)
    model = load_model(path, dev)[0]
    rbm = isinstance(model, RBM)
    sizes = [model.n_visible, model.n_hidden] if rbm else list(model.sizes)
    x_te, x_tr, what = _patterns(data, sizes[0])
    x_te, x_tr = x_te.to(dev), x_tr.to(dev)
    samples = None
    if not rbm:
        from boltzprune.sampling.config import SamplingConfig
        from boltzprune.sampling.gibbs import sample_dbm

        n = config.n_reverse
        samples = sample_dbm(model, SamplingConfig(n_samples=n, n_chains=n,
                                                   burn_in=REVERSE_BURN_IN, init="data"),
                             data=x_tr, generator=stage_generator(seed, "samples", device=dev),
                             progress=progress)
    est = estimate_log_likelihood(model, x_te, config,
                                  generator=stage_generator(seed, "ais", device=dev),
                                  base_data=x_tr, model_samples=samples, progress=progress)
    n_weights = model.n_weights if rbm else sum(model.n_weights)
    return LoglikResult("RBM" if rbm else "DBM", sizes, n_weights, what, est,
                        time.perf_counter() - t0)


def format_result(r: LoglikResult) -> str:
    """The lines ``boltzprune loglik`` prints."""
    e = r.estimate
    head = (f"{r.kind} {' - '.join(map(str, r.sizes))} ({r.n_weights:,} weights); "
            f"test patterns: {r.data}")
    if e.method == "exact":
        return (f"{head}\nlog Z = {e.log_z_exact:.4f} (exact, by enumeration)\n"
                f"test log-likelihood = {e.value:.4f} nats per pattern (exact)\n"
                f"({r.seconds:.1f} s)")
    f, b = e.log_z, e.log_z_reverse
    lines = [head, f"log Z, forward AIS:  {f.log_z:.3f} ± {f.std_err:.3f} (ESS {f.ess:.1f} of "
             f"{f.n_runs} runs, {f.n_betas:,} inverse temperatures; tends low)"]
    if b is not None:
        src = "test patterns (RAISE)" if r.kind == "RBM" else "model samples"
        lines.append(f"log Z, reverse AIS:  {b.log_z:.3f} ± {b.std_err:.3f} ({b.n_runs} runs "
                     f"from {src}; tends high)")
    lo, hi = e.interval
    what = "test log-likelihood" if r.kind == "RBM" else \
        "test log-likelihood, mean-field lower bound"
    lines.append(f"{what}: {lo:.3f} .. {hi:.3f} nats per pattern")
    lines.append(f"({r.seconds:.1f} s; docs/likelihood.md explains the interval)")
    return "\n".join(lines)
