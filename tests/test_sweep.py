"""Sweeps on real Dask clusters: the local default, a scheduler address, failures and
retries, and the summary built from the run directories."""

import csv
import json
import textwrap

import pytest

from boltzprune.app.cli import main
from boltzprune.app.experiments import EXPERIMENTS
from boltzprune.app.sweep.report import aggregate, collect_rows
from boltzprune.app.sweep.run import plan_points, read_sweep_config, run_sweep

SMALL = """
experiment = "rbm-patches"
base = "rbm-authors-code"  # one schedule
workers = 2

[settings]
n_patches = 1000
iterations = 1
plugins = [{plugins}]
sampling = {{ n_samples = 200, n_chains = 50, burn_in = 5, thin = 2 }}

[settings.training.authors_code]
epochs = 1  # the runs take seconds

[grid]
criteria = [{criteria}]
seeds = [{seeds}]
"""


def _sweep_file(tmp_path, criteria, seeds, plugins=""):
    path = tmp_path / "sweep.toml"
    path.write_text(SMALL.format(criteria=", ".join(f'"{c}"' for c in criteria),
                                 seeds=", ".join(map(str, seeds)), plugins=plugins))
    return path


def _rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_sweep_on_a_local_cluster(tmp_path, capsys):
    """5 criteria x 3 seeds on the bundled data: every run finishes on the default local
    cluster, the summary aggregates them, and a run matches the same run made directly."""
    crits = ["variance", "heuristic", "abs_w", "random", "anti_fi"]
    path = _sweep_file(tmp_path, crits, [0, 1, 2])
    out = tmp_path / "sweep"
    assert main(["sweep", str(path), "--out", str(out), "--no-progress"]) == 0
    assert "15 runs done, 0 finished before, 0 failed" in capsys.readouterr().out
    status = json.loads((out / "status.json").read_text())
    assert len(status) == 15 and all(s["state"] == "done" for s in status.values())
    for rid in status:
        assert (out / "runs" / rid / "report.md").is_file()
        assert (out / "runs" / rid / "report.html").is_file()
    results = _rows(out / "results.csv")
    assert len(results) == 15
    summary = _rows(out / "summary.csv")
    assert [r["criterion"] for r in summary] == crits
    assert all(r["n_runs"] == "3" and r["schedule"] == "authors_code" for r in summary)
    page = (out / "summary.html").read_text()
    assert 'src="data:image/png;base64,' in page and "http" not in page.split("<body>")[1]
    assert (out / "figures" / "sweep.png").is_file()
    # rendered in headless Chromium: the summary figure's points and error bars (tab:blue)
    # are on the page
    from test_html_report import TAB_BLUE, colour_pixels, screenshot

    img = screenshot(out / "summary.html", tmp_path / "summary.png", height=1400)
    assert colour_pixels(img, TAB_BLUE, tol=6) > 300

    # the mean in summary.csv is the mean of the per-run rows
    var = [float(r["units_left"]) for r in results if r["criterion"] == "variance"]
    mean = float(next(r for r in summary if r["criterion"] == "variance")["units_left_mean"])
    assert mean == pytest.approx(sum(var) / 3)

    # the sweep's run equals the same config run directly (everything is seeded)
    from boltzprune.app.runs import run_experiment

    point = next(p for p in plan_points(read_sweep_config(path))
                 if p.run_id == "criteria=heuristic,seeds=2")
    run_experiment(EXPERIMENTS["rbm-patches"], point.config, tmp_path / "direct",
                   progress=False)
    direct = _rows(tmp_path / "direct" / "metrics.csv")
    assert direct == _rows(out / "runs" / point.run_id / "metrics.csv")

    # a second call finds everything finished and reruns nothing
    assert main(["sweep", str(path), "--out", str(out), "--no-progress"]) == 0
    assert "0 runs done, 15 finished before, 0 failed" in capsys.readouterr().out


@pytest.fixture(scope="module")
def scheduler():
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        yield cluster.scheduler_address


FLAKY = textwrap.dedent('''
    import os
    from boltzprune.pruning.criteria import register_criterion, _variance

    @register_criterion("flaky")
    def flaky(ctx):
        if not os.path.exists({marker!r}):
            raise RuntimeError("flaky criterion failed on purpose")
        return _variance(ctx)
''')


def test_sweep_on_a_scheduler_retries_failed_runs(tmp_path, scheduler, capsys):
    marker = tmp_path / "now-it-works"
    plugin = tmp_path / "flaky.py"
    plugin.write_text(FLAKY.format(marker=str(marker)))
    path = _sweep_file(tmp_path, ["variance", "flaky"], [0], plugins=f'"{plugin}"')
    out = tmp_path / "sweep"
    args = ["sweep", str(path), "--out", str(out), "--scheduler", scheduler, "--no-progress"]
    assert main(args) == 1
    captured = capsys.readouterr()
    assert "1 runs done, 0 finished before, 1 failed" in captured.out
    assert "criteria=flaky,seeds=0: RuntimeError: flaky criterion failed on purpose" in \
        captured.err
    status = json.loads((out / "status.json").read_text())
    assert status["criteria=flaky,seeds=0"]["state"] == "failed"
    assert "flaky criterion failed" in (out / "summary.md").read_text()
    done_report = out / "runs" / "criteria=variance,seeds=0" / "report.md"
    before = done_report.stat().st_mtime_ns

    marker.write_text("")
    assert main(args) == 0  # the retry runs only the failed point
    assert "1 runs done, 1 finished before, 0 failed" in capsys.readouterr().out
    assert done_report.stat().st_mtime_ns == before
    assert len(_rows(out / "results.csv")) == 2


def test_unreachable_scheduler(tmp_path, capsys):
    path = _sweep_file(tmp_path, ["variance"], [0])
    code = main(["sweep", str(path), "--out", str(tmp_path / "s"), "--no-progress",
                 "--scheduler", "tcp://127.0.0.1:9"])
    err = capsys.readouterr().err
    assert code == 2 and "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("text, message", [
    ('experiment = "rbm"\n[grid]\nseeds = [1]\n', "experiment must be one of"),
    ('[grid]\n', "[grid] must name at least one setting"),
    ('[grid]\nseeds = 3\n', "grid.seeds must be a non-empty list"),
    ('[grid]\ncriteria = ["nope"]\n', "unknown criterion 'nope'"),
    ('[grid]\nn_hiden = [3]\n', "sweep grid: n_hiden: unknown setting; did you mean "
                                "'n_hidden'?"),
    ('worker = 2\n[grid]\nseeds = [1]\n', "unknown setting 'worker'; did you mean 'workers'?"),
    ('[settings]\nfraction = 2.0\n[grid]\nseeds = [1]\n', "fraction must be in (0, 1)"),
])
def test_bad_sweep_files(tmp_path, capsys, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    assert main(["sweep", str(path), "--out", str(tmp_path / "s"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "s").exists()


def test_grid_over_sizes_and_fractions(tmp_path):
    path = tmp_path / "g.toml"
    path.write_text('base = "rbm-demo"\n[grid]\nn_hidden = [35, 70]\nfraction = [0.5, 0.25]\n'
                    'seeds = [0, 1]\ncriteria = ["variance"]\n'
                    "training.paper.epochs = [1]\n")
    points = plan_points(read_sweep_config(path))
    assert len(points) == 8
    p = points[-1]
    assert p.run_id == ("n_hidden=70,fraction=0.25,seeds=1,criteria=variance,"
                        "training.paper.epochs=1")
    assert p.config.n_hidden == 70 and p.config.fraction == 0.25 and p.config.seeds == (1,)
    assert p.config.training["paper"].epochs == 1 and p.config.workers == 1
    assert p.config.training["authors_code"].epochs == 2  # the base's other schedule


def test_sweep_refuses_another_sweeps_folder(tmp_path):
    a = read_sweep_config(_sweep_file(tmp_path, ["variance"], [0]))
    out = tmp_path / "s"
    (out / "runs").mkdir(parents=True)
    (out / "sweep.json").write_text(json.dumps({"sweep": {"experiment": "dbm-mnist"},
                                                "runs": {}}))
    with pytest.raises(ValueError, match="holds another sweep"):
        run_sweep(a, out, progress=False)


def test_dbm_rows_and_aggregate(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "metrics.csv").write_text(
        "seed,criterion,iteration,n_weights,n_weights_total,n_h1,n_h2,n_dead_visible,"
        "encoding_error,confidence,class_fractions,n_cut\n"
        '0,none,0,"[10, 20]",30,4,5,0,0.1,0.8,"[1.0]",\n'
        '0,variance,2,"[5, 10]",15,3,4,2,0.2,0.7,"[1.0]","[1, 2]"\n'
        '0,variance,1,"[8, 15]",23,4,5,1,0.15,0.75,"[1.0]","[1, 2]"\n')
    from boltzprune.app.dbm_mnist.config import DBMMnistConfig

    rows = collect_rows(EXPERIMENTS["dbm-mnist"], run, {"seeds": [0], "fraction": 0.1},
                        DBMMnistConfig(iterations=2))
    assert rows == [{"seeds": "0", "fraction": "0.1", "seed": 0, "criterion": "variance",
                     "encoding_error": 0.2, "units_left": 7, "weights_left": 15,
                     "pixels_cut_off": 2, "confidence": 0.7}]
    agg = aggregate(rows + [{**rows[0], "seed": 1, "encoding_error": 0.4}],
                    ["fraction", "criterion"], ["encoding_error"])
    assert agg == [{"fraction": "0.1", "criterion": "variance", "n_runs": 2,
                    "encoding_error_mean": pytest.approx(0.3),
                    "encoding_error_sd": pytest.approx(0.1414213562)}]


def test_rbm_rows_keep_a_grid_over_n_hidden(tmp_path):
    """A grid value named like a metric's source column (n_hidden) stays the grid value."""
    run = tmp_path / "run"
    run.mkdir()
    (run / "metrics.csv").write_text(
        "schedule,seed,criterion,iteration,stage,n_weights,n_hidden,log_likelihood,kl\n"
        "paper,0,none,0,trained,910,35,-4.5,0.3\n"
        "paper,0,variance,1,pruned,455,30,-6.0,1.5\n"
        "paper,0,variance,1,retrained,455,30,-5.0,0.8\n")
    from boltzprune.app.rbm_patches.config import RBMPatchesConfig

    rows = collect_rows(EXPERIMENTS["rbm-patches"], run, {"n_hidden": 35, "seeds": [0]},
                        RBMPatchesConfig(iterations=1))
    assert rows == [{"n_hidden": "35", "seeds": "0", "schedule": "paper", "seed": 0,
                     "criterion": "variance", "units_left": 30, "weights_left": 455,
                     "ll_pruned": -6.0, "ll_retrained": -5.0, "kl_retrained": 0.8}]


def test_sweep_record_notices_a_changed_base_but_not_workers(tmp_path):
    """Rerunning into a sweep folder compares every run's resolved config: a changed base
    file is refused, another number of workers is not."""
    import dataclasses

    from boltzprune.app.sweep.run import _open_sweep_dir, sweep_record

    base = tmp_path / "base.toml"
    base.write_text("n_patches = 1000\n")
    path = tmp_path / "s.toml"
    path.write_text('base = "base.toml"\n[grid]\nseeds = [0]\n')

    def record(sweep):
        return sweep_record(sweep, plan_points(sweep))

    out = tmp_path / "out"
    sweep = read_sweep_config(path)
    _open_sweep_dir(out, record(sweep))
    _open_sweep_dir(out, record(dataclasses.replace(sweep, workers=1)))  # accepted
    base.write_text("n_patches = 800\n")
    with pytest.raises(ValueError, match="changed base file or shipped config"):
        _open_sweep_dir(out, record(read_sweep_config(path)))
