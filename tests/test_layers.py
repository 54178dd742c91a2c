"""The package's layers import downward only: walk every module's imports (top-level and
inside functions) and fail on any edge to a layer above.

The order, lowest first, written once here:

    errors, _validate, seeding  <  models  <  io, training, sampling  <  fisher, evaluate,
    data  <  pruning  <  estimator, package root  <  app, __main__ (python -m boltzprune)

A module may import its own layer and any lower one. ``boltzprune/__init__.py`` (the
package's face) sits below the application; the application (``boltzprune.app``) may import
everything and nothing imports it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "boltzprune"

LAYERS: list[set[str]] = [
    {"errors", "_validate", "seeding", "_lazy"},
    {"models"},
    {"io", "training", "sampling"},
    {"fisher", "evaluate", "data"},
    {"pruning"},
    {"estimator", "__init__"},
    {"app", "__main__"},
]
RANK = {name: i for i, layer in enumerate(LAYERS) for name in layer}


def _unit(module: str) -> str | None:
    """The layer unit of a dotted module name inside the package (its first component)."""
    parts = module.split(".")
    if parts[0] != "boltzprune":
        return None
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module) for every import in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    package = list(rel.parts[:-1])
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            out.append((node.lineno, mod))
            out += [(node.lineno, f"{mod}.{a.name}") for a in node.names
                    if _unit(f"{mod}.{a.name}") not in (None, _unit(mod))]
    return out


def _module_unit(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def test_every_unit_has_a_layer():
    units = {_module_unit(p) for p in PACKAGE.rglob("*.py")}
    assert units <= set(RANK), f"place these in LAYERS: {sorted(units - set(RANK))}"


def upward_edges() -> list[str]:
    edges = []
    for path in sorted(PACKAGE.rglob("*.py")):
        here = _module_unit(path)
        for line, module in _imports(path):
            there = _unit(module)
            if there is None or there == here or there not in RANK:
                continue
            if RANK[there] > RANK[here]:
                edges.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {module} "
                             f"({here} -> {there})")
    return edges


def test_no_upward_imports():
    edges = upward_edges()
    assert not edges, "imports that run up the layers:\n" + "\n".join(edges)


@pytest.mark.parametrize("source, expected", [
    ("from boltzprune.app.runs import run_experiment\n", "pruning -> app"),
    ("import boltzprune.estimator\n", "pruning -> estimator"),
])
def test_the_walk_finds_an_upward_edge(tmp_path, monkeypatch, source, expected):
    """The check can fail: a pruning module importing the application is reported."""
    fake = tmp_path / "boltzprune"
    (fake / "pruning").mkdir(parents=True)
    (fake / "pruning" / "bad.py").write_text(source)
    monkeypatch.setattr(f"{__name__}.PACKAGE", fake)
    assert any(expected in e for e in upward_edges())
