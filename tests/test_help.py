"""The command line's help texts: no formatting left over, and every example they show is a
command line that parses for that command and builds a valid config."""

from __future__ import annotations

import argparse
import re
import shlex

import pytest

from boltzprune.app.cli import _experiment_config, _parser, parse_args
from boltzprune.app.experiments import EXPERIMENTS

SET_EXAMPLE = re.compile(r"--set\s+(?:'([^']*)'|([^\s'`),;]+))")
COMMAND_EXAMPLE = re.compile(r"`boltzprune ([^`]+)`")


def _helps() -> dict[str, str]:
    """The help text of the program and of every command, by command ("" for the
    program), as argparse prints it at 200 columns (no wrapping inside an example)."""
    import os

    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "200"
    try:
        parser = _parser()
        action = next(a for a in parser._actions
                      if isinstance(a, argparse._SubParsersAction))
        out = {"": parser.format_help()}
        out.update({name: sub.format_help() for name, sub in action.choices.items()})
    finally:
        if old is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = old
    return out


HELPS = _helps()


def test_every_command_has_help():
    assert set(HELPS) >= {"", *EXPERIMENTS, "sweep", "configs", "patch-stats"}


@pytest.mark.parametrize("command", sorted(HELPS))
def test_no_formatting_left_over(command):
    text = HELPS[command]
    assert "%%" not in text and "%(" not in text, text


def _set_examples(command: str) -> list[str]:
    """The --set examples of a command's help; the KEY=VALUE placeholder is not one."""
    found = [a or b for a, b in SET_EXAMPLE.findall(HELPS[command])]
    return [ex for ex in found if "=" in ex and not ex.partition("=")[0].isupper()]


@pytest.mark.parametrize("command", sorted(EXPERIMENTS))
def test_set_examples_build_a_config(command, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    examples = _set_examples(command)
    assert examples, f"{command} --help shows no --set example"
    extra = ["data.npy"] if command == "prune" else []
    if extra:
        import numpy as np

        np.save(tmp_path / "data.npy", np.eye(4, dtype=np.uint8))
    for ex in examples:
        args = parse_args([command, *extra, "--set", ex])
        _experiment_config(args)  # raises BoltzpruneError where the example is wrong


def test_command_examples_parse_and_build():
    seen = 0
    for text in HELPS.values():
        for example in COMMAND_EXAMPLE.findall(text):
            argv = shlex.split(example)
            args = parse_args(argv)  # SystemExit where the example does not parse
            if argv[0] in EXPERIMENTS and not args.resume:
                _experiment_config(args)
            seen += 1
    assert seen >= 2


def test_the_checks_catch_a_wrong_example():
    """A --set key that dbm-mnist does not have is refused, so the test above can fail."""
    from boltzprune.errors import BoltzpruneError

    with pytest.raises(BoltzpruneError):
        _experiment_config(parse_args(["dbm-mnist", "--set", "training.paper.epochs=5"]))
