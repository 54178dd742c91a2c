"""Start-up: the command line answers without importing torch. Building the parser (every
command's --help, ``configs``, ``--version``), building each experiment's config on the CPU
and rerunning a finished run load no torch; the lazy package namespaces still resolve
every public name. Each check runs in a fresh interpreter (this one has torch loaded)."""

from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys
import textwrap

import pytest
import torch

import boltzprune
from boltzprune.app.experiments import EXPERIMENTS


def _fresh(code: str, cwd=None) -> str:
    """stdout of ``code`` run in a new interpreter (fails the test on a non-zero exit)."""
    r = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                       text=True, cwd=cwd, timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout


def _torch_loaded_after(code: str, cwd=None) -> bool:
    code = textwrap.dedent(code) + "\nimport sys\nprint('TORCH', 'torch' in sys.modules)\n"
    out = _fresh(code, cwd)
    return out.strip().splitlines()[-1] == "TORCH True"


COMMANDS = [*EXPERIMENTS, "sweep", "configs", "patch-stats"]


def test_parser_and_help_of_every_command_load_no_torch():
    code = f"""
    import contextlib, io
    from boltzprune.app.cli import _parser, main
    _parser()
    for argv in [["--help"], ["--version"], *([c, "--help"] for c in {COMMANDS!r})]:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
            main(argv)
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["configs"]) == 0
    """
    assert not _torch_loaded_after(code)


def test_configs_of_every_experiment_on_the_cpu_load_no_torch(tmp_path):
    """The default config of each experiment, built as the command line builds it (flags,
    a shipped --config), with device cpu."""
    code = """
    from boltzprune.app.cli import _experiment_config, parse_args
    from boltzprune.app.experiments import EXPERIMENTS
    for name, e in EXPERIMENTS.items():
        assert e.config_type().device == "cpu"
        _experiment_config(parse_args([name, *(["data.npy"] if name == "prune" else [])]))
    _experiment_config(parse_args(["rbm-patches", "--config", "rbm-demo"]))
    _experiment_config(parse_args(["rbm-patches", "--device", "cpu", "--set", "iterations=1"]))
    """
    assert not _torch_loaded_after(code, cwd=tmp_path)


def test_rerun_of_a_finished_run_loads_no_torch(tmp_path):
    """A rerun of a finished run reads config.json and the report: it answers without
    torch (the run directory is made up here; the real run's is checked in test_runs)."""
    from boltzprune.app.cli import _experiment_config, parse_args
    from boltzprune.app.configio import config_to_dict

    argv = ["rbm-patches", "--seeds", "0", "--criteria", "random", "--iterations", "1",
            "--no-progress", "--out", str(tmp_path / "run")]
    _, cfg, _, _ = _experiment_config(parse_args(argv))
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(json.dumps(config_to_dict(cfg), default=str))
    (run / "report.md").write_text("# Report\n\nWall time 1 s\n")
    (run / "report.html").write_text("<html></html>")
    code = f"""
    from boltzprune.app.cli import main
    assert main({argv!r}) == 0
    """
    assert not _torch_loaded_after(code)


def test_import_boltzprune_is_lazy_and_resolves_its_names():
    code = """
    import sys
    import boltzprune as bp
    assert "torch" not in sys.modules, "import boltzprune loaded torch"
    assert bp.__version__
    cfg = bp.TrainConfig(epochs=3)  # the configs need no torch
    assert bp.SamplingConfig().n_samples and bp.PAPER_RBM.epochs == 2
    from boltzprune.models import MeanFieldConfig
    from boltzprune.training.config import DBMTrainConfig
    from boltzprune.pruning import registry
    assert registry.names() and MeanFieldConfig().max_iter
    assert "torch" not in sys.modules, "a config loaded torch"
    assert "init_rbm" in dir(bp) and "PrunableRBM" in dir(bp)
    assert bp.init_rbm.__module__ == "boltzprune.models.rbm"
    assert "torch" in sys.modules
    assert bp.models.RBM is bp.RBM and bp.training.dbm.DBMTrainConfig is DBMTrainConfig
    from boltzprune.training.cd import TrainConfig
    assert TrainConfig is bp.TrainConfig
    try:
        bp.no_such_name
    except AttributeError as e:
        assert "no_such_name" in str(e)
    else:
        raise AssertionError("bp.no_such_name resolved")
    print("ok")
    """
    assert _fresh(code).strip() == "ok"


def _packages() -> list[str]:
    out = ["boltzprune"]
    for m in pkgutil.walk_packages(boltzprune.__path__, "boltzprune."):
        if m.ispkg:
            out.append(m.name)
    return out


@pytest.mark.parametrize("package", _packages())
def test_every_name_in_all_resolves(package):
    """No lazy entry is broken: each name of ``__all__`` resolves and is listed by dir(),
    and each lazily exported name is in ``__all__``."""
    mod = importlib.import_module(package)
    names = getattr(mod, "__all__", [])
    for name in names:
        assert getattr(mod, name) is not None or name == "__version__", name
        assert name in dir(mod), name
    lazy = mod.__dict__.get("__getattr__")
    if lazy is not None:
        extra = {n for n in dir(mod) if not n.startswith("_")} - set(names) - {
            n for n, v in vars(mod).items() if type(v).__name__ == "module"} - {
            "lazy_exports"}
        assert not extra, f"{package}: exported lazily but not in __all__: {sorted(extra)}"


def test_builtin_criteria_names_without_torch_equal_the_implementations():
    """The names the registry knows without torch (the command line's --criteria) are the
    criteria it computes, and each computes on an RBM and a DBM (their imports are lazy)."""
    out = _fresh("""
    import json, sys
    from boltzprune.pruning.criteria import BUILTIN_CRITERIA, registry
    names = registry.names()
    registry.check_names(["variance", "eigenvector"])
    print(json.dumps([list(BUILTIN_CRITERIA), names, "torch" in sys.modules]))
    """)
    builtin, names, torch_loaded = json.loads(out)
    assert not torch_loaded
    assert builtin == names[:len(builtin)]

    from boltzprune.models import init_dbm, init_rbm
    from boltzprune.pruning.criteria import registry

    assert set(builtin) == set(registry._entries)  # this process: nothing registered yet
    g = torch.Generator().manual_seed(0)
    rbm = init_rbm(4, 3, generator=g)
    dbm = init_dbm([4, 3, 2], generator=g)
    for model in (rbm, dbm):
        samples = [(torch.rand(50, n, generator=g) > 0.5).float() for n in
                   ([4, 3] if model is rbm else [4, 3, 2])]
        for name in builtin:
            imp = registry.importance(name, model, samples, g)
            shapes = [tuple(s.shape) for s in imp]
            assert shapes == ([(4, 3)] if model is rbm else [(4, 3), (3, 2)]), name


def test_check_device_name_cpu_loads_no_torch():
    code = """
    from boltzprune._validate import check_device_name
    assert check_device_name("device", "cpu") == "cpu"
    """
    assert not _torch_loaded_after(code)
    from boltzprune._validate import check_device_name
    from boltzprune.errors import InvalidInputError

    assert check_device_name("device", "auto") in ("cpu", "cuda")
    with pytest.raises(InvalidInputError, match="not a torch device"):
        check_device_name("device", "gpu0")
