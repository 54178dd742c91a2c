"""The DBM experiment (paper 2.4-2.5, Fig 3-4).

Phase 1, per seed: pretrain and jointly train the 400-400-676 DBM with receptive fields,
draw the model samples that every criterion's first importance estimate shares, and read
out the unpruned model. Phase 2, per (seed, criterion): the library's prune-retrain
pipeline (10 % of each weight matrix per round, the zero-FI rule, retraining), reading out
after every round the encoding quality, the units left, the disconnected pixels and the
quality of generated digits; then the pruned architecture retrained from scratch and the
diversity of what it generates. Both phases fan out over worker processes; finished stages
are read back from the run directory.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from boltzprune.app.dbm_mnist.config import DBMMnistConfig
from boltzprune.app.experiment import RunContext
from boltzprune.app.workers import run_phases
from boltzprune.data.mnist import DigitData
from boltzprune.errors import InvalidInputError
from boltzprune.evaluate.health import ModelHealth, model_health
from boltzprune.io import load_model, save_checkpoint, save_model, write_json
from boltzprune.models.dbm import DBM
from boltzprune.models.masks import receptive_field_mask
from boltzprune.pruning.pipeline import (
    PruneConfig,
    PruneRound,
    model_samples,
    prune_retrain,
    shared_samples,
)
from boltzprune.seeding import stage_generator
from boltzprune.training.dbm import pretrain_dbm, train_dbm

__all__ = ["RoundRow", "HealthRow", "Baseline", "BootstrapEntropy", "FullRetrain", "SeedResult",
           "load_data", "run", "train_initial", "run_criterion", "ENTROPY_SIZES",
           "READOUT_MAX_ITER", "READOUT_C", "GENERATED_C", "BOOTSTRAP_RESAMPLES"]

ENTROPY_SIZES = (100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 40_000, 80_000)
READOUT_MAX_ITER = 100  # logistic-regression iterations per readout (converged to ~0.002)
READOUT_C = 1.0  # inverse regularisation of the readout of encodings (the authors' code)
GENERATED_C = 0.1  # of the raw-digit classifier that labels generated digits (their code)
BOOTSTRAP_RESAMPLES = 10_000  # per sample size, for the entropy of generated classes


@dataclass(frozen=True)
class RoundRow:
    """One row of metrics.csv: a model after a round (iteration 0: trained, unpruned)."""

    seed: int
    criterion: str  # "none" for the unpruned model
    iteration: int
    n_weights: list[int]  # per weight matrix
    n_weights_total: int
    n_h1: int
    n_h2: int
    n_dead_visible: int  # pixels left without any weight
    encoding_error: float  # test error of a logistic readout of the h2 encodings
    confidence: float  # mean winning probability of the raw-digit classifier on samples
    class_fractions: list[float]  # of the generated digits
    n_cut: list[int] | None = None  # weights the criterion cut per matrix (None: unpruned)
    # mean test log p(v) >= mean-field bound - log Z, with log Z from reverse AIS (low) and
    # forward AIS (high) (None: log_likelihood off)
    log_lik_low: float | None = None
    log_lik_high: float | None = None
    log_z: float | None = None  # forward AIS
    log_z_se: float | None = None  # its standard error
    log_z_reverse: float | None = None


@dataclass(frozen=True)
class HealthRow:
    """One row of health.csv: ``evaluate.health.model_health`` of a model (the unpruned one,
    each round's retrained one, each fully retrained architecture); lists run over h1, h2."""

    seed: int
    criterion: str  # "none" for the unpruned model
    iteration: int  # 0: unpruned; k: after round k (full retrains: the last round)
    stage: str  # "trained", "retrained" (after a round) or "full retrain"
    n_units: list[int]
    silent: list[int]  # units never on in the model samples
    saturated: list[int]  # units always on in the model samples
    mean_data: list[float]  # mean mean-field activation given the training data
    mean_model: list[float]  # mean activation in the model samples
    capped: list[int] | None  # units whose incoming weights sit at the max-norm cap
    visible_silent: int  # pixels never on in the model samples
    reconstruction_error: float  # mean (v - p(v | mu_1))^2 over training patterns
    reconstruction_baseline: float  # the same error of each pixel's training mean
    warnings: list[str]  # what model_health found degenerate (empty: healthy)


def _health_row(seed: int, criterion: str, iteration: int, stage: str, h: ModelHealth
                ) -> HealthRow:
    capped = None if h.layers[0].capped is None else [x.capped for x in h.layers]
    return HealthRow(seed, criterion, iteration, stage, [x.n_units for x in h.layers],
                     [x.silent for x in h.layers],
                     [x.saturated for x in h.layers], [x.mean_data for x in h.layers],
                     [x.mean_model for x in h.layers], capped, h.visible_silent,
                     h.reconstruction_error, h.reconstruction_baseline, list(h.warnings))


@dataclass(frozen=True)
class Baseline:
    """What a model is compared with: readout of raw pixels, the classifier's confidence on
    test digits and on random patterns."""

    raw_pixel_error: float
    test_digit_confidence: float
    random_pattern_confidence: float


@dataclass(frozen=True)
class BootstrapEntropy:
    """``bootstrap_entropy`` of the classes of the generated digits (paper 2.5, 4.5)."""

    sizes: tuple[int, ...]  # bootstrap sample sizes k
    mean: tuple[float, ...]  # per size: mean plug-in entropy over resamples (nats)
    sd: tuple[float, ...]  # per size: its sd over resamples (ddof 1)
    extrapolated: float  # intercept of mean = extrapolated + slope / k (k -> infinity)
    slope: float  # the fitted coefficient of 1 / k
    full_sample: float  # plug-in entropy of all the labels


@dataclass(frozen=True)
class FullRetrain:
    """Digits generated by the final architecture retrained from scratch."""

    confidence: float
    class_fractions: list[float]
    entropy_nats: float
    bootstrap: BootstrapEntropy
    log_lik_low: float | None = None  # as RoundRow's, of the retrained architecture
    log_lik_high: float | None = None


@dataclass(frozen=True)
class SeedResult:
    seed: int
    baseline: Baseline
    rows: list[RoundRow]  # the unpruned model, then every criterion's rounds
    full_retrain: dict[str, FullRetrain]  # by criterion
    seconds: float
    health: list[HealthRow]  # as ``rows``, then every full retrain


@dataclass(frozen=True)
class _Pruned:
    """What phase 2 gives for one (seed, criterion)."""

    rows: list[RoundRow]
    full_retrain: FullRetrain | None
    seconds: float
    health: list[HealthRow]


def load_data(cfg: DBMMnistConfig) -> DigitData:
    from boltzprune.data.mnist import load_digits

    d = load_digits(cfg.data_source, idx_dir=cfg.idx_dir, test_fraction=cfg.test_fraction,
                    seed=0)
    if cfg.n_train is not None and cfg.n_train > len(d.y_train):
        raise InvalidInputError(f"n_train={cfg.n_train:,}: the {cfg.data_source} data hold "
                                f"only {len(d.y_train):,} training images (give at most that, "
                                "or leave n_train out for all)")
    if cfg.n_train is not None and cfg.n_train < len(d.y_train):
        d = dataclasses.replace(d, x_train=d.x_train[:cfg.n_train],
                                y_train=d.y_train[:cfg.n_train])
    return d


class _Seed:
    """Data on the device, the recipe and the raw-digit classifier of one seed, built in the
    process that runs the seed's jobs."""

    def __init__(self, cfg: DBMMnistConfig, seed: int, digits: DigitData):
        from boltzprune.evaluate.readout import fit_classifier

        self.cfg, self.seed, self.digits = cfg, seed, digits
        self.device = torch.device(cfg.device)
        self.x_tr = torch.from_numpy(digits.x_train).float().to(self.device)
        self.x_te = torch.from_numpy(digits.x_test).float().to(self.device)
        self.y_tr = torch.from_numpy(digits.y_train).to(self.device)
        self.y_te = torch.from_numpy(digits.y_test).to(self.device)
        self.recipe = cfg.recipe
        self.raw_clf = fit_classifier(self.x_tr, self.y_tr, C=GENERATED_C, seed=seed)

    def gen(self, *stage: object) -> torch.Generator:
        """The generator of a stage of this seed, on the device."""
        return stage_generator(self.seed, *stage, device=self.device)

    def train_from_scratch(self, sizes: list[int], masks: list, key: tuple) -> DBM:
        """Random initialisation, greedy pretraining and joint training (paper 4.3.2)."""
        dbm = pretrain_dbm(sizes, self.x_tr, list(self.recipe.pretrain), masks=masks,
                           generator=self.gen(*key, "pretrain"))
        return train_dbm(dbm, self.x_tr, self.recipe.joint,
                         generator=self.gen(*key, "joint"))

    def sample(self, model: DBM, key: tuple, n: int | None = None) -> list[torch.Tensor]:
        sampling = self.recipe.sampling
        if n is not None:
            sampling = dataclasses.replace(sampling, n_samples=n)
        return model_samples(model, sampling, data=self.x_tr,
                             generator=self.gen(*key, "sample"))

    def first_samples(self, model: DBM, out: Path) -> list[torch.Tensor]:
        """The samples of the trained model every criterion's first estimate shares
        (trained_samples.safetensors)."""
        return shared_samples(model, self.recipe.sampling, out / "trained_samples.safetensors",
                              data=self.x_tr, generator=self.gen("initial", "sample"))

    def readout(self, train: torch.Tensor, test: torch.Tensor) -> float:
        """Test error of the logistic readout of features (n, d) of the training and test
        digits, fitted on the features' device."""
        from boltzprune.evaluate.readout import encoding_error

        return encoding_error(train, self.y_tr, test, self.y_te, C=READOUT_C,
                              max_iter=READOUT_MAX_ITER, seed=self.seed)

    def health(self, model: DBM, samples: list[torch.Tensor], marginals: list[torch.Tensor],
               retrained: bool, readout: tuple[float, float] | None = None) -> ModelHealth:
        """model_health from the model's samples and its mean-field marginals of the
        training digits, against the max-norm cap of its last training (joint, or retraining
        after a round when ``retrained``); readout: (h2 encoding error, raw-pixel error)
        when both are known."""
        error, raw = readout or (None, None)
        last = self.recipe.retrain if retrained else self.recipe.joint
        return model_health(model, self.x_tr, samples, marginals=marginals,
                            max_norm=last.max_norm, readout_error=error,
                            raw_readout_error=raw)

    def likelihood(self, model: DBM, samples: list[torch.Tensor], key: tuple
                   ) -> dict[str, float | None]:
        """The test log-likelihood interval (RoundRow's log_lik_* and log_z* fields): the
        mean-field bound with log Z by forward AIS and by reverse AIS from ``samples``."""
        if not self.cfg.log_likelihood:
            return {}
        from boltzprune.evaluate.ais import estimate_log_likelihood

        est = estimate_log_likelihood(model, self.x_te, self.recipe.likelihood,
                                      generator=self.gen(*key, "likelihood"),
                                      base_data=self.x_tr, model_samples=samples,
                                      mean_field=self.recipe.readout)
        return {"log_lik_low": est.low, "log_lik_high": est.high,
                "log_z": est.log_z.log_z, "log_z_se": est.log_z.std_err,
                "log_z_reverse": est.log_z_reverse.log_z}

    def evaluate(self, model: DBM, samples: list[torch.Tensor], criterion: str, iteration: int,
                 n_cut: list[int] | None = None, raw_error: float | None = None
                 ) -> tuple[RoundRow, HealthRow]:
        """The round's metrics and the model's health (the encoding's readout checked
        against raw pixels when ``raw_error`` is given)."""
        from boltzprune.evaluate.readout import generation_quality

        marginals = model.mean_field(self.x_tr, self.recipe.readout)
        enc_te = model.mean_field(self.x_te, self.recipe.readout)[-1]
        error = self.readout(marginals[-1], enc_te)
        gq = generation_quality(self.raw_clf, samples[0])
        row = RoundRow(
            self.seed, criterion, iteration, model.n_weights, sum(model.n_weights),
            model.sizes[1], model.sizes[2], int((~model.masks[0].any(1)).sum()), error,
            gq.confidence, gq.class_fractions.tolist(), n_cut,
            **self.likelihood(model, samples, (criterion, iteration)))
        h = self.health(model, samples, marginals, iteration > 0,
                        None if raw_error is None else (error, raw_error))
        stage = "trained" if iteration == 0 else "retrained"
        return row, _health_row(self.seed, criterion, iteration, stage, h)


def _restore(path: Path, device: torch.device) -> DBM | None:
    """The DBM checkpointed at ``path`` when a resumed run already finished that stage."""
    return load_model(path, device)[0] if path.exists() else None


def train_initial(cfg: DBMMnistConfig, seed: int, digits: DigitData, run_dir: Path,
                  ticks: Any = None) -> SeedResult:
    """Phase 1 for one seed: the trained DBM, its shared samples, the baselines and its
    health."""
    from boltzprune.evaluate.readout import generation_quality

    t0 = time.perf_counter()
    c = _Seed(cfg, seed, digits)
    out = run_dir / f"seed{seed}"
    dbm = _restore(out / "trained.safetensors", c.device)
    if dbm is None:
        m1 = receptive_field_mask(digits.image_shape, cfg.window, cfg.stride)
        dbm = c.train_from_scratch([c.x_tr.shape[1], m1.shape[1], cfg.n_h2], [m1, None],
                                   ("initial",))
        save_model(out / "trained.safetensors", dbm, {"seed": seed})
    samples = c.first_samples(dbm, out)
    rng = np.random.default_rng(seed)
    noise = torch.from_numpy((rng.random(digits.x_test.shape) < 0.5).astype(np.float32))
    baseline = Baseline(c.readout(c.x_tr, c.x_te),
                        generation_quality(c.raw_clf, c.x_te).confidence,
                        generation_quality(c.raw_clf, noise.to(c.device)).confidence)
    row, health = c.evaluate(dbm, samples, "none", 0, raw_error=baseline.raw_pixel_error)
    save_checkpoint(out / "figure_data_unpruned.safetensors",
                    {"generated": samples[0][:25].cpu()})
    if ticks is not None:
        ticks.put(1)
    return SeedResult(seed, baseline, [row], {}, time.perf_counter() - t0, [health])


def run_criterion(cfg: DBMMnistConfig, seed: int, crit: str, digits: DigitData,
                  run_dir: Path, ticks: Any = None) -> _Pruned:
    """Phase 2 for one (seed, criterion): the pipeline's prune-retrain rounds, each read
    out, and the full retrain."""
    from boltzprune.evaluate.readout import bootstrap_entropy, generation_quality

    t0 = time.perf_counter()
    c = _Seed(cfg, seed, digits)
    out = run_dir / f"seed{seed}"
    trained = load_model(out / "trained.safetensors", c.device)[0]
    samples = c.first_samples(trained, out)
    rows: list[RoundRow] = []
    health: list[HealthRow] = []

    def record(r: PruneRound) -> None:
        row, h = c.evaluate(r.retrained, r.samples, crit, r.iteration, r.n_cut)
        rows.append(row)
        health.append(h)
        if ticks is not None:
            ticks.put(1)

    history = prune_retrain(
        trained, c.x_tr, PruneConfig(crit, cfg.iterations, cfg.fraction, zero_rule=True,
                                     sample_when="after_retrain"),
        retrain=c.recipe.retrain, sampling=c.recipe.sampling, seed=seed,
        first_samples=samples, checkpoints=out / crit, meta={"seed": seed}, on_round=record)
    final, last = history.final, history.rounds[-1].samples
    save_checkpoint(out / f"figure_data_{crit}.safetensors",
                    {"dead_visible": (~final.masks[0].any(1)).to(torch.uint8).cpu(),
                     "generated": last[0][:25].cpu()})
    full = None
    if cfg.full_retrain:
        full_path = out / crit / "full_retrain.safetensors"
        fresh = _restore(full_path, c.device)
        if fresh is None:
            fresh = c.train_from_scratch(final.sizes, final.masks, (crit, "full"))
            save_model(full_path, fresh, {"seed": seed, "criterion": crit, "stage": "full"})
        gen = c.sample(fresh, (crit, "full"), n=cfg.n_generate)
        h = c.health(fresh, gen, fresh.mean_field(c.x_tr, c.recipe.readout), False)
        health.append(_health_row(seed, crit, cfg.iterations, "full retrain", h))
        gq = generation_quality(c.raw_clf, gen[0])
        boot = bootstrap_entropy(gq.labels, ENTROPY_SIZES, n_resamples=BOOTSTRAP_RESAMPLES,
                                 seed=seed)
        lik = c.likelihood(fresh, gen, (crit, "full"))
        full = FullRetrain(gq.confidence, gq.class_fractions.tolist(), gq.entropy_nats,
                           BootstrapEntropy(
                               sizes=tuple(int(k) for k in boot["sizes"]),
                               mean=tuple(float(h) for h in boot["mean"]),
                               sd=tuple(float(h) for h in boot["sd"]),
                               extrapolated=float(boot["extrapolated"]),
                               slope=float(boot["slope"]),
                               full_sample=float(boot["full_sample"])),
                           lik.get("log_lik_low"), lik.get("log_lik_high"))
        if ticks is not None:
            ticks.put(1)
    return _Pruned(rows, full, time.perf_counter() - t0, health)


def _warn(res: SeedResult) -> None:
    """Tell the log about every trained-from-scratch model (unpruned, full retrain) that
    model_health calls degenerate; pruned models are in the report's health section."""
    for h in res.health:
        if h.warnings and h.stage != "retrained":
            what = "the trained DBM" if h.criterion == "none" else \
                f"the {h.criterion} architecture retrained from scratch"
            tqdm.write(f"warning: seed {res.seed}, {what}: {'; '.join(h.warnings)}",
                       file=sys.stderr)


def run(cfg: DBMMnistConfig, digits: DigitData, ctx: RunContext) -> list[SeedResult]:
    """Both phases over every seed and criterion; returns one result per seed."""
    write_json(ctx.dir / "data.json", {"source": digits.source, "dataset": digits.dataset,
                                       "n_train": len(digits.y_train),
                                       "n_test": len(digits.y_test),
                                       "threshold": digits.threshold,
                                       "image_shape": list(digits.image_shape)})
    results = []
    for ini, pruned in run_phases(cfg, digits, ctx.dir, [(s,) for s in cfg.seeds],
                                  train_initial, run_criterion, name="dbm-mnist",
                                  ticks_per_job=cfg.iterations + int(cfg.full_retrain),
                                  progress=ctx.progress):
        res = dataclasses.replace(
            ini, rows=ini.rows + [r for p in pruned for r in p.rows],
            full_retrain={c: p.full_retrain for c, p in zip(cfg.criteria, pruned, strict=True)
                          if p.full_retrain},
            seconds=ini.seconds + sum(p.seconds for p in pruned),
            health=ini.health + [h for p in pruned for h in p.health])
        _warn(res)
        write_json(ctx.dir / f"seed{ini.seed}" / "metrics.json", dataclasses.asdict(res))
        results.append(res)
    return results
