"""Run independent jobs in worker processes with one shared progress bar."""

from __future__ import annotations

import multiprocessing as mp
import queue as queue_mod
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any

from tqdm.auto import tqdm

__all__ = ["run_jobs"]


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


def run_jobs(fn: Callable[..., Any], jobs: Sequence[tuple], *, workers: int, ticks_total: int,
             desc: str, progress: bool) -> list[Any]:
    """Call ``fn(*job, ticks)`` for every job, in up to ``workers`` spawned processes, and
    return the results in job order. ``ticks.put(n)`` advances the shared progress bar."""
    bar = tqdm(total=ticks_total, desc=desc, unit="stage", disable=not progress)
    try:
        if workers == 1 or len(jobs) == 1:
            ticks = _BarTicks(bar)
            return [fn(*job, ticks) for job in jobs]
        ctx = mp.get_context("spawn")
        with ctx.Manager() as manager:
            q = manager.Queue()
            with ProcessPoolExecutor(min(workers, len(jobs)), mp_context=ctx) as pool:
                futures = [pool.submit(fn, *job, q) for job in jobs]
                pending = set(futures)
                while pending:
                    _, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                    _drain(q, bar)
                _drain(q, bar)
                return [f.result() for f in futures]
    finally:
        bar.close()
