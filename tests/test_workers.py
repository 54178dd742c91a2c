"""The worker pool of ``boltzprune.app.workers``: results in job order, the shared progress
bar, a job's own error passed through, a killed worker turned into one line, and no worker
left behind (not after ``run_jobs``, not after the parent is SIGKILLed).

The job functions live at module level here: the spawned workers import this module by
name (pytest puts ``tests/`` on ``sys.path`` and spawn hands ``sys.path`` to the workers)."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

from boltzprune.app import workers
from boltzprune.errors import BoltzpruneError, DivergenceError

TESTS_DIR = Path(__file__).resolve().parent


# --- jobs (run in the spawned workers) ---------------------------------------------------

def _square(i: int, delay: float, ticks) -> tuple[int, int]:
    ticks.put(1)
    time.sleep(delay)
    ticks.put(2)
    return i * i, os.getpid()


def _sleep_or_diverge(arg: float | str, ticks) -> int:
    """Sleep ``arg`` seconds, or (a string) raise it as a DivergenceError."""
    if isinstance(arg, str):
        time.sleep(0.5)
        raise DivergenceError(arg)
    time.sleep(arg)
    ticks.put(1)
    return os.getpid()


def _kill_self(ticks) -> None:
    time.sleep(0.5)
    os.kill(os.getpid(), signal.SIGKILL)


def _diverge(message: str, ticks) -> None:
    time.sleep(0.5)
    raise DivergenceError(message)


def _mark_and_sleep(marker_dir: str, seconds: float, ticks) -> None:
    Path(marker_dir, str(os.getpid())).touch()
    time.sleep(seconds)


# --- helpers -----------------------------------------------------------------------------

class _RecordingBar:
    """Stands in for tqdm: records the total and every update."""

    bars: list[_RecordingBar] = []

    def __init__(self, total=None, **kwargs):
        self.total = total
        self.n = 0
        self.closed = False
        _RecordingBar.bars.append(self)

    def update(self, n=1):
        self.n += n

    def close(self):
        self.closed = True


@pytest.fixture
def bar(monkeypatch):
    _RecordingBar.bars = []
    monkeypatch.setattr(workers, "tqdm", _RecordingBar)
    yield _RecordingBar.bars


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _worker_children(before: set[int]) -> list[psutil.Process]:
    """Live children of this process started since ``before``, less multiprocessing's
    resource tracker (one per interpreter, kept on purpose)."""
    out = []
    for c in psutil.Process().children(recursive=True):
        if c.pid in before or _gone(c.pid):
            continue
        try:
            if any("resource_tracker" in part for part in c.cmdline()):
                continue
        except psutil.Error:
            continue
        out.append(c)
    return out


def _run(fn, jobs, ticks_total=0, **kw):
    return workers.run_jobs(fn, jobs, workers=2, ticks_total=ticks_total, desc="test",
                            progress=False, **kw)


# --- tests -------------------------------------------------------------------------------

def test_results_in_job_order_and_progress_total_reached(bar):
    before = {c.pid for c in psutil.Process().children(recursive=True)}
    delays = [0.8, 0.1, 0.4, 0.0, 0.2]  # finish out of order
    jobs = [(i, d) for i, d in enumerate(delays)]
    results = _run(_square, jobs, ticks_total=3 * len(jobs))
    assert [r for r, _ in results] == [i * i for i in range(len(jobs))]
    assert len(bar) == 1 and bar[0].total == 3 * len(jobs)
    assert bar[0].n == bar[0].total and bar[0].closed
    assert mp.active_children() == []
    assert _worker_children(before) == []
    assert all(pid != os.getpid() for _, pid in results)


def test_killed_worker_is_one_line_error_and_no_worker_left(bar):
    before = {c.pid for c in psutil.Process().children(recursive=True)}
    t0 = time.monotonic()
    with pytest.raises(BoltzpruneError) as info:
        _run(_kill_self, [(), ()])
    assert type(info.value) is BoltzpruneError
    message = str(info.value)
    assert message == workers.WORKER_DIED and "\n" not in message
    assert "worker process died unexpectedly" in message and "resume" in message
    assert info.value.__cause__ is None and info.value.__suppress_context__
    assert time.monotonic() - t0 < 20
    assert mp.active_children() == []
    assert _worker_children(before) == []
    assert bar[0].closed


def test_job_error_propagates_and_stops_the_other_workers(bar):
    before = {c.pid for c in psutil.Process().children(recursive=True)}
    t0 = time.monotonic()
    with pytest.raises(DivergenceError, match=r"^training diverged: lower lr$"):
        # the sleeper must be stopped, not waited for; the third job must never start
        _run(_sleep_or_diverge, [(60.0,), ("training diverged: lower lr",), (60.0,)])
    assert time.monotonic() - t0 < 20
    assert mp.active_children() == []
    assert _worker_children(before) == []


def test_job_error_in_worker_keeps_its_type(bar):
    with pytest.raises(DivergenceError, match="^bad lr$") as info:
        _run(_diverge, [("bad lr",), ("bad lr",)])
    assert type(info.value) is DivergenceError
    assert mp.active_children() == []


def test_workers_die_with_a_killed_parent(tmp_path):
    markers = tmp_path / "started"
    markers.mkdir()
    script = tmp_path / "parent.py"
    script.write_text(textwrap.dedent(f"""\
        import sys
        sys.path.insert(0, {str(TESTS_DIR)!r})
        from boltzprune.app.workers import run_jobs
        from test_workers import _mark_and_sleep

        if __name__ == "__main__":
            run_jobs(_mark_and_sleep, [({str(markers)!r}, 30.0)] * 2, workers=2,
                     ticks_total=0, desc="orphans", progress=False)
        """))
    proc = subprocess.Popen([sys.executable, str(script)], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while len(list(markers.iterdir())) < 2:
            assert proc.poll() is None, "the parent script exited early"
            assert time.monotonic() < deadline, "the workers never started their jobs"
            time.sleep(0.1)
        children = [c.pid for c in psutil.Process(proc.pid).children(recursive=True)]
        started = {int(p.name) for p in markers.iterdir()}
        assert started <= set(children)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        deadline = time.monotonic() + 5
        while not all(_gone(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = [pid for pid in children if not _gone(pid)]
        assert left == [], f"children outlived their parent: {left}"
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        proc.wait(10)
