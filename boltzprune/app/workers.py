"""Run independent jobs in worker processes with one shared progress bar. Each job runs
in ``job_environment``: one thread (one process per core), the run's criteria plugins
loaded, the readout's convergence warnings off; in this process the settings are restored
when the job ends.

The workers never outlive this process: each watches its parent and exits within about a
second of the parent's death (a ``kill -9`` of the command included), and ``run_jobs``
stops them all before it returns or raises. Progress ticks travel over a plain pipe
(``SimpleQueue``) handed to the workers when they start, so there is no manager server
process that could be left behind."""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import torch
from tqdm.auto import tqdm

from boltzprune.errors import BoltzpruneError

__all__ = ["run_jobs", "run_phases", "run_steps", "job_environment"]

WORKER_DIED = ("a worker process died unexpectedly (killed, or out of memory?); finished "
               "stages are saved: rerun the same command to resume")
_PARENT_POLL_S = 0.2  # how often a worker checks that its parent is still alive
_STOP_WAIT_S = 5.0    # how long a stopped worker gets to exit before it is killed


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
    """Move every tick waiting in ``q`` (a ``SimpleQueue`` only this process reads) onto the
    bar, without blocking: each tick is one small, atomic write, so a non-empty pipe holds
    at least one whole tick."""
    while not q.empty():
        bar.update(q.get())


def _call(fn: Callable[..., Any], plugins: Sequence[str], job: tuple, ticks: Any) -> Any:
    with job_environment(plugins):
        return fn(*job, ticks)


# --- in the worker processes -------------------------------------------------------------

_worker_ticks: Any = None  # the progress queue, set by ``_init_worker``


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # POSIX only: signal 0 checks, sends nothing
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, under another user
        return True
    return True


def _parent_alive_check(parent_pid: int) -> Callable[[], bool]:
    """A cheap test of whether the process with ``parent_pid`` (the one that made the pool)
    is still alive, as seen from a worker."""
    if os.name == "posix":
        ppid = os.getppid()
        if ppid == parent_pid:  # spawn or fork: when the parent dies we are re-parented
            return lambda: os.getppid() == parent_pid
        # Not our direct parent (forkserver), or already gone: watch both.
        return lambda: os.getppid() == ppid and _pid_exists(parent_pid)
    parent = mp.parent_process()  # Windows: the sentinel is the parent's process handle
    if parent is None:
        return lambda: True
    return parent.is_alive


def _die_with_parent_linux() -> None:
    """Best effort: have the kernel SIGKILL this process when its parent dies."""
    import ctypes
    import signal

    pr_set_pdeathsig = 1
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(pr_set_pdeathsig, int(signal.SIGKILL), 0, 0, 0)


def _watch_parent(alive: Callable[[], bool]) -> None:
    while True:
        try:
            ok = alive()
        except Exception:  # cannot tell: keep running rather than kill a live job
            ok = True
        if not ok:
            os._exit(1)  # no cleanup: the parent that would collect the results is gone
        time.sleep(_PARENT_POLL_S)


def _init_worker(parent_pid: int, ticks: Any) -> None:
    """The pool's initializer: keep the progress queue, and make this worker exit as soon
    as ``parent_pid`` dies."""
    global _worker_ticks
    _worker_ticks = ticks
    alive = _parent_alive_check(parent_pid)
    if sys.platform.startswith("linux") and os.getppid() == parent_pid:
        _die_with_parent_linux()
    if not alive():  # the parent died while this worker was starting
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(alive,), name="boltzprune-parent-watch",
                     daemon=True).start()


def _call_in_worker(fn: Callable[..., Any], plugins: Sequence[str], job: tuple) -> Any:
    return _call(fn, plugins, job, _worker_ticks)


# --- in this process ---------------------------------------------------------------------

def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """Cancel what has not started, stop the workers that still run (SIGTERM, then SIGKILL
    after ``_STOP_WAIT_S``) and wait until they are gone."""
    procs = list((getattr(pool, "_processes", None) or {}).values())  # before shutdown
    manager = getattr(pool, "_executor_manager_thread", None)
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        with contextlib.suppress(Exception):
            p.terminate()
    deadline = time.monotonic() + _STOP_WAIT_S
    for p in procs:
        with contextlib.suppress(Exception):
            p.join(max(0.0, deadline - time.monotonic()))
            if p.is_alive():
                p.kill()
                p.join(_STOP_WAIT_S)
    if manager is not None and manager is not threading.current_thread():
        manager.join(_STOP_WAIT_S)


def _raise_failure(done: Sequence[Future]) -> None:
    """Raise the first failure among ``done`` (in job order): a job's own exception as it
    is, a dead worker as a one-line ``BoltzpruneError``."""
    for f in done:
        if f.cancelled():
            continue
        e = f.exception()
        if e is None:
            continue
        if isinstance(e, BrokenProcessPool):
            raise BoltzpruneError(WORKER_DIED) from None
        f.result()  # re-raises the job's exception with its remote traceback


def run_jobs(fn: Callable[..., Any], jobs: Sequence[tuple], *, workers: int, ticks_total: int,
             desc: str, progress: bool, plugins: Sequence[str] = ()) -> list[Any]:
    """Call ``fn(*job, ticks)`` for every job, in up to ``workers`` spawned processes, and
    return the results in job order. ``ticks.put(n)`` advances the shared progress bar.

    The first job to fail stops the others and its exception is raised as it is; a worker
    that dies (killed, out of memory) raises a one-line ``BoltzpruneError``. No worker is
    left running when this returns or raises, and none outlives this process."""
    n_proc = min(workers, len(jobs))
    where = f"{n_proc} worker processes" if n_proc > 1 else "in this process"
    bar = tqdm(total=ticks_total, desc=f"{desc} ({where})", unit="stage",
               disable=not progress)
    try:
        if n_proc == 1:
            ticks = _BarTicks(bar)
            return [_call(fn, plugins, job, ticks) for job in jobs]
        ctx = mp.get_context("spawn")
        q = ctx.SimpleQueue()
        try:
            pool = ProcessPoolExecutor(n_proc, mp_context=ctx,
                                       initializer=_init_worker, initargs=(os.getpid(), q))
            ok = False
            try:
                futures = [pool.submit(_call_in_worker, fn, tuple(plugins), job)
                           for job in jobs]
                pending: set[Future] = set(futures)
                while pending:
                    done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                    _drain(q, bar)
                    if any(f.exception() is not None for f in done if not f.cancelled()):
                        _raise_failure([f for f in futures if f.done()])
                results = [f.result() for f in futures]
                ok = True
            except BrokenProcessPool:  # from submit, once a worker has died
                raise BoltzpruneError(WORKER_DIED) from None
            finally:
                if ok:
                    pool.shutdown(wait=True)
                else:
                    _stop_workers(pool)
            _drain(q, bar)
            return results
        finally:
            q.close()
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


def run_steps(steps: Sequence[tuple[str, Callable[[], Any]]], desc: str,
              progress: bool) -> None:
    """Call each step in order under one progress bar (tqdm, on stderr; ``progress`` False:
    silent), the bar naming the step it is on."""
    with tqdm(total=len(steps), desc=desc, unit="step", disable=not progress) as bar:
        for what, fn in steps:
            bar.set_postfix_str(what)
            fn()
            bar.update()
