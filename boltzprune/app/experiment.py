"""What an experiment is to the application: a name, a config type, its command-line flags,
and the folder whose run.py loads its data and runs it and whose report.py writes its
report. The driver (``runs.run_experiment``), the
command line and sweeps know experiments only through this record; each experiment lives in
its own folder (config, run, report, figures) and is registered by one line in
``app/experiments.py``."""

from __future__ import annotations

import argparse
import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from boltzprune._validate import (
    check_device_name,
    check_fraction,
    check_positive_int,
    check_seeds,
)
from boltzprune.pruning.criteria import registry

__all__ = ["Experiment", "RunConfig", "RunContext", "add_run_arguments", "run_settings"]


@dataclass(frozen=True)
class RunConfig:
    """The settings every experiment shares; each experiment's config extends it (and may
    give these fields other defaults). Checked when built, like every config."""

    seeds: tuple[int, ...] = (0,)  # one full run (trained model, every criterion) per seed
    # importance criteria, one prune-retrain run each (names in the criteria registry)
    criteria: tuple[str, ...] = ("variance", "heuristic", "abs_w", "random", "anti_fi")
    plugins: tuple[str, ...] = ()  # modules or .py files registering custom criteria
    iterations: int = 3  # prune -> retrain rounds
    fraction: float = 0.5  # share of each weight matrix's remaining weights cut per round
    # torch device ("cpu", "cuda", "cuda:1", ...; "auto": CUDA when torch sees a GPU, else
    # the CPU, resolved when the config is built)
    device: str = "cpu"
    workers: int = 2  # parallel worker processes

    def __post_init__(self) -> None:
        check_seeds("seeds", self.seeds)
        registry.check_names(self.criteria, plugins=self.plugins)
        check_positive_int("iterations", self.iterations)
        check_fraction("fraction", self.fraction)
        check_positive_int("workers", self.workers)
        dev = check_device_name("device", self.device)  # "cpu" without importing torch
        if self.device == "auto":  # the resolved device is what config.json records
            object.__setattr__(self, "device", dev)


def add_run_arguments(p: argparse.ArgumentParser, defaults: RunConfig) -> None:
    """The command-line flags of the shared settings (--seeds, --criteria, --iterations,
    --fraction), with the experiment's defaults."""
    p.add_argument("--seeds", type=int, nargs="+", default=list(defaults.seeds), metavar="N",
                   help="seeds, one full run each (default: %(default)s)")
    p.add_argument("--criteria", nargs="+", default=list(defaults.criteria), metavar="NAME",
                   help=f"pruning criteria (available: {', '.join(registry.names())}; "
                        "default: %(default)s)")
    p.add_argument("--iterations", type=int, default=defaults.iterations, metavar="K",
                   help="prune-retrain rounds (default: %(default)s)")
    p.add_argument("--fraction", type=float, default=defaults.fraction,
                   help="share of each weight matrix's remaining weights cut per round "
                        "(default: %(default)s)")


def run_settings(a: argparse.Namespace) -> dict[str, Any]:
    """The shared settings from the command line, for an experiment's ``config_from_args``
    (--plugin arrives as ``a.plugins``, .py files made absolute)."""
    return {"seeds": tuple(a.seeds), "criteria": tuple(a.criteria),
            "plugins": tuple(a.plugins), "iterations": a.iterations, "fraction": a.fraction}


@dataclass(frozen=True)
class RunContext:
    """Where and how a run writes: its directory, whether it resumes an interrupted run,
    and whether to show progress bars."""

    dir: Path
    resumed: bool
    progress: bool


@dataclass(frozen=True)
class Experiment:
    """One experiment: a name, its config type, and the package (its folder) that holds the
    rest. The package's ``__init__.py`` defines ``add_arguments(parser)`` (its own
    command-line flags) and ``config_from_args(args)`` (the config they build, with
    ``run_settings(args)``); its ``run.py`` defines ``load_data(config)`` and ``run(config,
    data, context)`` (typed results, resumable from the run directory); its ``report.py``
    defines ``write_report(config, data, results, context, wall_seconds)`` (returns the path
    of report.md), ``SWEEP_METRICS`` (final-round metrics a sweep summary aggregates, name
    -> label, the first two plotted) and ``sweep_rows(run_dir, config)`` (those metrics per
    criterion of a finished run). Modules are imported when first used, so that listing
    the experiments (--help) stays quick."""

    name: str  # the command (`boltzprune <name>`) and the default run folder's prefix
    help: str  # one line for `boltzprune --help`
    description: str  # the command's --help text
    config_type: type  # a RunConfig subclass: frozen, checked when built
    package: str  # the experiment's folder as a module, e.g. "boltzprune.app.prune"
    parallel_over: str = "runs"  # what the worker processes run over, for --workers' help

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        self._module("").add_arguments(parser)

    def config_from_args(self, args: argparse.Namespace) -> Any:
        return self._module("").config_from_args(args)

    def load_data(self, cfg: Any) -> Any:
        """The data, loaded before the run directory is created (bad data leave nothing
        behind)."""
        return self._module("run").load_data(cfg)

    def run(self, cfg: Any, data: Any, ctx: RunContext) -> Any:
        return self._module("run").run(cfg, data, ctx)

    def report(self, cfg: Any, data: Any, results: Any, ctx: RunContext,
               wall_seconds: float) -> Path:
        return self._module("report").write_report(cfg, data, results, ctx, wall_seconds)

    @property
    def sweep_metrics(self) -> dict[str, str]:
        return self._module("report").SWEEP_METRICS

    def sweep_rows(self, run_dir: Path, cfg: Any) -> list[dict[str, Any]]:
        return self._module("report").sweep_rows(run_dir, cfg)

    def _module(self, name: str):
        return importlib.import_module(f"{self.package}.{name}" if name else self.package)
