"""The online-pruning experiment end to end at a small size: the four variants reach the
same weight count, the metrics are the saved models' exact log-likelihoods, the report's
findings are the paired intervals of those metrics, the traces start before the first update
and end with training; and its settings' one-line errors."""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest
from scipy.stats import t as student_t

from boltzprune.app.cli import main
from boltzprune.app.online.config import VARIANTS, OnlinePruningConfig
from boltzprune.evaluate.patterns import empirical_distribution, exact_fit
from boltzprune.io import load_model
from tests.conftest import ONLINE_ARGS, ONLINE_PATCHES

N = ONLINE_PATCHES


@pytest.fixture
def run(online_run):
    return online_run


def _rows(out):
    return list(csv.DictReader(open(out / "metrics.csv")))


def test_every_variant_reaches_the_offline_weight_count(run):
    rows = _rows(run)
    assert len(rows) == 2 * (1 + 2 * len(VARIANTS))
    final = OnlinePruningConfig().final_weights(13)
    assert final == 113
    updates = {"trained": N, "offline": 4 * N, "online": 2 * N, "scratch": 4 * N,
               "random_mask": 4 * N}
    for r in rows:
        assert int(r["updates"]) == updates[r["variant"]]
        assert int(r["model_samples"]) == (3 * 300 if r["variant"] == "offline" else 0)
        if r["variant"] != "trained":
            assert int(r["n_weights"]) == final


def test_metrics_are_the_saved_models_exact_fit(run):
    from boltzprune.data import make_patches

    p_data = empirical_distribution(make_patches("tiles", n_patches=N, radius=2.1, seed=0))
    for r in _rows(run):
        if r["variant"] == "trained":
            continue
        model = load_model(run / f"seed{r['seed']}" / r["criterion"] / f"{r['variant']}"
                           ".safetensors")[0]
        fit = exact_fit(model, p_data)
        assert math.isclose(float(r["log_likelihood"]), fit["log_likelihood"], abs_tol=1e-9)
        assert model.n_hidden == int(r["n_hidden"])


def test_findings_are_the_paired_intervals_of_the_metrics(run):
    rows = _rows(run)

    def ll(c, v):
        return np.array([float(r["log_likelihood"]) for r in sorted(
            (r for r in rows if r["criterion"] == c and r["variant"] == v),
            key=lambda r: int(r["seed"]))])

    d = ll("variance", "online") - ll("variance", "offline")
    half = student_t.ppf(0.975, 1) * d.std(ddof=1) / math.sqrt(2)
    text = (run / "report.md").read_text()
    assert (f"log-likelihood {d.mean():+.4f} (95 % interval {d.mean() - half:+.4f} to "
            f"{d.mean() + half:+.4f}) nats") in text
    assert "Over-production is necessary (claim I: both lower): **" in text
    summary = json.loads((run / "summary.json").read_text())
    assert summary["n_seeds"] == 2 and len(summary["criteria"]) == 2
    for name in ("loglik", "schedule", "traces"):
        assert (run / "figures" / f"{name}.png").stat().st_size > 10_000


def test_traces_start_before_the_first_update_and_end_with_training(run):
    rows = list(csv.DictReader(open(run / "traces.csv")))
    base = [r for r in rows if r["seed"] == "0" and r["pruning"] == "none"]
    online = [r for r in rows if r["seed"] == "0" and r["criterion"] == "variance"]
    assert [int(r["step"]) for r in base] == [0, 500, 1000, 1500]
    assert int(online[0]["step"]) == 0 and int(online[-1]["step"]) == 2 * N
    assert math.isnan(float(base[0]["running_corr"])) and float(base[-1]["running_corr"]) > 0.8
    assert int(online[0]["weights"]) == 910 and int(online[-1]["weights"]) == 113
    events = json.loads((run / "seed0" / "variance" / "online.json").read_text())["events"]
    assert events and all(150 <= e["step"] <= N for e in events)


def test_a_finished_run_answers_from_its_report(run, capsys):
    assert main([*ONLINE_ARGS, "--out", str(run)]) == 0
    assert "report.md" in capsys.readouterr().out


@pytest.mark.parametrize("args, message", [
    (["--prune-end-epoch", "5"], "prune_end_epoch (5) must not pass online_epochs (4)"),
    (["--decay", "1"], "decay must be in [0, 1)"),
    (["--prune-every", "0"], "prune_every must be an integer >= 1"),
    (["--criteria", "nope"], "unknown criterion 'nope'"),
])
def test_bad_settings_are_one_line(tmp_path, capsys, args, message):
    assert main(["online-pruning", "--out", str(tmp_path / "r"), "--no-progress", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_sweep_rows_are_the_online_variant(run):
    from boltzprune.app.configio import config_from_dict
    from boltzprune.app.experiments import EXPERIMENTS

    exp = EXPERIMENTS["online-pruning"]
    cfg = config_from_dict(exp.config_type, json.loads((run / "config.json").read_text()))
    rows = exp.sweep_rows(run, cfg)
    online = [r for r in _rows(run) if r["variant"] == "online"]
    assert [(r["seed"], r["criterion"]) for r in rows] == \
        [(int(r["seed"]), r["criterion"]) for r in online]
    assert all(set(r) >= set(exp.sweep_metrics) for r in rows)
    assert [r["log_likelihood"] for r in rows] == [float(r["log_likelihood"]) for r in online]
