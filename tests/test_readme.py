"""The README's Python examples run as written."""

import re
from pathlib import Path

import pytest

from boltzprune.pruning.criteria import _REGISTRY

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
        _REGISTRY.pop("hebbian", None)
