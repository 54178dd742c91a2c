"""The tutorial runs top to bottom after the README's Quick start without a refusal.

The default run checks, without computing anything, where each of the tutorial's commands
would write: a command that reuses a run folder must hold the same settings as the run that
is there (or resume it), as the command line itself decides. `pytest -m slow` runs every
command for real, in order, in one folder, after the Quick start's own command (about 20
minutes on 2 cores).
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from boltzprune.app.cli import _experiment_config, parse_args
from boltzprune.app.configio import config_to_dict
from boltzprune.app.experiments import EXPERIMENTS
from boltzprune.app.runs import default_run_dir

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL = ROOT / "docs" / "tutorial.md"
FENCE = re.compile(r"^```([A-Za-z0-9_-]*)[^\n]*\n(.*?)^```\s*$", re.S | re.M)


def quick_start() -> list[str]:
    """The argv of the Quick start's first command, after `boltzprune`."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("## Quick start", 1)[1].split("```bash\n", 1)[1].split("```", 1)[0]
    first = block.splitlines()[0]
    words = shlex.split(first.split("&&")[-1])
    return words[1:]


def tutorial_steps() -> list[tuple[str, object]]:
    """("run", argv) for each boltzprune command of the tutorial's shell blocks and
    ("file", (name, text)) for each TOML block the text asks to save, in page order."""
    text = TUTORIAL.read_text(encoding="utf-8")
    steps: list[tuple[str, object]] = []
    for m in FENCE.finditer(text):
        lang, body = m.group(1), m.group(2)
        if lang == "toml":
            before = text[:m.start()].rsplit("\n\n", 1)[-1]
            saved = re.search(r"Save this as `([^`]+)`", before)
            if saved:
                steps.append(("file", (saved.group(1), body)))
        if lang != "bash":
            continue
        for line in body.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if words and words[0].endswith("boltzprune"):
                steps.append(("run", words[1:]))
    return steps


def _folder(argv: list[str]) -> tuple[Path, dict, str] | None:
    """(run folder, resolved config, experiment) of an experiment command; None for other
    commands. --resume names its folder and takes the stored config."""
    if not argv or argv[0] not in EXPERIMENTS:
        return None
    args = parse_args(argv)
    if args.resume:
        return Path(args.resume), {}, argv[0]
    exp, cfg, out, label = _experiment_config(args)
    config = config_to_dict(cfg)
    return (Path(out) if out else default_run_dir(label, config)), config, exp.name


def test_tutorial_never_reuses_a_folder_with_other_settings():
    steps = [("run", quick_start()), *tutorial_steps()]
    assert sum(kind == "run" for kind, _ in steps) >= 8
    held: dict[Path, tuple[dict, str]] = {}
    for kind, what in steps:
        if kind != "run":
            continue
        found = _folder(what)
        if found is None:
            continue
        path, config, experiment = found
        if what and "--resume" in what:
            assert path in held and held[path][1] == experiment, \
                f"`boltzprune {' '.join(what)}`: nothing of {experiment} ran in {path} before"
            continue
        if path in held:
            assert held[path] == (config, experiment), \
                f"`boltzprune {' '.join(what)}` would be refused: {path} holds another run"
        held[path] = (config, experiment)


def test_the_check_sees_a_collision():
    """The tutorial as it was: rbm-demo into the Quick start's runs/demo is caught."""
    a = _folder(quick_start())
    b = _folder(["rbm-patches", "--config", "rbm-demo", "--out", "runs/demo"])
    assert a[0] == b[0] and a[1] != b[1]


@pytest.mark.slow
def test_tutorial_runs_after_the_quick_start(tmp_path):
    def run(argv: list[str]) -> None:
        r = subprocess.run([sys.executable, "-m", "boltzprune", *argv], cwd=tmp_path,
                           capture_output=True, text=True, timeout=1800, check=False)
        assert r.returncode == 0, f"boltzprune {' '.join(argv)}:\n{r.stderr[-3000:]}"
        assert "boltzprune: error" not in r.stderr, r.stderr[-3000:]

    run([*quick_start(), "--no-progress"])
    for kind, what in tutorial_steps():
        if kind == "file":
            name, body = what
            (tmp_path / name).write_text(body, encoding="utf-8")
        else:
            run(what)
