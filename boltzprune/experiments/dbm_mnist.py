"""The DBM experiment (paper 2.4-2.5, Fig 3-4) as one function.

Phase 1, per seed: pretrain and jointly train the 400-400-676 DBM with receptive fields,
draw the model samples that every criterion's first importance estimate shares, and read
out the unpruned model. Phase 2, per (seed, criterion): prune 10 % of each weight matrix ten
times with retraining, reading out after every round the encoding quality, the units left,
the disconnected pixels and the quality of generated digits; then retrain the pruned
architecture from scratch and measure the diversity of what it generates. Both phases fan
out over worker processes. Finally everything is aggregated over seeds into figures and a
report.
"""

from __future__ import annotations

import dataclasses
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch

from boltzprune.experiments.config import DBMMnistConfig, validate_dbm_mnist_config
from boltzprune.experiments.dbm_presets import DBMSchedule
from boltzprune.experiments.parallel import run_jobs
from boltzprune.experiments.runner import open_run_dir, write_manifest
from boltzprune.io import load_checkpoint, save_checkpoint, write_json
from boltzprune.models.dbm import DBM
from boltzprune.models.masks import receptive_field_mask
from boltzprune.pruning.criteria import load_plugins
from boltzprune.pruning.dbm import dbm_importance, prune_dbm
from boltzprune.sampling import sample_dbm
from boltzprune.seeding import stage_generator
from boltzprune.training.dbm import pretrain_dbm, train_dbm

__all__ = ["run_dbm_mnist", "train_initial", "run_criterion"]

ENTROPY_SIZES = (100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 40_000, 80_000)
READOUT_MAX_ITER = 100  # logistic-regression iterations per readout (converged to ~0.002)


def _load(cfg: DBMMnistConfig):
    from boltzprune.data.mnist import load_digits

    d = load_digits(cfg.data_source, idx_dir=cfg.idx_dir, test_fraction=cfg.test_fraction,
                    seed=0)
    if cfg.n_train is not None and cfg.n_train < len(d.y_train):
        d = dataclasses.replace(d, x_train=d.x_train[:cfg.n_train],
                                y_train=d.y_train[:cfg.n_train])
    return d


class _Context:
    """Data, schedule and the raw-digit classifier of one seed, rebuilt in each worker."""

    def __init__(self, cfg: DBMMnistConfig, seed: int):
        from threadpoolctl import threadpool_limits

        from boltzprune.evaluate.readout import fit_classifier

        torch.set_num_threads(1)  # one process per core: no BLAS threads fighting for it
        load_plugins(cfg.plugins)  # custom criteria, in this spawned process too
        threadpool_limits(1)
        warnings.filterwarnings("ignore", message=".*lbfgs failed to converge.*")
        self.cfg, self.seed = cfg, seed
        self.digits = _load(cfg)
        dev = torch.device(cfg.device)
        self.x_tr = torch.from_numpy(self.digits.x_train).float().to(dev)
        self.x_te = torch.from_numpy(self.digits.x_test).float().to(dev)
        self.sched: DBMSchedule = cfg.schedule
        self.raw_clf = fit_classifier(self.digits.x_train, self.digits.y_train, C=0.1,
                                      seed=seed)

    def train_from_scratch(self, sizes: list[int], masks: list, key: tuple) -> DBM:
        """Random initialisation, greedy pretraining and joint training (paper 4.3.2)."""
        dbm = pretrain_dbm(sizes, self.x_tr, list(self.sched.pretrain), masks=masks,
                           generator=stage_generator(self.seed, *key, "pretrain"))
        return train_dbm(dbm, self.x_tr, self.sched.joint,
                         generator=stage_generator(self.seed, *key, "joint"))

    def evaluate(self, model: DBM, samples: list[torch.Tensor]) -> dict[str, Any]:
        from boltzprune.evaluate.readout import encoding_error, generation_quality

        d = self.digits
        enc_tr = model.mean_field(self.x_tr, self.sched.readout)[-1].cpu().numpy()
        enc_te = model.mean_field(self.x_te, self.sched.readout)[-1].cpu().numpy()
        gq = generation_quality(self.raw_clf, samples[0].cpu().numpy())
        return {"n_weights": model.n_weights, "n_weights_total": sum(model.n_weights),
                "n_h1": model.sizes[1], "n_h2": model.sizes[2],
                "n_dead_visible": int((~model.masks[0].any(1)).sum()),
                "encoding_error": encoding_error(enc_tr, d.y_train, enc_te, d.y_test, C=1.0,
                                                 max_iter=READOUT_MAX_ITER, seed=self.seed),
                "confidence": gq.confidence, "class_fractions": gq.class_fractions.tolist()}


def _restore(path: Path, c: _Context) -> DBM | None:
    """The DBM checkpointed at ``path`` when a resumed run already finished that stage."""
    if not path.exists():
        return None
    dbm = DBM.from_tensors(load_checkpoint(path)[0])
    return DBM(*([t.to(c.x_tr.device) for t in ts] for ts in
                 (dbm.weights, dbm.masks, dbm.biases, dbm.hidden_index)))


def train_initial(cfg: DBMMnistConfig, seed: int, run_dir: Path, ticks: Any = None
                  ) -> dict[str, Any]:
    """Phase 1 for one seed: the trained DBM, its shared samples and the baselines."""
    from boltzprune.evaluate.readout import encoding_error, generation_quality

    t0 = time.perf_counter()
    c = _Context(cfg, seed)
    d = c.digits
    out = run_dir / f"seed{seed}"
    dbm = _restore(out / "trained.safetensors", c)
    if dbm is None:
        m1 = receptive_field_mask(d.image_shape, cfg.window, cfg.stride)
        dbm = c.train_from_scratch([c.x_tr.shape[1], m1.shape[1], cfg.n_h2], [m1, None],
                                   ("initial",))
        save_checkpoint(out / "trained.safetensors", dbm.tensors(),
                        {"kind": "dbm", "seed": seed})
    samples = sample_dbm(dbm, c.sched.sampling, data=c.x_tr,
                         generator=stage_generator(seed, "initial", "sample"))
    save_checkpoint(out / "trained_samples.safetensors",
                    {f"x{l}": s.to(torch.uint8).cpu() for l, s in enumerate(samples)})
    rng = np.random.default_rng(seed)
    baseline = {
        "raw_pixel_error": encoding_error(d.x_train, d.y_train, d.x_test, d.y_test, C=1.0,
                                          max_iter=READOUT_MAX_ITER, seed=seed),
        "test_digit_confidence": generation_quality(c.raw_clf, d.x_test).confidence,
        "random_pattern_confidence": generation_quality(
            c.raw_clf, (rng.random(d.x_test.shape) < 0.5).astype(np.float32)).confidence,
    }
    row = {"criterion": "none", "iteration": 0, **c.evaluate(dbm, samples)}
    save_checkpoint(out / "figure_data_unpruned.safetensors",
                    {"generated": samples[0][:25].cpu()})
    if ticks is not None:
        ticks.put(1)
    return {"seed": seed, "row": row, "baseline": baseline,
            "seconds": time.perf_counter() - t0}


def run_criterion(cfg: DBMMnistConfig, seed: int, crit: str, run_dir: Path, ticks: Any = None
                  ) -> dict[str, Any]:
    """Phase 2 for one (seed, criterion): the prune-retrain rounds and the full retrain."""
    from boltzprune.evaluate.readout import bootstrap_entropy, generation_quality

    t0 = time.perf_counter()
    c = _Context(cfg, seed)
    out = run_dir / f"seed{seed}"
    tensors, _ = load_checkpoint(out / "trained.safetensors")
    current = DBM.from_tensors(tensors)
    st, _ = load_checkpoint(out / "trained_samples.safetensors")
    samples = [st[f"x{l}"].float() for l in range(current.n_layers + 1)]
    rows = []
    for it in range(1, cfg.iterations + 1):
        path = out / crit / f"iter{it}_retrained.safetensors"
        restored = _restore(path, c)
        if restored is not None:  # resuming: this round finished before the interruption
            current, n_cut = restored, load_checkpoint(path)[1]["n_cut"]
        else:
            imps = dbm_importance(current, samples, crit,
                                  stage_generator(seed, crit, it, "score"))
            res = prune_dbm(current, imps, cfg.fraction,
                            generator=stage_generator(seed, crit, it, "prune"))
            current = train_dbm(res.dbm, c.x_tr, c.sched.retrain,
                                generator=stage_generator(seed, crit, it, "retrain"))
            n_cut = res.n_cut
            save_checkpoint(path, current.tensors(), {"kind": "dbm", "seed": seed,
                                                      "criterion": crit, "iteration": it,
                                                      "n_cut": n_cut})
        samples = sample_dbm(current, c.sched.sampling, data=c.x_tr,
                             generator=stage_generator(seed, crit, it, "sample"))
        rows.append({"criterion": crit, "iteration": it, "n_cut": n_cut,
                     **c.evaluate(current, samples)})
        if ticks is not None:
            ticks.put(1)
    save_checkpoint(out / f"figure_data_{crit}.safetensors",
                    {"dead_visible": (~current.masks[0].any(1)).to(torch.uint8).cpu(),
                     "generated": samples[0][:25].cpu()})
    final: dict[str, Any] = {}
    if cfg.full_retrain:
        full_path = out / crit / "full_retrain.safetensors"
        fresh = _restore(full_path, c)
        if fresh is None:
            fresh = c.train_from_scratch(current.sizes, current.masks, (crit, "full"))
            save_checkpoint(full_path, fresh.tensors(),
                            {"kind": "dbm", "seed": seed, "criterion": crit, "stage": "full"})
        gen = sample_dbm(fresh, dataclasses.replace(c.sched.sampling, n_samples=cfg.n_generate),
                         data=c.x_tr, generator=stage_generator(seed, crit, "full", "sample"))
        gq = generation_quality(c.raw_clf, gen[0].cpu().numpy())
        boot = bootstrap_entropy(gq.labels, ENTROPY_SIZES, n_resamples=10_000, seed=seed)
        final = {"confidence": gq.confidence, "class_fractions": gq.class_fractions.tolist(),
                 "entropy_nats": gq.entropy_nats,
                 "bootstrap": {k: (np.asarray(v).tolist() if np.ndim(v) else float(v))
                               for k, v in boot.items()}}
        if ticks is not None:
            ticks.put(1)
    return {"seed": seed, "criterion": crit, "rows": rows, "full_retrain": final,
            "seconds": time.perf_counter() - t0}


def run_dbm_mnist(cfg: DBMMnistConfig, out: str | Path | None = None, *,
                  progress: bool = True) -> Path:
    """Run the whole DBM experiment and write the run directory; returns the report path."""
    from boltzprune.report.dbm_report import write_dbm_report
    from boltzprune.report.html import write_run_html

    validate_dbm_mnist_config(cfg)
    torch.device(cfg.device)
    t0 = time.perf_counter()
    digits = _load(cfg)  # fails early, before anything is written, on missing files
    config = dataclasses.asdict(cfg)
    run_dir, resumed = open_run_dir(out, "dbm-mnist", config)
    if resumed:
        print(f"resuming {run_dir}: finished stages are read back", file=sys.stderr)
    else:
        write_manifest(run_dir, config, {"seeds": list(cfg.seeds)})
    write_json(run_dir / "data.json", {"source": digits.source, "n_train": len(digits.y_train),
                                       "n_test": len(digits.y_test),
                                       "threshold": digits.threshold,
                                       "image_shape": list(digits.image_shape)})
    per_crit = cfg.iterations + int(cfg.full_retrain)
    initial = run_jobs(train_initial, [(cfg, s, run_dir) for s in cfg.seeds],
                       workers=cfg.workers, ticks_total=len(cfg.seeds),
                       desc="dbm-mnist: train", progress=progress)
    jobs = [(cfg, s, c, run_dir) for s in cfg.seeds for c in cfg.criteria]
    pruned = run_jobs(run_criterion, jobs, workers=cfg.workers,
                      ticks_total=len(jobs) * per_crit, desc="dbm-mnist: prune",
                      progress=progress)
    results = []
    for ini in initial:
        mine = [p for p in pruned if p["seed"] == ini["seed"]]
        results.append({"seed": ini["seed"], "baseline": ini["baseline"],
                        "rows": [ini["row"]] + [r for p in mine for r in p["rows"]],
                        "full_retrain": {p["criterion"]: p["full_retrain"] for p in mine
                                         if p["full_retrain"]},
                        "seconds": ini["seconds"] + sum(p["seconds"] for p in mine)})
        write_json(run_dir / f"seed{ini['seed']}" / "metrics.json", results[-1])
    report = write_dbm_report(run_dir, cfg, results, digits.image_shape,
                              wall_seconds=time.perf_counter() - t0)
    write_run_html(run_dir)  # report.html: the same, self-contained, for a browser
    return report
