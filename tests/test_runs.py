"""Run directories: one writer at a time (a lock naming its holder, taken over from a killed
run), --restart for a directory an earlier run left, and flags that do not apply refused."""

import subprocess
import sys
import time

import pytest

from boltzprune.app.cli import main
from boltzprune.app.runs import LOCK_NAME, RunLock, claim_run_dir
from boltzprune.errors import BoltzpruneError

SMALL = ["rbm-patches", "--seeds", "0", "--schedules", "authors_code", "--criteria", "abs_w",
         "--n-patches", "300", "--fi-samples", "100", "--chains", "20", "--burn-in", "5",
         "--iterations", "1", "--workers", "1", "--no-progress"]


def _holder(run_dir):
    """A process that takes the run directory's lock and keeps it until killed."""
    code = ("import sys, time\nfrom pathlib import Path\nfrom boltzprune.app.runs import "
            "RunLock\nlock = RunLock(Path(sys.argv[1]))\nlock.acquire()\nprint('held', "
            "flush=True)\ntime.sleep(60)\n")
    p = subprocess.Popen([sys.executable, "-c", code, str(run_dir)], stdout=subprocess.PIPE,
                         text=True)
    assert p.stdout.readline().strip() == "held"
    return p


def test_a_second_writer_is_refused_naming_the_holder(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    p = _holder(run)
    try:
        with pytest.raises(BoltzpruneError, match=rf"in use by another boltzprune process "
                                                  rf"\(PID {p.pid}\)"):
            with claim_run_dir(run, "x", {"a": 1}):
                pass
        assert not (run / "config.json").exists()
    finally:
        p.kill()
        p.wait()
    # the holder was killed: its lock file is left, and the next writer takes it over
    assert (run / LOCK_NAME).exists()
    with claim_run_dir(run, "x", {"a": 1}) as (path, resumed):
        assert path == run and not resumed
        assert (run / LOCK_NAME).read_text().strip() == str(__import__("os").getpid())
    assert not (run / LOCK_NAME).exists()  # released: the file goes with it


def test_the_cli_refuses_a_run_directory_in_use(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    p = _holder(run)
    try:
        assert main([*SMALL, "--out", str(run)]) == 2
    finally:
        p.kill()
        p.wait()
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"PID {p.pid}" in err


def test_a_lock_is_not_left_in_a_folder_that_is_refused(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep")
    with pytest.raises(BoltzpruneError, match="not empty"):
        with claim_run_dir(folder, "x", {}, restart=True):
            pass
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]


def test_lock_release_is_idempotent(tmp_path):
    lock = RunLock(tmp_path)
    lock.acquire()
    lock.release()
    lock.release()
    assert not (tmp_path / LOCK_NAME).exists()


def test_restart_starts_a_failed_run_directory_afresh(tmp_path, capsys):
    run = tmp_path / "run"
    # a run that failed: its directory holds the manifest and a stage file
    assert main([*SMALL, "--out", str(run)]) == 0
    (run / "stale.txt").write_text("from the earlier run")
    capsys.readouterr()
    assert main([*SMALL, "--fraction", "0.4", "--out", str(run)]) == 2
    err = capsys.readouterr().err
    assert "--restart" in err and len(err.strip().splitlines()) == 1
    t0 = time.time()
    assert main([*SMALL, "--fraction", "0.4", "--out", str(run), "--restart"]) == 0
    assert not (run / "stale.txt").exists()
    assert '"fraction": 0.4' in (run / "config.json").read_text()
    assert (run / "report.md").stat().st_mtime >= t0 - 1


@pytest.mark.parametrize("args, message", [
    (["--config", "rbm-demo", "--seeds", "0"], "--seeds does not apply with --config"),
    (["--config", "rbm-demo", "--fi-samples", "10"],
     "--fi-samples does not apply with --config"),
    (["--resume", "RUN", "--seeds", "1"], "drop --seeds"),
])
def test_flags_that_do_not_apply_are_refused(tmp_path, capsys, args, message):
    run = tmp_path / "r"
    run.mkdir()
    (run / "config.json").write_text("{}")
    args = [str(run) if a == "RUN" else a for a in args]
    assert main(["rbm-patches", *args, "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1, err


def test_resuming_another_experiments_run_names_it(tmp_path, capsys):
    run = tmp_path / "run"
    assert main([*SMALL, "--out", str(run)]) == 0
    capsys.readouterr()
    assert main(["dbm-mnist", "--resume", str(run), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert f"holds a run of rbm-patches: resume it with boltzprune rbm-patches --resume {run}" \
        in err, err
