"""Fault injection: kill a run with SIGKILL at random moments, resume it, and compare the
final metrics and checkpoints with an uninterrupted run."""

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from boltzprune.app.cli import main
from boltzprune.io import load_checkpoint

RBM_ARGS = ["rbm-patches", "--seeds", "0", "--schedules", "authors_code", "--criteria",
            "variance", "abs_w", "--n-patches", "3000", "--fi-samples", "600", "--chains",
            "100", "--burn-in", "50", "--thin", "5", "--workers", "1", "--no-progress"]
DBM_ARGS = ["dbm-mnist", "--seeds", "0", "--n-train", "300", "--iterations", "3",
            "--criteria", "variance", "--n-generate", "300", "--workers", "1",
            "--no-progress"]


def _run(args, out, kill_after=None):
    cmd = [sys.executable, "-m", "boltzprune", *args, "--out", str(out)]
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         start_new_session=True)
    if kill_after is None:
        _, err = p.communicate(timeout=600)
        assert p.returncode == 0, err.decode()
        return
    time.sleep(kill_after)
    if p.poll() is None:
        os.killpg(p.pid, signal.SIGKILL)
    p.wait()


def _snapshot(run: Path) -> dict[str, object]:
    """Every checkpoint's tensors and the metrics, keyed by relative path."""
    snap: dict[str, object] = {}
    for f in sorted(run.rglob("*.safetensors")):
        tensors, meta = load_checkpoint(f)
        snap[str(f.relative_to(run))] = ({k: v.clone() for k, v in tensors.items()}, meta)
    snap["metrics.csv"] = (run / "metrics.csv").read_text()
    return snap


def _same(a: dict, b: dict) -> None:
    assert sorted(a) == sorted(b)
    assert a["metrics.csv"] == b["metrics.csv"]
    for k in a:
        if k == "metrics.csv":
            continue
        (ta, ma), (tb, mb) = a[k], b[k]
        assert ma == mb, k
        assert sorted(ta) == sorted(tb), k
        for name in ta:
            assert torch.equal(ta[name], tb[name]), f"{k}: {name}"


def _kill_and_resume(args, tmp_path, kills, seed):
    full, broken = tmp_path / "full", tmp_path / "broken"
    t0 = time.perf_counter()
    _run(args, full)
    duration = time.perf_counter() - t0
    rng = random.Random(seed)
    for _ in range(kills):
        _run(args, broken, kill_after=rng.uniform(1.0, duration))
    _run(args, broken)  # the same command again: resumes and finishes
    _same(_snapshot(full), _snapshot(broken))
    assert not list(broken.rglob("*.tmp")), "temporary files left behind"


def test_rbm_run_survives_sigkill(tmp_path):
    _kill_and_resume(RBM_ARGS, tmp_path, kills=3, seed=0)


@pytest.mark.slow
def test_dbm_run_survives_sigkill(tmp_path):
    _kill_and_resume(DBM_ARGS, tmp_path, kills=3, seed=1)


def test_resume_flag_and_config_mismatch(tmp_path, capsys):
    out = tmp_path / "run"
    small = [a for a in RBM_ARGS]
    assert main([*small, "--out", str(out)]) == 0
    before = (out / "metrics.csv").read_text()
    (out / "report.md").unlink()
    assert main(["rbm-patches", "--resume", str(out), "--no-progress"]) == 0
    assert (out / "metrics.csv").read_text() == before and (out / "report.md").exists()
    capsys.readouterr()
    assert main([*small, "--fraction", "0.4", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "another configuration (differs in fraction)" in err
