"""The online-pruning experiment: per seed, phase 1 trains the 13 x 70 RBM (tracing its
exact FIM) and draws the samples the offline loop's first cut shares; phase 2, per (seed,
criterion), trains the four variants of ``config.VARIANTS`` to the same final weight count
and evaluates each exactly. Both phases fan out over worker processes; every variant is
checkpointed when it finishes and read back on a resume, and each is computed from its own
stage generator, so a run resumed after a kill gives the numbers of an uninterrupted one.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from boltzprune.app.experiment import RunContext
from boltzprune.app.online.config import VARIANTS, OnlinePruningConfig
from boltzprune.app.patches import PatchData
from boltzprune.app.workers import run_phases
from boltzprune.evaluate.patterns import empirical_distribution, exact_fit
from boltzprune.fisher.exact import exact_fim
from boltzprune.fisher.full import parameter_mask
from boltzprune.fisher.running import RunningFisher
from boltzprune.fisher.stats import parameter_blocks
from boltzprune.io import load_model, read_json, save_model, write_json
from boltzprune.models.rbm import RBM, init_rbm
from boltzprune.pruning.online import train_pruning
from boltzprune.pruning.pipeline import PruneConfig, prune_retrain, shared_samples
from boltzprune.pruning.units import remove_dead_units
from boltzprune.seeding import randperm, stage_generator
from boltzprune.training.cd import train_rbm
from boltzprune.training.hooks import UpdateState

__all__ = ["VariantRow", "TracePoint", "CriterionResult", "SeedResult",
           "load_data", "run", "train_initial", "run_criterion", "TOP_UNITS"]

TOP_UNITS = 10  # the traces' FI share is that of the hidden units with the most


@dataclass(frozen=True)
class VariantRow:
    """One row of metrics.csv: a model at the end of one variant, evaluated exactly."""

    seed: int
    criterion: str  # "none" for the trained, unpruned model
    variant: str  # "trained" or one of VARIANTS
    n_weights: int
    n_hidden: int
    log_likelihood: float  # mean log p(v) per training pattern (nats)
    kl: float  # KL(data || model) (nats)
    updates: int  # parameter updates of all its training
    model_samples: int  # model samples drawn for its importance estimates
    seconds: float  # wall time of its training, sampling and cuts (traces excluded)


@dataclass(frozen=True)
class TracePoint:
    """The exact FIM of the model in training after ``step`` updates: its leading
    eigenvalue over the existing parameters, the share of the weights' FI held by the
    TOP_UNITS hidden units with the most, and the correlation of the running variance
    estimate with the exact FI diagonal over the existing weights."""

    step: int
    weights: int
    hidden_units: int
    eig1: float
    top_share: float
    running_corr: float


@dataclass(frozen=True)
class CriterionResult:
    """One (seed, criterion): a row per variant, the online variant's trace and events
    (``pruning.online.PruneEvent`` as dicts), and the offline loop's cuts (the update count
    at each, the weights and hidden units left)."""

    seed: int
    criterion: str
    rows: list[VariantRow]
    online_trace: list[TracePoint]
    events: list[dict[str, Any]]
    offline_cuts: list[dict[str, int]]


@dataclass(frozen=True)
class SeedResult:
    """One seed: the trained model's row and trace (no pruning), and every criterion's."""

    seed: int
    trained: VariantRow
    trace: list[TracePoint]
    criteria: list[CriterionResult]


def load_data(cfg: OnlinePruningConfig) -> PatchData:
    from boltzprune.data import make_patches, pattern_stats

    x = make_patches("tiles", n_patches=cfg.n_patches, radius=cfg.radius, seed=cfg.data_seed)
    return PatchData(x, pattern_stats(x))


class _Tracer:
    """A training hook: every ``every`` updates, the exact FIM of the model (``TracePoint``);
    ``seconds`` is the time it took, which the variants' wall times leave out."""

    def __init__(self, every: int, tracker: RunningFisher):
        self.every, self.tracker = every, tracker
        self.points: list[TracePoint] = []
        self.seconds = 0.0

    def __call__(self, state: UpdateState) -> None:
        if state.step % self.every == 0:
            self.probe(state.model, state.step)

    def probe(self, rbm: RBM, step: int) -> None:
        t0 = time.perf_counter()
        F = exact_fim(rbm)
        keep = parameter_mask(rbm.mask)
        eig1 = float(torch.linalg.eigvalsh(F[keep][:, keep]).max())
        diag = parameter_blocks(F.diagonal(), rbm.n_visible, rbm.n_hidden)["W"].double()
        diag = diag * rbm.mask
        unit = diag.sum(0)
        top = float(unit.sort(descending=True).values[:TOP_UNITS].sum() / unit.sum())
        corr = math.nan  # before the first update there is no running estimate
        if self.tracker.n_updates:
            est = self.tracker.importance("variance", rbm)[0].double()[rbm.mask]
            corr = float(torch.corrcoef(torch.stack([est, diag[rbm.mask]]))[0, 1])
        self.points.append(TracePoint(step, int(rbm.mask.sum()),
                                      int(rbm.mask.any(0).sum()), eig1, top, corr))
        self.seconds += time.perf_counter() - t0

    def finish(self, rbm: RBM, step: int) -> None:
        """Probe the trained model unless the last update was probed already."""
        if not self.points or self.points[-1].step != step:
            self.probe(rbm, step)


def _x(data: np.ndarray, cfg: OnlinePruningConfig) -> torch.Tensor:
    return torch.from_numpy(data).to(torch.float32).to(torch.device(cfg.device))


def _updates(cfg: OnlinePruningConfig, n: int, epochs: int) -> int:
    return epochs * math.ceil(n / cfg.training.batch_size)


def _init(cfg: OnlinePruningConfig, x: torch.Tensor, n_hidden: int, *keys: Any) -> RBM:
    return init_rbm(x.shape[1], n_hidden, weight_std=cfg.weight_std,
                    hidden_bias=cfg.hidden_bias, visible_on_fraction=x.mean(0).cpu(),
                    generator=stage_generator(*keys, device=x.device)).to(x.device)


def _seed_dir(run_dir: Path, seed: int) -> Path:
    return run_dir / f"seed{seed}"


def _row(seed: int, crit: str, variant: str, rbm: RBM, p_data: np.ndarray, updates: int,
         seconds: float, model_samples: int = 0) -> VariantRow:
    return VariantRow(seed, crit, variant, rbm.n_weights, rbm.n_hidden,
                      **exact_fit(rbm, p_data), updates=updates, model_samples=model_samples,
                      seconds=seconds)


def _trace(points: list[dict[str, Any]]) -> list[TracePoint]:
    return [TracePoint(**p) for p in points]


def train_initial(cfg: OnlinePruningConfig, seed: int, data: np.ndarray, run_dir: Path,
                  ticks: Any = None) -> tuple[VariantRow, list[TracePoint]]:
    """Phase 1 of one seed: train the over-complete RBM with ``cfg.training`` (tracing its
    exact FIM), and draw the samples the offline loop's first cut shares. Writes
    trained.safetensors, trained.json and samples.safetensors under run_dir/seed<k>/."""
    x = _x(data, cfg)
    out = _seed_dir(run_dir, seed)
    done = out / "trained.json"
    if done.exists() and (out / "trained.safetensors").exists():
        rbm = load_model(out / "trained.safetensors", x.device)[0]
        got = read_json(done)
        row, trace = VariantRow(**got["row"]), _trace(got["trace"])
    else:
        t0 = time.perf_counter()
        rbm0 = _init(cfg, x, cfg.n_hidden, seed, "init")
        tracer = _Tracer(cfg.trace_every, RunningFisher(rbm0, decay=cfg.decay, phase=cfg.phase))
        tracer.probe(rbm0, 0)
        rbm = train_rbm(rbm0, x, cfg.torch_training(cfg.training.epochs),
                        generator=stage_generator(seed, "train", device=x.device),
                        hooks=[tracer.tracker, tracer]).rbm
        tracer.finish(rbm, _updates(cfg, len(x), cfg.training.epochs))
        seconds = time.perf_counter() - t0 - tracer.seconds
        row = _row(seed, "none", "trained", rbm, empirical_distribution(data),
                   _updates(cfg, len(x), cfg.training.epochs), seconds)
        trace = tracer.points
        save_model(out / "trained.safetensors", rbm, {"seed": seed})
        write_json(done, {"row": asdict(row), "trace": [asdict(p) for p in trace]})
    _first_samples(cfg, seed, rbm, x, out)
    if ticks is not None:
        ticks.put(1)
    return row, trace


def _first_samples(cfg: OnlinePruningConfig, seed: int, rbm: RBM, x: torch.Tensor,
                   out: Path) -> list[torch.Tensor]:
    return shared_samples(rbm, cfg.sampling, out / "samples.safetensors", data=x,
                          generator=stage_generator(seed, "initial", "sample",
                                                    device=rbm.device),
                          meta={"seed": seed}, names=["v", "h"])


def _stage(path: Path, device: torch.device, compute) -> tuple[RBM, dict[str, Any]]:
    """A variant's model and record: read back when both files exist, else computed by
    ``compute() -> (model, record)`` and written (the record last)."""
    model_path, record_path = path.with_suffix(".safetensors"), path.with_suffix(".json")
    if model_path.exists() and record_path.exists():
        return load_model(model_path, device)[0], read_json(record_path)
    model, record = compute()
    save_model(model_path, model, {"variant": path.stem})
    write_json(record_path, record)
    return model, record


def run_criterion(cfg: OnlinePruningConfig, seed: int, crit: str, data: np.ndarray,
                  run_dir: Path, ticks: Any = None) -> CriterionResult:
    """Phase 2 of one (seed, criterion): the four variants, each checkpointed under
    run_dir/seed<k>/<criterion>/ (a finished variant is read back)."""
    x = _x(data, cfg)
    dev = x.device
    out = _seed_dir(run_dir, seed) / crit
    p_data = empirical_distribution(data)
    n = len(x)
    trained = load_model(_seed_dir(run_dir, seed) / "trained.safetensors", dev)[0]
    first = read_json(_seed_dir(run_dir, seed) / "trained.json")["row"]

    def tick() -> None:
        if ticks is not None:
            ticks.put(1)

    def offline():
        t0 = time.perf_counter()
        samples = _first_samples(cfg, seed, trained, x, _seed_dir(run_dir, seed))
        hist = prune_retrain(trained, x, PruneConfig(crit, cfg.iterations, cfg.fraction),
                             retrain=cfg.torch_training(cfg.training.epochs),
                             sampling=cfg.sampling, seed=seed,
                             first_samples=samples, checkpoints=out / "offline_rounds",
                             meta={"seed": seed})
        model = hist.rounds[-1].retrained
        # the first training's time counts: the loop starts from the trained model
        seconds = time.perf_counter() - t0 + first["seconds"]
        row = _row(seed, crit, "offline", model, p_data,
                   _updates(cfg, n, cfg.total_epochs), seconds,
                   cfg.iterations * cfg.sampling.n_samples)
        per_training = _updates(cfg, n, cfg.training.epochs)
        cuts = [{"step": r.iteration * per_training, "weights": r.pruned.n_weights,
                 "hidden_units": r.pruned.n_hidden} for r in hist.rounds]
        return model, {"row": asdict(row), "cuts": cuts}

    off_model, off = _stage(out / "offline", dev, offline)
    tick()
    final_w = off_model.n_weights

    def online():
        t0 = time.perf_counter()
        rbm0 = _init(cfg, x, cfg.n_hidden, seed, "init")  # the offline loop's initial weights
        tracer = _Tracer(cfg.trace_every, RunningFisher(rbm0, decay=cfg.decay, phase=cfg.phase))
        tracer.probe(rbm0, 0)
        res = train_pruning(rbm0, x, cfg.torch_training(cfg.online_epochs),
                            cfg.online_prune(crit, final_w / rbm0.n_weights),
                            generator=stage_generator(seed, crit, "online", device=dev),
                            hooks=[tracer.tracker, tracer])
        tracer.finish(res.trained, _updates(cfg, n, cfg.online_epochs))
        seconds = time.perf_counter() - t0 - tracer.seconds
        row = _row(seed, crit, "online", res.model, p_data,
                   _updates(cfg, n, cfg.online_epochs), seconds)
        return res.model, {"row": asdict(row), "trace": [asdict(p) for p in tracer.points],
                           "events": [asdict(e) for e in res.events]}

    _, on = _stage(out / "online", dev, online)
    tick()

    def from_scratch(variant: str, mask_of) -> tuple[RBM, dict[str, Any]]:
        t0 = time.perf_counter()
        rbm = _init(cfg, x, off_model.n_hidden, seed, crit, variant, "init")
        mask = mask_of(rbm)
        rbm = RBM(rbm.W * mask, rbm.b_v, rbm.b_h, mask, rbm.hidden_index)
        train = dataclasses.replace(cfg.training, epochs=cfg.total_epochs)
        rbm = train_rbm(rbm, x, train, generator=stage_generator(seed, crit, variant, "train",
                                                                 device=dev)).rbm
        rbm = remove_dead_units(rbm).model
        row = _row(seed, crit, variant, rbm, p_data, _updates(cfg, n, cfg.total_epochs),
                   time.perf_counter() - t0)
        return rbm, {"row": asdict(row)}

    def random_mask(rbm: RBM) -> torch.Tensor:
        g = stage_generator(seed, crit, "random_mask", "mask", device=dev)
        keep = randperm(rbm.W.numel(), g, dev)[:final_w]
        mask = torch.zeros(rbm.W.numel(), dtype=torch.bool, device=dev)
        mask[keep] = True
        return mask.reshape(rbm.W.shape)

    _, scratch = _stage(out / "scratch", dev,
                        lambda: from_scratch("scratch", lambda r: off_model.mask.clone()))
    tick()
    _, rand = _stage(out / "random_mask", dev, lambda: from_scratch("random_mask", random_mask))
    tick()
    records = {"offline": off, "online": on, "scratch": scratch, "random_mask": rand}
    return CriterionResult(seed, crit, [VariantRow(**records[v]["row"]) for v in VARIANTS],
                           _trace(on["trace"]), on["events"], off["cuts"])


def run(cfg: OnlinePruningConfig, data: PatchData, ctx: RunContext) -> list[SeedResult]:
    """Both phases over every seed; returns one result per seed (written to metrics.json
    under its folder)."""
    write_json(ctx.dir / "data_stats.json", data.stats)
    results = []
    for (row, trace), crits in run_phases(cfg, data.x, ctx.dir, [(s,) for s in cfg.seeds],
                                          train_initial, run_criterion, name="online-pruning",
                                          ticks_per_job=len(VARIANTS), progress=ctx.progress):
        r = SeedResult(row.seed, row, trace, crits)
        write_json(_seed_dir(ctx.dir, row.seed) / "metrics.json", asdict(r))
        results.append(r)
    return results
