"""`boltzprune prune DATA`: the paper's procedure on the user's own data, end to end on a
.npy file (RBM, exact log-likelihood), a labelled .npz (RBM, AIS log-likelihood and
readout) and the bundled digits (DBM, AIS bound); resume after SIGKILL; bad input."""

import csv
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

from boltzprune.app.cli import main
from boltzprune.app.prune.config import PruneDataConfig
from boltzprune.errors import InvalidInputError
from boltzprune.io import load_model
from boltzprune.models.enumerate import log_likelihood

# tiny sampling for the importance estimates (the defaults are sized for real data)
TINY = ["--fi-samples", "300", "--set", "sampling.n_chains=100", "--set",
        "sampling.burn_in=20", "--set", "sampling.thin=5", "--workers", "1", "--no-progress",
        "--set", "likelihood.n_betas=300"]


def _patterns(n: int, n_units: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n binary patterns: noisy copies of 4 prototypes, and the prototype of each."""
    rng = np.random.default_rng(seed)
    proto = rng.random((4, n_units)) < 0.4
    y = rng.integers(0, 4, n)
    return (proto[y] ^ (rng.random((n, n_units)) < 0.08)).astype(np.uint8), y


@pytest.fixture
def npy_file(tmp_path):
    path = tmp_path / "patterns.npy"
    np.save(path, _patterns(500, 10, seed=0)[0])
    return path


def _rows(run):
    return list(csv.DictReader(open(run / "metrics.csv")))


def test_rbm_on_npy_end_to_end(tmp_path, npy_file, capsys):
    out = tmp_path / "run"
    assert main(["prune", str(npy_file), "--hidden", "12", "--iterations", "2",
                 "--out", str(out), *TINY]) == 0
    assert "report.md" in capsys.readouterr().out
    rows = _rows(out)
    crits = PruneDataConfig().criteria
    assert len(rows) == 1 + len(crits) * 2
    assert {r["measure"] for r in rows} == {"log_likelihood"}  # 10 visible units: exact
    assert all(r["encoding_error"] == "" for r in rows)  # no labels, no readout
    # half of the remaining 10 x 12 weights per round, equal counts across criteria
    assert {r["n_weights_total"] for r in rows if r["iteration"] == "2"} == {"30"}
    # the quality is the exact log-likelihood of the held-out 20 % (the split is seeded)
    x = np.load(npy_file).astype(np.float32)
    test = np.sort(np.random.default_rng(0).permutation(len(x))[:100])
    final = load_model(out / "seed0" / "variance" / "iter2_retrained.safetensors")[0]
    row = next(r for r in rows if r["criterion"] == "variance" and r["iteration"] == "2")
    assert float(row["quality"]) == pytest.approx(log_likelihood(final, torch.from_numpy(x[test])))
    assert json.loads(row["n_hidden"]) == [final.n_hidden]
    data = json.loads((out / "data.json").read_text())
    assert (data["n_train"], data["n_test"], data["n_units"]) == (400, 100, 10)
    report = (out / "report.md").read_text()
    assert str(npy_file) in report and "RBM 10 x 12" in report and "2 rounds" in report
    for name in ("units", "quality"):
        assert (out / "figures" / f"{name}.png").stat().st_size > 10_000
    html = (out / "report.html").read_text()
    assert html.count("data:image/png") >= 2
    summary = json.loads((out / "summary.json").read_text())
    assert summary["measure"] == "log_likelihood" and set(summary["criteria"]) == set(crits)
    assert summary["criteria"]["variance"]["error_mean"] is None  # no labels, no readout
    assert set(summary["checks"]["ranked_by_quality"]) == set(crits)
    assert summary["checks"]["encoding_beats_raw"] is None


def test_labelled_npz_ais_likelihood_and_readout(tmp_path, capsys):
    x, y = _patterns(400, 24, seed=1)
    np.savez(tmp_path / "labelled.npz", x=x, y=y)
    out = tmp_path / "run"
    assert main(["prune", str(tmp_path / "labelled.npz"), "--hidden", "22", "--iterations",
                 "1", "--criteria", "variance", "abs_w", "--out", str(out), *TINY]) == 0
    rows = _rows(out)
    assert {r["measure"] for r in rows} == {"ais_log_likelihood"}  # both layers > 20
    assert all(0 <= float(r["encoding_error"]) <= 1 for r in rows)
    # an AIS interval around the exact log-likelihood (22 hidden units still enumerate)
    x = np.load(tmp_path / "labelled.npz")["x"].astype(np.float32)
    test = np.sort(np.random.default_rng(0).permutation(len(x))[:80])
    trained = load_model(out / "seed0" / "trained.safetensors")[0]
    exact = log_likelihood(trained, torch.from_numpy(x[test]))
    lo, hi = float(rows[0]["quality_low"]), float(rows[0]["quality_high"])
    assert lo <= float(rows[0]["quality"]) <= hi and lo - 0.5 < exact < hi + 0.5
    assert "readout" in (out / "report.md").read_text()
    assert json.loads((out / "summary.json").read_text())["raw_error"] is not None


def test_dbm_on_bundled_digits(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["prune", "digits", "--model", "dbm", "--hidden", "50", "30", "--set",
                 "max_rows=600", "--epochs", "2", "--joint-epochs", "1", "--retrain-epochs",
                 "1", "--iterations", "2", "--criteria", "variance", "random",
                 "--out", str(out), *TINY]) == 0
    rows = _rows(out)
    assert len(rows) == 1 + 2 * 2
    assert {r["measure"] for r in rows} == {"ais_bound"}
    assert all(-400 < float(r["quality_low"]) <= float(r["quality_high"]) < 0 for r in rows)
    assert all(len(json.loads(r["n_hidden"])) == 2 for r in rows)
    assert all(0 <= float(r["encoding_error"]) <= 1 for r in rows)
    unpruned = json.loads(rows[0]["n_weights"])
    assert unpruned == [400 * 50, 50 * 30]
    for r in rows[1:]:  # each matrix loses at least half per round (the zero rule: more)
        assert all(w <= u // 2 ** int(r["iteration"]) + 1
                   for w, u in zip(json.loads(r["n_weights"]), unpruned, strict=True))
    data = json.loads((out / "data.json").read_text())
    assert data["n_rows"] == 600 and data["n_classes"] == 10
    report = (out / "report.md").read_text()
    assert "DBM 400 x 50 x 30" in report and "20 x 20" in report
    assert "data:image/png" in (out / "report.html").read_text()


def _command(data, out):
    return [sys.executable, "-m", "boltzprune", "prune", str(data), "--hidden", "12",
            "--iterations", "3", "--criteria", "variance", "heuristic", "abs_w",
            "--out", str(out), *TINY]


def test_resume_after_sigkill(tmp_path, npy_file, capsys):
    full, broken = tmp_path / "full", tmp_path / "broken"
    cmd = _command(npy_file, broken)
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         start_new_session=True)
    first = broken / "seed0" / "variance" / "iter1_retrained.safetensors"
    deadline = time.monotonic() + 120
    while not first.exists() and p.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    os.killpg(p.pid, signal.SIGKILL)
    p.wait()
    assert first.exists() and not (broken / "metrics.csv").exists(), "killed too late"
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "resuming" in r.stderr
    assert main(_command(npy_file, full)[3:]) == 0  # uninterrupted, in this process
    assert (broken / "metrics.csv").read_text() == (full / "metrics.csv").read_text()
    assert not list(broken.rglob("*.tmp"))


@pytest.mark.parametrize("args, message", [
    (["missing.npy"], "missing.npy: no such file"),
    (["DATA", "--model", "rbm", "--hidden", "10", "5"], "an RBM has one hidden layer"),
    (["DATA", "--criteria", "variance", "nope"], "unknown criterion 'nope'"),
    (["DATA", "--model", "dbm", "--hidden", "10"], "a DBM needs two or more hidden layers"),
    (["DATA", "--fraction", "1"], "fraction must be in (0, 1), got 1"),
    (["DATA", "--epochs", "0"], "--epochs must be an integer >= 1, got 0"),
    ([], "DATA is required"),
])
def test_bad_input_one_line_exit_2(tmp_path, npy_file, capsys, args, message):
    args = [str(npy_file) if a == "DATA" else a for a in args]
    out = tmp_path / "run"
    code = main(["prune", *args, "--out", str(out), *TINY])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not out.exists()  # nothing written


def test_config_validates_itself():
    with pytest.raises(InvalidInputError, match="binarize"):
        PruneDataConfig(binarize="median")
    with pytest.raises(InvalidInputError, match="model must be one of 'rbm', 'dbm'"):
        PruneDataConfig(model="vae")
    with pytest.raises(InvalidInputError, match="binarize applies to data files"):
        PruneDataConfig(data="digits", binarize="mean")
    assert PruneDataConfig(model="dbm").hidden_sizes == (100, 50)
    assert PruneDataConfig(model="dbm", retrain_epochs=4).retrain.epochs == 4
