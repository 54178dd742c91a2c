import csv
import json

import pytest

from boltzprune.app.cli import main
from boltzprune.io import load_rbm

SMALL = ["--n-patches", "3000", "--fi-samples", "600", "--chains", "100", "--burn-in", "50",
         "--thin", "5", "--workers", "1", "--no-progress"]


def test_rbm_patches_end_to_end(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["rbm-patches", "--seeds", "0", "1", "--out", str(out), *SMALL]) == 0
    assert "report.md" in capsys.readouterr().out
    report = (out / "report.md").read_text()
    assert "Table 1" in report and "(9)" in report  # the paper's number beside ours
    for name in ("fig1_fim_paper", "fig2_rank_frequency_authors_code", "units_loglik_paper"):
        assert (out / "figures" / f"{name}.png").stat().st_size > 10_000
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["seeds"] == [0, 1] and cfg["training"]["paper"]["lr_start"] == 0.1
    assert "torch" in json.loads((out / "versions.json").read_text())
    rows = list(csv.DictReader(open(out / "metrics.csv")))
    # 2 schedules x 2 seeds x (1 trained + 6 criteria x 3 iterations x 2 stages)
    assert len(rows) == 2 * 2 * (1 + 6 * 3 * 2)
    weights = {(r["criterion"], r["iteration"]): r["n_weights"] for r in rows
               if r["stage"] == "pruned"}
    assert {weights[(c, "3")] for c in ("variance", "random", "anti_fi")} == {"113"}
    t1 = list(csv.DictReader(open(out / "table1_paper.csv")))
    assert len(t1) == 6 * 4 and t1[0]["paper"] == "70"
    rbm, meta = load_rbm(out / "paper" / "seed1" / "variance" / "iter3_retrained.safetensors")
    assert rbm.n_weights == 113 and meta["criterion"] == "variance"
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["checks"]) == {"paper", "authors_code"}


@pytest.mark.parametrize("args, message", [
    (["--fraction", "1.5"], "fraction must be in (0, 1), got 1.5"),
    (["--criteria", "nope"], "unknown criterion 'nope'"),
    (["--seeds", "1", "1"], "seeds must be distinct"),
    (["--data", "cifar"], "needs cifar_dir"),
    (["--data", "cifar", "--cifar-dir", "/nonexistent"], "/nonexistent: no such file"),
    (["--n-patches", "0"], "n_patches must be an integer >= 1"),
])
def test_bad_input_one_line_exit_2(tmp_path, capsys, args, message):
    code = main(["rbm-patches", "--out", str(tmp_path / "r"), *SMALL, *args])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_existing_run_dir_is_not_overwritten(tmp_path, capsys):
    (tmp_path / "keep.txt").write_text("precious")
    assert main(["rbm-patches", "--out", str(tmp_path), *SMALL]) == 2
    assert "already exists and is not empty" in capsys.readouterr().err
    assert (tmp_path / "keep.txt").read_text() == "precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]


def test_device_without_gpu_is_one_line_exit_2(capsys):
    """--device is checked where the config is built (parsing imports no torch)."""
    import torch

    if torch.cuda.is_available():
        pytest.skip("torch sees a CUDA GPU here")
    assert main(["rbm-patches", "--device", "cuda", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "CUDA" in err and "device" in err


def test_argparse_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as e:
        main(["rbm-patches", "--workers", "two"])
    assert e.value.code == 2
    assert "--workers" in capsys.readouterr().err


def test_patch_stats_with_cifar(tmp_path, capsys):
    import pickle

    import numpy as np

    rng = np.random.default_rng(0)
    for i in range(1, 6):
        with open(tmp_path / f"data_batch_{i}", "wb") as f:
            pickle.dump({b"data": rng.integers(0, 256, (4, 3072), dtype=np.uint8),
                         b"labels": [0, 1, 2, 3]}, f, protocol=2)
    assert main(["patch-stats", "--cifar-dir", str(tmp_path), "--n-patches", "500"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in out] == ["source", "tiles", "photos", "cifar"]


def test_dbm_mnist_end_to_end(tmp_path, capsys):
    out = tmp_path / "dbm"
    args = ["dbm-mnist", "--seeds", "0", "--n-train", "300", "--iterations", "2",
            "--criteria", "variance", "anti_fi", "--n-generate", "300", "--workers", "1",
            "--out", str(out), "--no-progress", "--set", "recipe.likelihood.n_betas=200"]
    assert main(args) == 0
    report = (out / "report.md").read_text()
    assert "h2 readout error" in report and "raw pixels" in report.lower()
    for name in ("fig3_encoding", "fig4_generation", "fig4_likelihood"):
        assert (out / "figures" / f"{name}.png").stat().st_size > 10_000
    rows = list(csv.DictReader(open(out / "metrics.csv")))
    assert len(rows) == 1 + 2 * 2
    for r in rows[1:]:
        assert int(r["n_weights_total"]) < 279_236
    for r in rows:  # a log-likelihood interval per round, from AIS over 200 temperatures
        lo, hi = float(r["log_lik_low"]), float(r["log_lik_high"])
        assert -400 < min(lo, hi) and max(lo, hi) < 0 and abs(hi - lo) < 40
        assert float(r["log_z"]) + hi == pytest.approx(
            float(r["log_z_reverse"]) + lo)  # one mean-field bound, two estimates of log Z
    assert "## Test log-likelihood" in report and "over 200 inverse temperatures" in report
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["criteria"]) == {"variance", "anti_fi"}
    assert "extrapolated" in summary["criteria"]["variance"]["entropy"]
    from boltzprune.io import load_checkpoint

    t, meta = load_checkpoint(out / "seed0" / "variance" / "iter2_retrained.safetensors")
    assert meta["iteration"] == 2 and int(t["mask1"].sum()) <= int(0.81 * 8_836) + 2
    # every trained model's health: the unpruned one, 2 rounds x 2 criteria, 2 full retrains
    health = list(csv.DictReader(open(out / "health.csv")))
    assert [h["stage"] for h in health] == ["trained"] + ["retrained", "retrained",
                                                          "full retrain"] * 2
    trained = health[0]
    assert json.loads(trained["n_units"]) == [400, 676]
    assert 0 < float(trained["reconstruction_error"]) < float(trained["reconstruction_baseline"])
    assert "## Model health" in report and "| 0 | " in report


@pytest.mark.parametrize("args, message", [
    (["--criteria", "nope"], "unknown criterion 'nope'"),
    (["--recipe", "paper"], "the 'paper' recipe trains on 60,000 images"),
    (["--recipe", "full"], "the 'full' recipe trains on 60,000 images"),
    (["--idx-dir", "/data"], "idx_dir is for --data idx or fashion-mnist"),
    (["--data", "idx"], "needs idx_dir"),
    (["--data", "idx", "--idx-dir", "/nonexistent"], "/nonexistent"),
    (["--fraction", "0"], "fraction must be in (0, 1), got 0"),
])
def test_dbm_bad_input(tmp_path, capsys, args, message):
    code = main(["dbm-mnist", "--out", str(tmp_path / "r"), "--no-progress", *args])
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "r").exists()


def test_config_file(tmp_path, capsys):
    cfg = tmp_path / "small.toml"
    cfg.write_text('seeds = [3]\ncriteria = ["variance"]\n'
                   "n_patches = 2000\niterations = 2\nworkers = 2\n"
                   '[training.mine]\nlr_schedule = "constant"\nlr_start = 0.05\n'
                   "[sampling]\nn_samples = 400\nn_chains = 100\nburn_in = 20\nthin = 5\n")
    out = tmp_path / "run"
    assert main(["rbm-patches", "--config", str(cfg), "--out", str(out), "--no-progress",
                 "--workers", "1", "--set", "training.mine.epochs=1",
                 "--set", "sampling.thin=4"]) == 0
    stored = json.loads((out / "config.json").read_text())
    assert stored["seeds"] == [3] and stored["sampling"]["thin"] == 4
    assert stored["workers"] == 1  # --workers applies over the file
    assert stored["training"] == {"mine": {**stored["training"]["mine"], "epochs": 1,
                                           "lr_start": 0.05, "lr_schedule": "constant"}}
    assert (out / "mine" / "seed3" / "variance" / "iter2_retrained.safetensors").exists()
    assert "custom schedule (CD-1, online updates, 1 epoch" in (out / "report.md").read_text()


def test_a_bug_is_not_dressed_as_bad_input(monkeypatch, tmp_path):
    """Only the package's error family becomes one line and exit 2; an internal error
    surfaces as itself (a traceback, exit 1 from the interpreter)."""
    from boltzprune.app.rbm_patches import run

    def boom(cfg):
        raise KeyError("an internal bug")

    monkeypatch.setattr(run, "load_data", boom)
    with pytest.raises(KeyError, match="an internal bug"):
        main(["rbm-patches", "--no-progress", "--out", str(tmp_path / "r")])
    assert not (tmp_path / "r").exists()


def test_review_findings_are_one_line_errors_or_work(tmp_path, capsys):
    """--set completes a config built from flags; devices boltzprune does not run on, a
    file given to --resume and an old DBM config file with a new --set key are handled."""
    (tmp_path / "f.txt").write_text("x")
    old = tmp_path / "old.toml"  # an earlier version's name for the recipe
    old.write_text('experiment = "dbm-mnist"\n[schedule.joint]\nepochs = 2\n')
    for args, message in [
        (["dbm-mnist", "--data", "idx", "--set", f"idx_dir={tmp_path / 'none'}"],
         "no such folder"),  # --set filled in idx_dir: the data loader is reached
        (["rbm-patches", "--set", "device=meta"], "not a device boltzprune runs on"),
        (["rbm-patches", "--resume", str(tmp_path / "f.txt")], "f.txt: not a folder"),
        (["dbm-mnist", "--config", str(old), "--set", "recipe.joint.epochs=x"],
         "recipe.joint.epochs must be an integer"),
    ]:
        out = [] if "--resume" in args else ["--out", str(tmp_path / "r")]
        code = main([*args, "--no-progress", *out])
        err = capsys.readouterr().err
        assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "r").exists()
