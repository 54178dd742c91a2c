"""The RBM experiment (paper 2.2-2.3, Table 1, Fig 1-2) as one function.

For each (training schedule, seed): train the 13 x 70 RBM; measure its FIM (sampled and exact);
for each criterion prune ``fraction`` of the weights ``iterations`` times with retraining;
evaluate every stage exactly (log-likelihood, KL, pattern distribution); write checkpoints.
Then aggregate over seeds into metrics, Table 1, figures and the report.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from boltzprune.evaluate.patterns import empirical_distribution, exact_fit, model_distribution
from boltzprune.evaluate.patterns import rank_frequency as sorted_frequencies
from boltzprune.experiments.config import (
    RBMPatchesConfig,
    config_to_dict,
    validate_rbm_patches_config,
)
from boltzprune.experiments.parallel import run_jobs
from boltzprune.experiments.runner import open_run_dir, write_manifest
from boltzprune.fisher.exact import exact_fim
from boltzprune.fisher.full import fim_eigen, sampled_fim
from boltzprune.fisher.stats import parameter_blocks
from boltzprune.io import load_checkpoint, load_rbm, save_checkpoint, save_rbm, write_json
from boltzprune.models.rbm import RBM, init_rbm
from boltzprune.pruning.criteria import load_plugins
from boltzprune.pruning.loop import PruneIteration, prune_retrain_loop
from boltzprune.sampling import Samples, sample_rbm
from boltzprune.seeding import stage_generator
from boltzprune.training.cd import train_rbm

__all__ = ["run_rbm_patches", "train_initial", "run_criterion"]


def _load_data(cfg: RBMPatchesConfig) -> np.ndarray:
    from boltzprune.data import make_patches

    return make_patches(cfg.data_source, n_patches=cfg.n_patches, radius=cfg.radius,
                        seed=cfg.data_seed, cifar_dir=cfg.cifar_dir)


def _stage_row(preset: str, seed: int, criterion: str, iteration: int, stage: str, rbm: RBM,
               p_data: np.ndarray) -> dict[str, Any]:
    return {"preset": preset, "seed": seed, "criterion": criterion, "iteration": iteration,
            "stage": stage, "n_weights": rbm.n_weights, "n_hidden": rbm.n_hidden,
            **exact_fit(rbm, p_data)}


def _seed_dir(run_dir: Path, preset: str, seed: int) -> Path:
    return run_dir / preset / f"seed{seed}"


def _setup(cfg: RBMPatchesConfig, data: np.ndarray) -> tuple[torch.device, torch.Tensor]:
    torch.set_num_threads(1)  # one process per core
    load_plugins(cfg.plugins)  # custom criteria, in this (possibly spawned) process too
    dev = torch.device(cfg.device)
    return dev, torch.from_numpy(data).to(torch.float32).to(dev)


def _first_samples(cfg: RBMPatchesConfig, preset: str, seed: int, rbm: RBM, x: torch.Tensor,
                   out: Path) -> Samples:
    """The model samples every criterion's first importance estimate shares, drawn once and
    kept in samples.safetensors (0/1 values, stored as uint8)."""
    path = out / "samples.safetensors"
    if path.exists():
        t = load_checkpoint(path)[0]
        return Samples(t["v"].to(torch.float32).to(rbm.device),
                       t["h"].to(torch.float32).to(rbm.device))
    s = sample_rbm(rbm, cfg.sampling, data=x,
                   generator=stage_generator(seed, preset, "initial", "sample"))
    save_checkpoint(path, {"v": s.v.to(torch.uint8), "h": s.h.to(torch.uint8)},
                    {"preset": preset, "seed": seed})
    return s


def train_initial(cfg: RBMPatchesConfig, preset: str, seed: int, data: np.ndarray,
                  run_dir: Path, ticks: Any = None) -> dict[str, Any]:
    """Phase 1 of one (schedule, seed): train the RBM, draw the shared model samples and
    measure the FIM (sampled and exact). Writes trained.safetensors, samples.safetensors
    and fim.safetensors under run_dir/<schedule>/seed<k>/; finished files are read back."""
    dev, x = _setup(cfg, data)
    out = _seed_dir(run_dir, preset, seed)
    p_data = empirical_distribution(data)
    t0 = time.perf_counter()
    trained_path = out / "trained.safetensors"
    if trained_path.exists():  # resuming: completed stages are read back, not recomputed
        rbm = load_rbm(trained_path)[0].to(dev)
    else:
        rbm0 = init_rbm(x.shape[1], cfg.n_hidden, weight_std=cfg.weight_std,
                        hidden_bias=cfg.hidden_bias, visible_on_fraction=x.mean(0).cpu(),
                        generator=stage_generator(seed, preset, "init")).to(dev)
        rbm = train_rbm(rbm0, x, cfg.training[preset],
                        generator=stage_generator(seed, preset, "train")).rbm
        save_rbm(trained_path, rbm, {"preset": preset, "seed": seed})

    samples = _first_samples(cfg, preset, seed, rbm, x, out)
    fim_path = out / "fim.safetensors"
    if fim_path.exists():
        F, F_exact = (load_checkpoint(fim_path)[0][k].double()
                      for k in ("fim_sampled", "fim_exact"))
    else:
        F, F_exact = sampled_fim(samples.v, samples.h), exact_fim(rbm)
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
    return {"preset": preset, "seed": seed,
            "row": _stage_row(preset, seed, "none", 0, "trained", rbm, p_data),
            "ranks": {"data": sorted_frequencies(p_data),
                      "trained": sorted_frequencies(model_distribution(rbm))},
            "fim": {"eigenvalues_sampled": eig.values.tolist(),
                    "eigenvalues_exact": eig_exact.values.tolist(),
                    "diagonal_relative_error": diag_rel_err,
                    "top10_unit_share": top10_share,
                    "n_samples": int(samples.v.shape[0])},
            "mean_abs_w": float(rbm.W.abs().mean()),
            "seconds": time.perf_counter() - t0}


def run_criterion(cfg: RBMPatchesConfig, preset: str, seed: int, crit: str, data: np.ndarray,
                  run_dir: Path, ticks: Any = None) -> dict[str, Any]:
    """Phase 2 of one (schedule, seed), for one criterion: ``cfg.iterations`` rounds of
    pruning and retraining from the trained RBM and its shared samples, every stage
    evaluated exactly and checkpointed under <criterion>/; finished rounds are read back."""
    dev, x = _setup(cfg, data)
    out = _seed_dir(run_dir, preset, seed)
    p_data = empirical_distribution(data)
    t0 = time.perf_counter()
    rbm = load_rbm(out / "trained.safetensors")[0].to(dev)
    samples = _first_samples(cfg, preset, seed, rbm, x, out)
    rows: list[dict[str, Any]] = []
    ranks: dict[str, np.ndarray] = {}

    def record(it: PruneIteration) -> None:
        for stage, model in (("pruned", it.pruned), ("retrained", it.retrained)):
            rows.append(_stage_row(preset, seed, crit, it.iteration, stage, model, p_data))
            ranks[f"{crit}/{it.iteration}/{stage}"] = sorted_frequencies(
                model_distribution(model), drop_zeros=False)
            if it.importance is not None:  # computed now, not restored: save it
                save_rbm(out / crit / f"iter{it.iteration}_{stage}.safetensors", model,
                         {"preset": preset, "seed": seed, "criterion": crit,
                          "iteration": it.iteration, "stage": stage,
                          "n_removed_weights": it.n_removed_weights,
                          "removed_hidden": it.removed_hidden.tolist()})
        if ticks is not None:
            ticks.put(1)

    def restore(k: int) -> PruneIteration | None:
        paths = [out / crit / f"iter{k}_{st}.safetensors" for st in ("pruned", "retrained")]
        if not all(p.exists() for p in paths):
            return None
        (pruned, meta), (retrained, _) = (load_rbm(p) for p in paths)
        return PruneIteration(k, None, pruned.to(dev), retrained.to(dev),
                              meta["n_removed_weights"],
                              torch.tensor(meta["removed_hidden"], dtype=torch.int64))

    prune_retrain_loop(rbm, x, crit, iterations=cfg.iterations, fraction=cfg.fraction,
                       train_config=cfg.training[preset], sampling_config=cfg.sampling,
                       seed=seed, first_samples=samples, on_iteration=record, restore=restore)
    return {"preset": preset, "seed": seed, "criterion": crit, "rows": rows, "ranks": ranks,
            "seconds": time.perf_counter() - t0}


def _merge(cfg: RBMPatchesConfig, run_dir: Path, initial: dict[str, Any],
           pruned: list[dict[str, Any]]) -> dict[str, Any]:
    """One (schedule, seed)'s metrics from its two phases; writes rank_frequency.safetensors
    and metrics.json."""
    preset, seed = initial["preset"], initial["seed"]
    out = _seed_dir(run_dir, preset, seed)
    mine = {p["criterion"]: p for p in pruned if p["preset"] == preset and p["seed"] == seed}
    rows = [initial["row"]] + [r for c in cfg.criteria for r in mine[c]["rows"]]
    ranks = {**initial["ranks"], **{k: v for c in cfg.criteria
                                     for k, v in mine[c]["ranks"].items()}}
    save_checkpoint(out / "rank_frequency.safetensors",
                    {k: torch.from_numpy(np.asarray(v)).float() for k, v in ranks.items()})
    result = {"preset": preset, "seed": seed, "rows": rows, "fim": initial["fim"],
              "mean_abs_w": initial["mean_abs_w"],
              "seconds": initial["seconds"] + sum(p["seconds"] for p in mine.values())}
    write_json(out / "metrics.json", result)
    return result


def run_rbm_patches(cfg: RBMPatchesConfig, out: str | Path | None = None, *,
                    progress: bool = True) -> Path:
    """Run the whole experiment and write the run directory; returns the report's path."""
    from boltzprune.data import pattern_stats
    from boltzprune.report.html import write_run_html
    from boltzprune.report.rbm_report import write_rbm_report

    validate_rbm_patches_config(cfg)
    torch.device(cfg.device)  # fails early on a malformed device string
    t0 = time.perf_counter()
    data = _load_data(cfg)  # before the run directory exists: bad data leave nothing behind
    run_dir, resumed = open_run_dir(out, "rbm-patches", config_to_dict(cfg))
    if resumed:
        print(f"resuming {run_dir}: finished stages are read back", file=sys.stderr)
    else:
        write_manifest(run_dir, config_to_dict(cfg), {"seeds": list(cfg.seeds)})
    stats = pattern_stats(data)
    write_json(run_dir / "data_stats.json", stats)
    # phase 1 per (schedule, seed), then phase 2 per (schedule, seed, criterion): the
    # criteria of one model run in parallel too
    runs = [(p, s) for p in cfg.presets for s in cfg.seeds]
    initial = run_jobs(train_initial, [(cfg, p, s, data, run_dir) for p, s in runs],
                       workers=cfg.workers, desc="rbm-patches: train", ticks_total=len(runs),
                       progress=progress)
    jobs = [(cfg, p, s, c, data, run_dir) for p, s in runs for c in cfg.criteria]
    pruned = run_jobs(run_criterion, jobs, workers=cfg.workers, desc="rbm-patches: prune",
                      ticks_total=len(jobs) * cfg.iterations, progress=progress)
    results = [_merge(cfg, run_dir, ini, pruned) for ini in initial]
    wall = time.perf_counter() - t0
    report = write_rbm_report(run_dir, cfg, stats, results, wall_seconds=wall)
    write_run_html(run_dir)  # report.html: the same, self-contained, for a browser
    return report
