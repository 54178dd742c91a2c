"""Shipped config files, typed TOML configs, --set overrides and custom-criterion plugins."""

import dataclasses
import json
import os
import subprocess
import sys
import textwrap

import pytest
import torch

from boltzprune.app.cli import main
from boltzprune.app.configio import (
    apply_overrides,
    build_config,
    config_from_dict,
    config_to_dict,
    shipped_names,
)
from boltzprune.app.configio import config_from_source as _config_from_source
from boltzprune.app.dbm_mnist.config import DBMMnistConfig
from boltzprune.app.dbm_mnist.recipes import dbm_recipe
from boltzprune.app.rbm_patches.config import SCHEDULES, RBMPatchesConfig
from boltzprune.pruning.criteria import available_criteria, get_criterion, registry
from boltzprune.training.cd import AUTHORS_CODE_RBM, PAPER_RBM

CLASSES = {"rbm-patches": RBMPatchesConfig, "dbm-mnist": DBMMnistConfig}


def with_overrides(cfg, overrides):
    return build_config(type(cfg), config_to_dict(cfg), overrides)


def config_from_source(experiment, source, overrides=()):
    return _config_from_source(experiment, CLASSES[experiment], source, overrides)


def rbm_patches_config_from_dict(d, where="config"):
    return config_from_dict(RBMPatchesConfig, d, where)


def dbm_mnist_config_from_dict(d, where="config"):
    return config_from_dict(DBMMnistConfig, d, where)


def test_shipped_configs_match_the_library_constants():
    assert set(shipped_names()) == {"rbm-paper", "rbm-authors-code", "rbm-demo", "dbm-quick",
                                   "dbm-paper", "dbm-full", "dbm-fashion-mnist"}
    paper = config_from_source("rbm-patches", "rbm-paper")
    assert paper.training == {"paper": PAPER_RBM} and paper.sampling.n_samples == 90_000
    code = config_from_source("rbm-patches", "rbm-authors-code")
    assert code.training == {"authors_code": AUTHORS_CODE_RBM}
    demo = config_from_source("rbm-patches", "rbm-demo")
    assert demo.training == SCHEDULES and demo.criteria == RBMPatchesConfig().criteria
    quick = config_from_source("dbm-mnist", "dbm-quick")
    assert quick == DBMMnistConfig() and quick.recipe_name == "quick"
    full = config_from_source("dbm-mnist", "dbm-paper", ["idx_dir='/data/mnist'"])
    assert full.recipe == dbm_recipe("paper") and full.recipe_name == "paper"
    scale = config_from_source("dbm-mnist", "dbm-full", ["idx_dir='/data/mnist'"])
    assert scale.recipe == dbm_recipe("full") and scale.recipe_name == "full"
    fashion = config_from_source("dbm-mnist", "dbm-fashion-mnist")
    assert fashion.data_source == "fashion-mnist" and fashion.recipe_name == "full"
    assert dataclasses.replace(fashion, data_source="idx", idx_dir="/data/mnist") == scale


def test_config_dict_round_trip():
    for cfg, load in ((RBMPatchesConfig(), rbm_patches_config_from_dict),
                      (DBMMnistConfig(), dbm_mnist_config_from_dict)):
        d = json.loads(json.dumps(config_to_dict(cfg)))  # as config.json stores it
        assert load(d) == cfg


@pytest.mark.parametrize("d, message", [
    ({"seedz": [1]}, "unknown setting 'seedz'; did you mean 'seeds'?"),
    ({"training": {"paper": {"epoch": 3}}},
     "unknown setting 'training.paper.epoch'; did you mean 'training.paper.epochs'?"),
    ({"n_hidden": "70"}, "n_hidden must be an integer, got '70'"),
    ({"n_hidden": True}, "n_hidden must be an integer, got True"),
    ({"seeds": 3}, "seeds must be a list, got 3"),
    ({"fraction": "half"}, "fraction must be a number, got 'half'"),
    ({"sampling": 5}, "sampling must be a table of settings"),
    ({"training": {}}, "training must hold at least one schedule"),
    ({"training": {"a b": {}}}, "label 'a b' must be a plain name"),
])
def test_typed_config_errors(d, message):
    with pytest.raises(ValueError) as e:
        rbm_patches_config_from_dict(d, "my.toml")
    assert str(e.value).startswith("my.toml") and message in str(e.value)


def test_dbm_recipe_needs_two_pretraining_configs():
    d = config_to_dict(DBMMnistConfig())
    d["recipe"]["pretrain"] = d["recipe"]["pretrain"][:1]
    with pytest.raises(ValueError, match="recipe.pretrain must hold 2 entries, got 1"):
        dbm_mnist_config_from_dict(d)


def test_overrides():
    cfg = RBMPatchesConfig()
    new = with_overrides(cfg, ["training.paper.epochs=5", "seeds=[7, 8]",
                                              "data_source=photos", "sampling.thin=3",
                                              "training.extra.lr_start=0.2"])
    assert new.training["paper"] == dataclasses.replace(PAPER_RBM, epochs=5)
    assert new.training["extra"].lr_start == 0.2 and new.seeds == (7, 8)
    assert new.data_source == "photos" and new.sampling.thin == 3
    dbm = with_overrides(DBMMnistConfig(), ["recipe.pretrain.1.epochs=2",
                                            "recipe.joint.mean_field.tol=0.01"])
    assert dbm.recipe.pretrain[1].epochs == 2 and dbm.recipe.pretrain[0].epochs == 10
    assert dbm.recipe.joint.mean_field.tol == 0.01 and dbm.recipe_name == "custom"


@pytest.mark.parametrize("item, message", [
    ("epochs=5", "--set epochs: unknown setting; did you mean 'training.paper.epochs'?"),
    ("seeds", "expected KEY=VALUE"),
    ("seeds.x=1", "seeds is a list of 5; index it with 0..4"),
    ("n_hidden.x=1", "n_hidden is not a table"),
    ("training.paper.epochs=many", "training.paper.epochs must be an integer, got 'many'"),
])
def test_override_errors(item, message):
    with pytest.raises(ValueError, match=None) as e:
        with_overrides(RBMPatchesConfig(), [item])
    assert message in str(e.value)


def test_apply_overrides_leaves_input_alone():
    d = {"a": {"b": 1}}
    assert apply_overrides(d, ["a.b=2"]) == {"a": {"b": 2}} and d == {"a": {"b": 1}}


def test_cli_configs_and_config_errors(tmp_path, capsys):
    assert main(["configs"]) == 0
    assert "rbm-paper" in capsys.readouterr().out
    assert main(["configs", "dbm-quick"]) == 0
    assert 'experiment = "dbm-mnist"' in capsys.readouterr().out
    for args, message in [
        (["rbm-patches", "--config", "dbm-quick"], "describes the 'dbm-mnist' experiment"),
        (["rbm-patches", "--config", "rbm-papr"], "did you mean 'rbm-paper'?"),
        (["rbm-patches", "--config", str(tmp_path / "x.toml")], "config file not found"),
        (["rbm-patches", "--set", "n_hiden=3"], "did you mean 'n_hidden'?"),
        (["rbm-patches", "--resume", str(tmp_path), "--set", "seeds=[1]"], "drop --set"),
        (["rbm-patches", "--plugin", "no_such_module_xyz"], "plugin 'no_such_module_xyz'"),
    ]:
        out = [] if "--resume" in args else ["--out", str(tmp_path / "r")]
        assert main([*args, *out, "--no-progress"]) == 2
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "r").exists()


PLUGIN = textwrap.dedent('''
    import torch
    from boltzprune.pruning.criteria import register_criterion

    @register_criterion("{name}")
    def _smallest_index_first(ctx):
        """Keeps the weights of the last visible units: a deterministic toy criterion."""
        n_v, n_h = ctx.rbm.W.shape
        return torch.arange(n_v, dtype=torch.float32)[:, None].expand(n_v, n_h).clone()
''')


def test_plugin_file_criterion_runs_in_worker_processes(tmp_path):
    plugin = tmp_path / "my_criteria.py"
    plugin.write_text(PLUGIN.format(name="by_index_file"))
    out = tmp_path / "run"
    # 2 seeds on 2 workers: the spawned processes must import the plugin themselves
    try:
        code = main(["rbm-patches", "--seeds", "0", "1", "--schedules", "authors_code",
                     "--criteria", "by_index_file", "random", "--iterations", "1",
                     "--n-patches", "1000", "--fi-samples", "200", "--chains", "50",
                     "--burn-in", "5", "--thin", "2", "--workers", "2", "--no-progress",
                     "--plugin", str(plugin), "--out", str(out)])
    finally:  # leave the registry as other tests expect it
        registry.unregister("by_index_file")
    assert code == 0
    stored = json.loads((out / "config.json").read_text())
    assert stored["plugins"] == [str(plugin)]
    from boltzprune.io import load_rbm

    pruned = load_rbm(out / "authors_code" / "seed1" / "by_index_file" /
                      "iter1_pruned.safetensors")[0]
    # half the weights cut, lowest index first: the first rows of W are gone
    assert pruned.mask[:6].sum() == 0 and pruned.mask[7:].all()


def test_entry_point_criterion(tmp_path):
    """An installed package's entry point in the boltzprune.criteria group is found by name,
    listed, and used by the CLI (a dist-info folder on sys.path stands in for a package)."""
    (tmp_path / "ep_criteria.py").write_text(PLUGIN.format(name="unused_name").replace(
        '@register_criterion("unused_name")\n', "") .replace("_smallest_index_first", "crit"))
    dist = tmp_path / "ep_criteria-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: ep-criteria\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[boltzprune.criteria]\nby_index_ep = "
                                           "ep_criteria:crit\nbroken_ep = ep_criteria:nothing\n")
    code = textwrap.dedent(f'''
        import sys
        sys.path.insert(0, {str(tmp_path)!r})
        from boltzprune.pruning.criteria import available_criteria, get_criterion
        from boltzprune.app.cli import main
        assert "by_index_ep" in available_criteria()
        assert callable(get_criterion("by_index_ep"))
        try:
            get_criterion("broken_ep")
        except ValueError as e:
            print("BROKEN:", e)
        sys.exit(main(["rbm-patches", "--seeds", "0", "--schedules", "authors_code",
                       "--criteria", "by_index_ep", "--iterations", "1", "--n-patches",
                       "1000", "--fi-samples", "200", "--chains", "50", "--burn-in", "5",
                       "--thin", "2", "--workers", "1", "--no-progress", "--out",
                       {str(tmp_path / "run")!r}]))
    ''')
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=300, env={**os.environ, "PYTHONPATH": str(tmp_path)})
    assert r.returncode == 0, r.stderr
    assert "BROKEN: criterion 'broken_ep': entry point 'ep_criteria:nothing' failed" in r.stdout
    assert (tmp_path / "run" / "authors_code" / "seed0" / "by_index_ep").is_dir()
    assert "by_index_ep" not in available_criteria()  # this process never saw the package
    with pytest.raises(ValueError, match="unknown criterion 'by_index_ep'.*--plugin"):
        get_criterion("by_index_ep")
    assert torch.is_tensor(torch.zeros(1))


def test_partial_tables_keep_the_experiments_defaults():
    """A table with some keys changes those keys only; the rest keep the experiment's
    default (not the nested class's own default)."""
    cfg = rbm_patches_config_from_dict({"sampling": {"thin": 5},
                                        "training": {"authors_code": {"epochs": 1}}})
    assert cfg.sampling == dataclasses.replace(RBMPatchesConfig().sampling, thin=5)
    assert cfg.sampling.n_samples == 20_000  # the experiment's, not SamplingConfig's 90,000
    assert cfg.training == {"authors_code": dataclasses.replace(AUTHORS_CODE_RBM, epochs=1)}
    dbm = dbm_mnist_config_from_dict({"recipe": {"joint": {"epochs": 3}}})
    quick = dbm_recipe("quick")
    assert dbm.recipe == dataclasses.replace(
        quick, joint=dataclasses.replace(quick.joint, epochs=3))
    two = dbm_mnist_config_from_dict({"recipe": {"pretrain": [{"epochs": 1}, {"lr_start": 1.0}]}})
    assert two.recipe.pretrain[0] == dataclasses.replace(quick.pretrain[0], epochs=1)
    assert two.recipe.pretrain[1] == dataclasses.replace(quick.pretrain[1], lr_start=1.0)
    # config files and run directories of earlier versions name the recipe "schedule"
    old = dbm_mnist_config_from_dict({"schedule": {"joint": {"epochs": 3}}})
    assert old == dbm


def test_review_fixes(tmp_path, capsys, monkeypatch):
    """--config with a --set that completes it, bad devices from any source, duplicate
    criteria, a folder named like a preset, relative plugin paths in a file."""
    cfg = config_from_source("dbm-mnist", "dbm-paper", ["idx_dir=/data/mnist"])
    assert cfg.idx_dir == "/data/mnist"
    code = main(["dbm-mnist", "--config", "dbm-paper", "--set", "idx_dir=/nonexistent",
                 "--out", str(tmp_path / "d"), "--no-progress"])
    assert code == 2 and "/nonexistent: no such folder" in capsys.readouterr().err
    for dev, msg in (("gpu", "not a torch device: 'gpu'"), ("cuda:0", "torch sees no CUDA")):
        if msg.startswith("torch sees") and torch.cuda.is_available():
            continue
        assert main(["rbm-patches", "--set", f"device={dev}", "--out", str(tmp_path / "r"),
                     "--no-progress"]) == 2
        err = capsys.readouterr().err
        assert msg in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "r").exists()
    with pytest.raises(ValueError, match="criteria must be distinct"):
        rbm_patches_config_from_dict({"criteria": ["variance", "variance"]})
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rbm-demo").mkdir()
    assert config_from_source("rbm-patches", "rbm-demo").seeds == (0, 1)
    sub = tmp_path / "cfgs"
    sub.mkdir()
    (sub / "crit.py").write_text(PLUGIN.format(name="by_index_rel"))
    (sub / "run.toml").write_text('plugins = ["crit.py"]\ncriteria = ["by_index_rel"]\n')
    loaded = config_from_source("rbm-patches", str(sub / "run.toml"))
    assert loaded.plugins == (str((sub / "crit.py").resolve()),)
