"""Run independent jobs in worker processes with one shared progress bar. Each job runs
in ``job_environment``: one thread (one process per core), the run's criteria plugins
loaded, the readout's convergence warnings off; in this process the settings are restored
when the job ends."""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import queue as queue_mod
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any

import torch
from tqdm.auto import tqdm

__all__ = ["run_jobs", "run_phases", "job_environment"]


@contextlib.contextmanager
def job_environment(plugins: Sequence[str] = ()) -> Iterator[None]:
    """One torch and BLAS thread, the criteria ``plugins`` loaded, and scikit-learn's
    "lbfgs failed to converge" warnings silenced (the readouts stop at a fixed number of
    iterations on purpose); thread counts and warning filters are restored on exit."""
    from threadpoolctl import threadpool_limits

    from boltzprune.pruning.criteria import registry

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(1), warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*lbfgs failed to converge.*")
            registry.load_plugins(plugins)
            yield
    finally:
        torch.set_num_threads(threads)


class _BarTicks:
    """Stands in for the queue when jobs run in this process."""

    def __init__(self, bar: tqdm):
        self.bar = bar

    def put(self, n: int) -> None:
        self.bar.update(n)


def _drain(q: Any, bar: tqdm) -> None:
    while True:
        try:
            bar.update(q.get_nowait())
        except queue_mod.Empty:
            return


def _call(fn: Callable[..., Any], plugins: Sequence[str], job: tuple, ticks: Any) -> Any:
    with job_environment(plugins):
        return fn(*job, ticks)


def run_jobs(fn: Callable[..., Any], jobs: Sequence[tuple], *, workers: int, ticks_total: int,
             desc: str, progress: bool, plugins: Sequence[str] = ()) -> list[Any]:
    """Call ``fn(*job, ticks)`` for every job, in up to ``workers`` spawned processes, and
    return the results in job order. ``ticks.put(n)`` advances the shared progress bar."""
    bar = tqdm(total=ticks_total, desc=desc, unit="stage", disable=not progress)
    try:
        if workers == 1 or len(jobs) == 1:
            ticks = _BarTicks(bar)
            return [_call(fn, plugins, job, ticks) for job in jobs]
        ctx = mp.get_context("spawn")
        with ctx.Manager() as manager:
            q = manager.Queue()
            with ProcessPoolExecutor(min(workers, len(jobs)), mp_context=ctx) as pool:
                futures = [pool.submit(_call, fn, tuple(plugins), job, q) for job in jobs]
                pending = set(futures)
                while pending:
                    _, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                    _drain(q, bar)
                _drain(q, bar)
                return [f.result() for f in futures]
    finally:
        bar.close()


def run_phases(cfg: Any, data: Any, run_dir: Any, units: Sequence[tuple], train: Callable,
               prune: Callable, *, name: str, ticks_per_job: int, progress: bool
               ) -> list[tuple[Any, list[Any]]]:
    """The two phases every experiment runs, each over ``cfg.workers`` processes: phase 1,
    ``train(cfg, *unit, data, run_dir, ticks)`` once per unit (a seed, or a (schedule,
    seed) pair); phase 2, ``prune(cfg, *unit, criterion, data, run_dir, ticks)`` once per
    unit and criterion of ``cfg.criteria`` (``ticks_per_job`` ticks each). Returns, per
    unit, its phase-1 result and its phase-2 results in the order of ``cfg.criteria``."""
    initial = run_jobs(train, [(cfg, *u, data, run_dir) for u in units], workers=cfg.workers,
                       ticks_total=len(units), desc=f"{name}: train", progress=progress,
                       plugins=cfg.plugins)
    jobs = [(cfg, *u, c, data, run_dir) for u in units for c in cfg.criteria]
    pruned = run_jobs(prune, jobs, workers=cfg.workers, ticks_total=len(jobs) * ticks_per_job,
                      desc=f"{name}: prune", progress=progress, plugins=cfg.plugins)
    k = len(cfg.criteria)
    return [(ini, pruned[i * k:(i + 1) * k]) for i, ini in enumerate(initial)]
