"""The RBM experiment (paper 2.2-2.3, Table 1, Fig 1-2).

For each (training schedule, seed), phase 1 trains the 13 x 70 RBM, draws the model samples
every criterion's first importance estimate shares, and measures the FIM (sampled and
exact). Phase 2, per (schedule, seed, criterion), runs the library's prune-retrain pipeline
and evaluates every stage exactly (log-likelihood, KL, pattern distribution). Both phases
fan out over worker processes; finished stages are read back from the run directory.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from boltzprune._validate import check_memory
from boltzprune.app.experiment import RunContext
from boltzprune.app.patches import PatchData
from boltzprune.app.rbm_patches.config import RBMPatchesConfig
from boltzprune.app.workers import run_phases
from boltzprune.evaluate.patterns import empirical_distribution, exact_fit, model_distribution
from boltzprune.evaluate.patterns import rank_frequency as sorted_frequencies
from boltzprune.fisher.exact import exact_fim
from boltzprune.fisher.full import fim_eigen, sampled_fim
from boltzprune.fisher.stats import parameter_blocks
from boltzprune.io import load_checkpoint, load_model, save_checkpoint, save_model, write_json
from boltzprune.models.rbm import INIT_BYTES_PER_WEIGHT, RBM, init_rbm
from boltzprune.pruning.pipeline import PruneConfig, PruneRound, prune_retrain, shared_samples
from boltzprune.seeding import stage_generator
from boltzprune.training.cd import train_rbm

__all__ = ["StageRow", "FIMResult", "SeedResult", "load_data", "run",
           "train_initial", "run_criterion"]


@dataclass(frozen=True)
class StageRow:
    """One row of metrics.csv: a model after a stage, evaluated exactly."""

    schedule: str
    seed: int
    criterion: str  # "none" for the trained, unpruned model
    iteration: int  # 0 for the trained model
    stage: str  # "trained", "pruned" or "retrained"
    n_weights: int
    n_hidden: int
    log_likelihood: float  # mean log p(v) per training pattern (nats)
    kl: float  # KL(data || model) (nats)


@dataclass(frozen=True)
class FIMResult:
    """The FIM of the trained RBM: sampled and exact leading eigenvalues, the relative L1
    error of the sampled diagonal, and the share of the weight FI held by the 10 hidden
    units with the most."""

    eigenvalues_sampled: list[float]
    eigenvalues_exact: list[float]
    diagonal_relative_error: float
    top10_unit_share: float
    n_samples: int


@dataclass(frozen=True)
class SeedResult:
    """Everything one (schedule, seed) produced."""

    schedule: str
    seed: int
    rows: list[StageRow]
    fim: FIMResult
    mean_abs_w: float
    seconds: float


@dataclass(frozen=True)
class _Initial:
    schedule: str
    seed: int
    row: StageRow
    ranks: dict[str, np.ndarray]
    fim: FIMResult
    mean_abs_w: float
    seconds: float


@dataclass(frozen=True)
class _Pruned:
    rows: list[StageRow]
    ranks: dict[str, np.ndarray]
    seconds: float


def load_data(cfg: RBMPatchesConfig) -> PatchData:
    from boltzprune.data import make_patches, pattern_stats

    x = make_patches(cfg.data_source, n_patches=cfg.n_patches, radius=cfg.radius,
                     seed=cfg.data_seed, cifar_dir=cfg.cifar_dir)
    _check_sizes(cfg, x.shape[1])
    return PatchData(x, pattern_stats(x))


def _check_sizes(cfg: RBMPatchesConfig, n_visible: int) -> None:
    """Refuse, before the run directory exists, a model, sample set or FIM larger than the
    memory of the run's device (float32 model and samples, two float64 FIMs of every
    parameter pair)."""
    n_h, n_s = cfg.n_hidden, cfg.sampling.n_samples
    n_params = n_visible * n_h + n_visible + n_h
    check_memory(f"n_hidden={n_h:,}", INIT_BYTES_PER_WEIGHT * n_visible * n_h, cfg.device)
    check_memory(f"sampling.n_samples={n_s:,}", 4 * n_s * (n_visible + n_h), cfg.device)
    check_memory(f"n_hidden={n_h:,} (its Fisher information matrix of {n_params:,}^2 entries)",
                 2 * 8 * n_params ** 2, cfg.device)


def _row(schedule: str, seed: int, criterion: str, iteration: int, stage: str, rbm: RBM,
         p_data: np.ndarray) -> StageRow:
    return StageRow(schedule, seed, criterion, iteration, stage, rbm.n_weights, rbm.n_hidden,
                    **exact_fit(rbm, p_data))


def _seed_dir(run_dir: Path, schedule: str, seed: int) -> Path:
    return run_dir / schedule / f"seed{seed}"


def _first_samples(cfg: RBMPatchesConfig, schedule: str, seed: int, rbm: RBM,
                   x: torch.Tensor, out: Path) -> list[torch.Tensor]:
    """The model samples every criterion's first importance estimate shares
    (samples.safetensors)."""
    return shared_samples(rbm, cfg.sampling, out / "samples.safetensors", data=x,
                          generator=stage_generator(seed, schedule, "initial", "sample",
                                                    device=rbm.device),
                          meta={"schedule": schedule, "seed": seed}, names=["v", "h"])


def train_initial(cfg: RBMPatchesConfig, schedule: str, seed: int, data: np.ndarray,
                  run_dir: Path, ticks: Any = None) -> _Initial:
    """Phase 1 of one (schedule, seed): train the RBM, draw the shared model samples and
    measure the FIM (sampled and exact). Writes trained.safetensors, samples.safetensors
    and fim.safetensors under run_dir/<schedule>/seed<k>/; finished files are read back."""
    dev = torch.device(cfg.device)
    x = torch.from_numpy(data).to(torch.float32).to(dev)
    out = _seed_dir(run_dir, schedule, seed)
    p_data = empirical_distribution(data)
    t0 = time.perf_counter()
    trained_path = out / "trained.safetensors"
    if trained_path.exists():  # resuming: completed stages are read back, not recomputed
        rbm = load_model(trained_path, dev)[0]
    else:
        rbm0 = init_rbm(x.shape[1], cfg.n_hidden, weight_std=cfg.weight_std,
                        hidden_bias=cfg.hidden_bias, visible_on_fraction=x.mean(0).cpu(),
                        generator=stage_generator(seed, schedule, "init", device=dev)).to(dev)
        rbm = train_rbm(rbm0, x, cfg.training[schedule],
                        generator=stage_generator(seed, schedule, "train", device=dev)).rbm
        save_model(trained_path, rbm, {"schedule": schedule, "seed": seed})

    v, h = _first_samples(cfg, schedule, seed, rbm, x, out)
    fim_path = out / "fim.safetensors"
    if fim_path.exists():
        F, F_exact = (load_checkpoint(fim_path)[0][k].double()
                      for k in ("fim_sampled", "fim_exact"))
    else:  # every figure is derived from the float32 FIM kept on disk, as on a resume
        F, F_exact = (f.float().double() for f in (sampled_fim(v, h), exact_fim(rbm)))
    eig = fim_eigen(F, rbm.mask, k=10)
    eig_exact = fim_eigen(F_exact, rbm.mask, k=10)
    if not fim_path.exists():
        save_checkpoint(fim_path, {"fim_sampled": F.float(), "fim_exact": F_exact.float(),
                                   "eigvec_sampled": eig.vectors[:, 0].float(),
                                   "eigvec_exact": eig_exact.vectors[:, 0].float()},
                        {"n_visible": rbm.n_visible, "n_hidden": rbm.n_hidden})
    diag_rel_err = float((F.diagonal() - F_exact.diagonal()).abs().sum()
                         / F_exact.diagonal().abs().sum())
    unit_fi = parameter_blocks(F_exact.diagonal(), rbm.n_visible, rbm.n_hidden)["W"].sum(0)
    top10_share = float(unit_fi.sort(descending=True).values[:10].sum() / unit_fi.sum())
    if ticks is not None:
        ticks.put(1)
    return _Initial(schedule, seed, _row(schedule, seed, "none", 0, "trained", rbm, p_data),
                    {"data": sorted_frequencies(p_data),
                     "trained": sorted_frequencies(model_distribution(rbm))},
                    FIMResult(eig.values.tolist(), eig_exact.values.tolist(), diag_rel_err,
                              top10_share, int(v.shape[0])),
                    float(rbm.W.abs().mean()), time.perf_counter() - t0)


def run_criterion(cfg: RBMPatchesConfig, schedule: str, seed: int, crit: str,
                  data: np.ndarray, run_dir: Path, ticks: Any = None) -> _Pruned:
    """Phase 2 of one (schedule, seed), for one criterion: the library's prune-retrain
    pipeline from the trained RBM and its shared samples, every stage evaluated exactly and
    checkpointed under <criterion>/ (finished rounds are read back)."""
    dev = torch.device(cfg.device)
    x = torch.from_numpy(data).to(torch.float32).to(dev)
    out = _seed_dir(run_dir, schedule, seed)
    p_data = empirical_distribution(data)
    t0 = time.perf_counter()
    rbm = load_model(out / "trained.safetensors", dev)[0]
    samples = _first_samples(cfg, schedule, seed, rbm, x, out)
    rows: list[StageRow] = []
    ranks: dict[str, np.ndarray] = {}

    def record(r: PruneRound) -> None:
        for stage, model in (("pruned", r.pruned), ("retrained", r.retrained)):
            rows.append(_row(schedule, seed, crit, r.iteration, stage, model, p_data))
            ranks[f"{crit}/{r.iteration}/{stage}"] = sorted_frequencies(
                model_distribution(model), drop_zeros=False)
        if ticks is not None:
            ticks.put(1)

    prune_retrain(rbm, x, PruneConfig(crit, cfg.iterations, cfg.fraction),
                  retrain=cfg.training[schedule], sampling=cfg.sampling, seed=seed,
                  first_samples=samples, checkpoints=out / crit,
                  meta={"schedule": schedule, "seed": seed}, on_round=record)
    return _Pruned(rows, ranks, time.perf_counter() - t0)


def _merge(cfg: RBMPatchesConfig, run_dir: Path, initial: _Initial, pruned: list[_Pruned]
           ) -> SeedResult:
    """One (schedule, seed)'s results from its two phases; writes rank_frequency.safetensors
    and metrics.json."""
    out = _seed_dir(run_dir, initial.schedule, initial.seed)
    mine = dict(zip(cfg.criteria, pruned, strict=True))
    rows = [initial.row] + [r for c in cfg.criteria for r in mine[c].rows]
    ranks = {**initial.ranks, **{k: v for c in cfg.criteria for k, v in mine[c].ranks.items()}}
    save_checkpoint(out / "rank_frequency.safetensors",
                    {k: torch.from_numpy(np.asarray(v)).float() for k, v in ranks.items()})
    result = SeedResult(initial.schedule, initial.seed, rows, initial.fim, initial.mean_abs_w,
                        initial.seconds + sum(p.seconds for p in mine.values()))
    write_json(out / "metrics.json", asdict(result))
    return result


def run(cfg: RBMPatchesConfig, data: PatchData, ctx: RunContext) -> list[SeedResult]:
    """Both phases over every (schedule, seed); returns one result per (schedule, seed)."""
    write_json(ctx.dir / "data_stats.json", data.stats)
    runs = [(s, seed) for s in cfg.schedules for seed in cfg.seeds]
    return [_merge(cfg, ctx.dir, ini, pruned)
            for ini, pruned in run_phases(cfg, data.x, ctx.dir, runs, train_initial,
                                          run_criterion, name="rbm-patches",
                                          ticks_per_job=cfg.iterations, progress=ctx.progress)]
