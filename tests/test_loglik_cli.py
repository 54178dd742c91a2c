"""`boltzprune loglik CHECKPOINT`: exact for a small RBM, an AIS interval around the exact
value for a larger one, the mean-field bound for a DBM, and one-line errors."""

import re

import numpy as np
import pytest
import torch

from boltzprune.app.cli import main
from boltzprune.io import save_model
from boltzprune.models import init_rbm
from boltzprune.models.dbm import init_dbm
from boltzprune.models.enumerate import log_likelihood, log_partition


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _data(tmp_path, n_units: int, n: int = 200):
    x = (np.random.default_rng(0).random((n, n_units)) < 0.3).astype(np.uint8)
    path = tmp_path / "test.npy"
    np.save(path, x)
    return path, torch.from_numpy(x).float()


def _numbers(line: str) -> list[float]:
    return [float(t) for t in re.findall(r"-?\d+\.\d+", line)]


def test_small_rbm_is_exact(tmp_path, capsys):
    path, x = _data(tmp_path, 10)
    rbm = init_rbm(10, 12, weight_std=1.0, generator=_gen(0))
    save_model(tmp_path / "m.safetensors", rbm)
    assert main(["loglik", str(tmp_path / "m.safetensors"), "--data", str(path),
                 "--no-progress"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "exact" in out[1] and _numbers(out[1])[0] == pytest.approx(log_partition(rbm),
                                                                      abs=1e-4)
    assert _numbers(out[2])[0] == pytest.approx(log_likelihood(rbm, x), abs=1e-4)


def test_larger_rbm_gives_an_interval_around_the_exact_value(tmp_path, capsys):
    path, x = _data(tmp_path, 30)
    rbm = init_rbm(30, 22, weight_std=0.5, generator=_gen(1))  # 22 > 20: AIS, still exact
    save_model(tmp_path / "m.safetensors", rbm)
    assert main(["loglik", str(tmp_path / "m.safetensors"), "--data", str(path),
                 "--n-betas", "2000", "--no-progress"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("RBM 30 - 22 (660 weights); test patterns: 200 patterns of")
    assert "forward AIS" in out[1] and "reverse AIS" in out[2]
    lo, hi = _numbers(out[3])[:2]
    assert lo <= hi and lo - 0.1 < log_likelihood(rbm, x) < hi + 0.1


def test_dbm_gives_the_mean_field_bound(tmp_path, capsys):
    path, _ = _data(tmp_path, 30)
    dbm = init_dbm([30, 8, 6], weight_std=0.5, generator=_gen(2))
    save_model(tmp_path / "d.safetensors", dbm)
    assert main(["loglik", str(tmp_path / "d.safetensors"), "--data", str(path),
                 "--n-betas", "500", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "DBM 30 - 8 - 6" in out and "mean-field lower bound" in out
    log_z = _numbers(out.splitlines()[1])[0]
    assert log_z == pytest.approx(log_partition(dbm), abs=0.2)


@pytest.mark.parametrize("args, message", [
    (["--data", "DATA"], "the model has 30 visible units but 200 patterns of"),
    (["--n-betas", "2"], "n_betas must be an integer >= 3, got 2"),
    (["--data", "/no/such/file.npy"], "/no/such/file.npy"),
])
def test_bad_input_is_one_line(tmp_path, capsys, args, message):
    path, _ = _data(tmp_path, 12)
    save_model(tmp_path / "m.safetensors", init_rbm(30, 22, generator=_gen(3)))
    args = [str(path) if a == "DATA" else a for a in args]
    assert main(["loglik", str(tmp_path / "m.safetensors"), *args, "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("boltzprune: error: ") and message in err and "\n" not in err
