"""Fault injection: kill a run with SIGKILL at random moments (its main process, one of its
workers, or its whole process group), check that no process is left behind, resume it with
the same command, and compare every file it wrote, byte for byte (timing fields aside),
with an uninterrupted run's.

Default run: the RBM experiment. ``slow`` marker: the DBM experiment, a sweep, the
user-data command and the online-pruning experiment (``pytest -m slow tests/test_resume.py``)."""

import os
import random
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

from boltzprune.app.cli import main
from boltzprune.app.runs import LOCK_NAME

RBM_ARGS = ["rbm-patches", "--seeds", "0", "1", "--schedules", "authors_code", "--criteria",
            "variance", "abs_w", "--n-patches", "3000", "--fi-samples", "600", "--chains",
            "100", "--burn-in", "50", "--thin", "5", "--workers", "2", "--no-progress"]
DBM_ARGS = ["dbm-mnist", "--seeds", "0", "1", "--n-train", "300", "--iterations", "3",
            "--criteria", "variance", "--n-generate", "300", "--workers", "2",
            "--set", "recipe.likelihood.n_betas=200", "--no-progress"]
SWEEP = """
experiment = "rbm-patches"
base = "rbm-authors-code"
workers = 2

[settings]
n_patches = 1000
iterations = 1
sampling = { n_samples = 200, n_chains = 50, burn_in = 5, thin = 2 }

[settings.training.authors_code]
epochs = 1

[grid]
criteria = ["variance", "abs_w"]
seeds = [0, 1]
"""
ONLINE_ARGS = ["online-pruning", "--seeds", "0", "--criteria", "variance", "--n-patches",
               "1500", "--online-epochs", "2", "--prune-end-epoch", "1", "--prune-every", "150",
               "--trace-every", "500", "--fi-samples", "300", "--set", "sampling.n_chains=60",
               "--set", "sampling.burn_in=20", "--set", "sampling.thin=3", "--set",
               "training.epochs=1", "--workers", "2", "--no-progress"]
PRUNE_ARGS = ["prune", "digits", "--model", "dbm", "--hidden", "50", "30", "--iterations", "2",
              "--criteria", "variance", "abs_w", "--fi-samples", "300", "--no-progress"]

# what differs between two identical runs: how long they took, when they ended
_TIMING = re.compile(rb'(seconds(?:"|&quot;): |Wall time )-?[0-9][0-9.e+-]*'
                     rb'|(on |"finished": ")[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9:+]*(?=[ "])')


def _command(args, out):
    return [sys.executable, "-m", "boltzprune", *args, "--out", str(out)]


def _is_worker(proc: psutil.Process) -> bool:
    """A worker process of the run (multiprocessing's spawned children, Dask's included),
    not its resource tracker."""
    try:
        return "spawn_main" in " ".join(proc.cmdline())
    except psutil.Error:
        return False


def _tree(pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _assert_all_gone(procs: list[psutil.Process], what: str) -> None:
    _, alive = psutil.wait_procs(procs, timeout=20)
    assert not alive, f"{what}: processes left behind: {[p.pid for p in alive]}"


def _run(args, out) -> None:
    """Run to the end in a fresh process; nothing it started may outlive it."""
    p = subprocess.Popen(_command(args, out), stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, start_new_session=True)
    seen: dict[int, psutil.Process] = {}
    while p.poll() is None:
        seen.update((q.pid, q) for q in _tree(p.pid))
        time.sleep(0.2)
    err = p.stderr.read().decode()
    assert p.returncode == 0, err
    _assert_all_gone(list(seen.values()), "finished run")


def _kill(args, out, at: float, how: str) -> str:
    """Start the run, and ``at`` seconds in SIGKILL its main process, one worker (the first
    to exist from then on) or the whole group. Returns what was killed."""
    p = subprocess.Popen(_command(args, out), stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, start_new_session=True)
    seen: dict[int, psutil.Process] = {}
    t0 = time.monotonic()
    while p.poll() is None and time.monotonic() - t0 < at:
        seen.update((q.pid, q) for q in _tree(p.pid))
        time.sleep(0.05)
    killed = "nothing (it had finished)"
    while p.poll() is None:
        tree = _tree(p.pid)
        seen.update((q.pid, q) for q in tree)
        workers = [q for q in tree if _is_worker(q)]
        try:
            if how == "main":
                os.kill(p.pid, signal.SIGKILL)
            elif how == "group":
                os.killpg(p.pid, signal.SIGKILL)
            elif workers:
                workers[0].kill()
            else:  # no worker at the moment: try again shortly
                time.sleep(0.05)
                continue
        except (ProcessLookupError, psutil.NoSuchProcess):
            continue
        killed = how
        break
    try:
        p.wait(timeout=120)
    except subprocess.TimeoutExpired:  # a run that hangs once a worker is gone
        os.killpg(p.pid, signal.SIGKILL)
        raise AssertionError(f"{how}: the run did not end after the kill") from None
    err = p.stderr.read().decode()
    assert "Traceback" not in err, err
    if how == "worker" and killed == how and p.returncode != 0:
        # the run stops in one line that says how to go on
        assert p.returncode == 2 and "rerun the same command to resume" in err, err
    _assert_all_gone(list(seen.values()), f"kill of the {how}")
    return killed


def _snapshot(run: Path) -> dict[str, bytes]:
    """Every file of the run directory, its timing fields blanked, by relative path."""
    assert not (run / LOCK_NAME).exists(), "lock file left behind"
    assert not list(run.rglob("*.tmp")), "temporary files left behind"
    return {str(f.relative_to(run)): _TIMING.sub(lambda m: (m[1] or m[2]) + b"<t>",
                                                  f.read_bytes())
            for f in sorted(run.rglob("*")) if f.is_file()}


def _same(a: dict[str, bytes], b: dict[str, bytes]) -> int:
    assert sorted(a) == sorted(b)
    differ = [k for k in a if a[k] != b[k]]
    assert not differ, f"files that differ from the uninterrupted run: {differ}"
    return len(a)


def _kill_and_resume(args, tmp_path, seed, kills=("main", "worker", "group")) -> None:
    # both runs are called "run" so that the reports, which name their folder, compare
    full, broken = tmp_path / "full" / "run", tmp_path / "broken" / "run"
    t0 = time.perf_counter()
    _run(args, full)
    duration = time.perf_counter() - t0
    rng = random.Random(seed)
    for how in kills:
        _kill(args, broken, rng.uniform(1.0, duration), how)
    _run(args, broken)  # the same command again: resumes and finishes
    assert _same(_snapshot(full), _snapshot(broken)) > 5


def test_rbm_run_survives_sigkill(tmp_path):
    _kill_and_resume(RBM_ARGS, tmp_path, seed=0)


@pytest.mark.slow
def test_dbm_run_survives_sigkill(tmp_path):
    _kill_and_resume(DBM_ARGS, tmp_path, seed=1)


@pytest.mark.slow
def test_prune_command_survives_sigkill(tmp_path):
    _kill_and_resume(PRUNE_ARGS, tmp_path, seed=2, kills=("main", "group"))


@pytest.mark.slow
def test_sweep_survives_sigkill(tmp_path):
    path = tmp_path / "sweep.toml"
    path.write_text(textwrap.dedent(SWEEP))
    _kill_and_resume(["sweep", str(path), "--no-progress"], tmp_path, seed=3)


def _without_timings(run: Path) -> dict[str, object]:
    """The online-pruning run's files with its wall times left out: the models as they are,
    the CSV tables without their seconds column, the JSON records without their seconds
    fields (report.md and report.html, which print the wall times, are written from these)."""
    import csv
    import json

    def drop(x):
        if isinstance(x, dict):
            return {k: drop(v) for k, v in x.items() if "seconds" not in k}
        return [drop(v) for v in x] if isinstance(x, list) else x

    out: dict[str, object] = {}
    for f in sorted(run.rglob("*")):
        key = str(f.relative_to(run))
        if not f.is_file() or f.name in ("report.md", "report.html"):
            continue
        if f.suffix == ".csv":
            out[key] = [{k: v for k, v in r.items() if k != "seconds"}
                        for r in csv.DictReader(open(f))]
        elif f.suffix == ".json":
            out[key] = json.dumps(drop(json.loads(f.read_text())), sort_keys=True)
        else:
            out[key] = f.read_bytes()
    return out


@pytest.mark.slow
def test_online_pruning_run_survives_sigkill(tmp_path):
    """Killed mid-schedule (the online variant trains for most of the run), resumed with
    the same command: every model, trace and record as an uninterrupted run's."""
    full, broken = tmp_path / "full" / "run", tmp_path / "broken" / "run"
    t0 = time.perf_counter()
    _run(ONLINE_ARGS, full)
    duration = time.perf_counter() - t0
    rng = random.Random(4)
    for how in ("main", "worker", "group"):
        _kill(ONLINE_ARGS, broken, rng.uniform(1.0, duration), how)
    _run(ONLINE_ARGS, broken)
    a, b = _without_timings(full), _without_timings(broken)
    assert sorted(a) == sorted(b) and len(a) > 10
    assert [k for k in a if a[k] != b[k]] == []


def test_resume_flag_and_config_mismatch(tmp_path, capsys):
    out = tmp_path / "run"
    small = ["rbm-patches", "--seeds", "0", *RBM_ARGS[4:-3], "--workers", "1", "--no-progress"]
    assert main([*small, "--out", str(out)]) == 0
    before = (out / "metrics.csv").read_text()
    (out / "report.md").unlink()
    assert main(["rbm-patches", "--resume", str(out), "--no-progress"]) == 0
    assert (out / "metrics.csv").read_text() == before and (out / "report.md").exists()
    capsys.readouterr()
    assert main([*small, "--fraction", "0.4", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "other settings (it differs in fraction)" in err
