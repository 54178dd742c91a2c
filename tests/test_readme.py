"""The README's Python examples run as written."""

import re
from pathlib import Path

import pytest

from boltzprune.pruning.criteria import registry

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_readme_has_python_examples():
    assert len(BLOCKS) >= 2


@pytest.mark.parametrize("i", range(len(BLOCKS)))
def test_readme_example_runs(i, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    try:
        exec(compile(BLOCKS[i], f"README.md block {i}", "exec"), {"__name__": "readme"})
    finally:
        registry.unregister("hebbian")


TOML_BLOCKS = re.findall(r"```toml\n(.*?)```", README.read_text(), flags=re.S)
BASH_BLOCKS = re.findall(r"```bash\n(.*?)```", README.read_text(), flags=re.S)


@pytest.mark.parametrize("i", range(len(TOML_BLOCKS)))
def test_readme_toml_examples_are_valid(i, tmp_path):
    """Each TOML example is a valid experiment config or sweep file."""
    from boltzprune.app.configio import config_from_source
    from boltzprune.app.rbm_patches.config import RBMPatchesConfig
    from boltzprune.app.sweep.run import plan_points, read_sweep_config

    path = tmp_path / "example.toml"
    path.write_text(TOML_BLOCKS[i])
    if "[grid]" in TOML_BLOCKS[i]:
        assert plan_points(read_sweep_config(path))
    else:
        assert config_from_source("rbm-patches", RBMPatchesConfig, str(path))


def test_readme_commands_parse():
    """Every boltzprune command in the README's shell blocks parses, and its --config
    configs and --set overrides give a valid config."""
    import shlex

    from boltzprune.app.cli import _parser
    from boltzprune.app.configio import config_from_source
    from boltzprune.app.experiments import EXPERIMENTS

    commands = [ln.split("boltzprune ", 1)[1] for b in BASH_BLOCKS for ln in b.splitlines()
                if "boltzprune " in ln and not ln.lstrip().startswith("#")]
    assert len(commands) >= 3
    for c in commands:
        args = _parser().parse_args(shlex.split(c.split("&&")[0], comments=True))
        if getattr(args, "config", None) and args.command != "sweep":
            config_from_source(args.command, EXPERIMENTS[args.command].config_type,
                               args.config, args.overrides)
