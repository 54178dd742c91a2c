"""The user docs in docs/ stay true to the code.

- every ```python block of each page runs, in order, in one namespace per page, in a
  temporary working directory;
- every `boltzprune COMMAND` in a shell block names a real subcommand, every `--option` it
  shows exists in that subcommand, and the command line parses; a shipped config given to
  --config yields a valid config with the command's --set overrides;
- every shipped config a page names ships with the package;
- the TOML examples are valid configs or sweep files;
- relative links between the pages point to files and headings that exist;
- the API reference builds with pdoc (skipped when pdoc is not installed).

docs/errors.md is generated elsewhere (and names bad input on purpose), so it is left out.
"""

from __future__ import annotations

import importlib.util
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(p for p in DOCS.glob("*.md") if p.name != "errors.md")
SHELL_LANGS = ("bash", "sh", "shell", "console")
FENCE = re.compile(r"^```([A-Za-z0-9_-]*)[^\n]*\n(.*?)^```\s*$", re.S | re.M)


def blocks(page: Path, *langs: str) -> list[tuple[int, str]]:
    """(line number, body) of the fenced blocks of ``page`` in one of ``langs``."""
    text = page.read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start()) + 1, m.group(2)) for m in FENCE.finditer(text)
            if m.group(1) in langs]


def prose(page: Path) -> str:
    """The page without its fenced blocks."""
    return FENCE.sub("", page.read_text(encoding="utf-8"))


def test_the_pages_exist():
    names = {p.name for p in PAGES}
    assert {"index.md", "tutorial.md", "criteria.md", "configuration.md", "sweeps.md"} <= names
    assert blocks(DOCS / "tutorial.md", "python") and blocks(DOCS / "criteria.md", "python")


# ---------------------------------------------------------------------------- Python blocks

PY_PAGES = [p for p in PAGES if blocks(p, "python")]


@pytest.mark.parametrize("page", PY_PAGES, ids=[p.name for p in PY_PAGES])
def test_python_blocks_run(page, tmp_path, monkeypatch):
    """All blocks of a page, in order, in one namespace (as a reader would run them)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from boltzprune.pruning.criteria import registry

    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": f"docs_{page.stem}"}
    try:
        with registry.scoped():  # leave no criterion or plugin behind for other tests
            for line, code in blocks(page, "python"):
                exec(compile(code, f"{page.relative_to(ROOT)} (block at line {line})",
                             "exec"), namespace)
    finally:
        plt.close("all")


# ---------------------------------------------------------------------------- shell blocks


def _subparsers():
    import argparse

    from boltzprune.app.cli import _parser

    parser = _parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return parser, action.choices


def _options(sub) -> set[str]:
    return {s for a in sub._actions for s in a.option_strings}


def shell_commands() -> list[tuple[str, int, list[str]]]:
    """(page, line, argv after `boltzprune`) for every boltzprune command in a shell block.
    Continuation lines are joined; pipes, `&&`, `;`, `&` and redirections end a command."""
    found = []
    for page in PAGES:
        for line, body in blocks(page, *SHELL_LANGS):
            for text in body.replace("\\\n", " ").splitlines():
                if text.lstrip().startswith("#"):
                    continue
                for part in re.split(r"&&|\|\||;|\||\d?>>?|<|&", text):
                    try:
                        words = shlex.split(part, comments=True)
                    except ValueError as e:
                        raise AssertionError(
                            f"{page.name}:{line}: cannot split {part!r}: {e}") from None
                    for i, w in enumerate(words):
                        if w == "boltzprune" or w.endswith("/boltzprune"):
                            found.append((page.name, line, words[i + 1:]))
                            break
    return found


COMMANDS = shell_commands()


def test_docs_show_commands():
    shown = {argv[0] for _, _, argv in COMMANDS if argv}
    assert {"rbm-patches", "dbm-mnist", "sweep", "configs"} <= shown


@pytest.mark.parametrize("page,line,argv", COMMANDS,
                         ids=[f"{p}:{n}:{' '.join(a[:1])}" for p, n, a in COMMANDS])
def test_shell_command_is_real(page, line, argv):
    from boltzprune.app.configio import config_from_source, shipped_names
    from boltzprune.app.experiments import EXPERIMENTS

    parser, subs = _subparsers()
    where = f"{page}:{line}: boltzprune {' '.join(argv)}"
    assert argv, f"{where}: no subcommand"
    if argv == ["--version"]:
        return
    assert argv[0] in subs, f"{where}: {argv[0]!r} is not a subcommand ({', '.join(subs)})"
    known = _options(subs[argv[0]])
    for w in argv[1:]:
        if w.startswith("--"):
            assert w.split("=", 1)[0] in known, f"{where}: {w} is not an option of {argv[0]}"
    if "--device" not in argv:  # `--device cuda` only parses where torch sees a GPU
        args = parser.parse_args(argv)
        if argv[0] == "configs" and args.name:
            assert args.name in shipped_names(), f"{where}: no shipped config {args.name!r}"
        source = getattr(args, "config", None)
        if argv[0] in EXPERIMENTS and source and not args.plugin and not args.resume \
                and source in shipped_names():
            config_from_source(argv[0], EXPERIMENTS[argv[0]].config_type, source,
                               args.overrides)


# ---------------------------------------------------------------------------- shipped configs

SHIPPED_LIKE = re.compile(r"^(?:rbm|dbm)-[a-z][a-z-]*[a-z]$")
COMMAND_NAMES = {"rbm-patches", "dbm-mnist"}


def named_configs() -> list[tuple[str, str]]:
    """(page, name) for every shipped config a page names: in `code` in the prose, after
    --config or `configs` in a command, as `base` of a sweep file."""
    out = []
    for page in PAGES:
        for name in re.findall(r"`([^`\s]+)`", prose(page)):
            if SHIPPED_LIKE.match(name) and name not in COMMAND_NAMES:
                out.append((page.name, name))
        for _, body in blocks(page, *SHELL_LANGS, "text"):
            for name in re.findall(r"(?:--config|(?<![-\w])configs)\s+([A-Za-z0-9_.-]+)",
                                   body):
                if not name.endswith(".toml") and name not in ("NAME", "FILE"):
                    out.append((page.name, name))
        for _, body in blocks(page, "toml"):
            out += [(page.name, n) for n in re.findall(r'^base\s*=\s*"([^"/]+)"', body, re.M)
                    if not n.endswith(".toml")]
    return out


def test_named_shipped_configs_exist():
    from boltzprune.app.configio import shipped_names

    named = named_configs()
    assert {n for _, n in named} >= {"rbm-demo", "rbm-paper", "dbm-quick", "dbm-paper"}
    missing = [(p, n) for p, n in named if n not in shipped_names()]
    assert not missing, f"docs name shipped configs that do not ship: {missing}"


def test_configuration_page_lists_every_shipped_config():
    from boltzprune.app.configio import shipped_names

    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    assert all(f"`{n}`" in text for n in shipped_names())


# ---------------------------------------------------------------------------- TOML examples

TOMLS = [(p, n, b) for p in PAGES for n, b in blocks(p, "toml")]


@pytest.mark.parametrize("page,line,body", TOMLS, ids=[f"{p.name}:{n}" for p, n, _ in TOMLS])
def test_toml_examples_are_valid(page, line, body, tmp_path):
    """Each TOML example parses; configs and sweep files (except those naming plugin files
    that exist only on the reader's machine) load and check."""
    from boltzprune.app.configio import config_from_source
    from boltzprune.app.experiments import EXPERIMENTS
    from boltzprune.app.sweep.run import plan_points, read_sweep_config

    data = tomllib.loads(body)
    if "plugins" in body or "experiment" not in data:
        return
    path = tmp_path / "example.toml"
    path.write_text(body, encoding="utf-8")
    if "grid" in data:
        assert plan_points(read_sweep_config(path))
    else:
        experiment = data["experiment"]
        assert config_from_source(experiment, EXPERIMENTS[experiment].config_type, str(path))


# ---------------------------------------------------------------------------- links


def _slug(heading: str) -> str:
    text = re.sub(r"[`*]", "", heading.strip().lower())
    return re.sub(r"\s", "-", re.sub(r"[^\w\s-]", "", text))


def test_links_between_pages_resolve():
    anchors = {p.name: {_slug(h) for h in re.findall(r"^#+\s+(.*)$", prose(p), re.M)}
               for p in DOCS.glob("*.md")}
    bad = []
    for page in PAGES:
        for target in re.findall(r"\]\(([^)\s]+)\)", prose(page)):
            if re.match(r"[a-z]+:", target):
                continue
            file, _, anchor = target.partition("#")
            file = file or page.name
            if not (DOCS / file).exists():
                bad.append(f"{page.name}: {target} (no such file)")
            elif anchor and file.endswith(".md") and anchor not in anchors.get(file, set()):
                bad.append(f"{page.name}: {target} (no such heading)")
    assert not bad, bad


# ---------------------------------------------------------------------------- API reference


def _build_api_module():
    spec = importlib.util.spec_from_file_location("build_api", DOCS / "build_api.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_api_reference_lists_the_modules():
    """The reference has a page for every library module (none stale, none missing) and,
    of the application, for the modules in APP_MODULES only."""
    import importlib.util

    api = _build_api_module()
    names = api.public_modules()
    assert len(names) == len(set(names))
    package = ROOT / "boltzprune"
    expected = set()
    for path in package.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        parts = parts[:-1] if parts[-1] == "__init__" else parts
        name = ".".join(parts)
        if parts[:2] != ("boltzprune", "app") and not any(p.startswith("_") for p in parts):
            expected.add(name)
    assert {n for n in names if not n.startswith("boltzprune.app")} == expected
    app = [n for n in names if n.startswith("boltzprune.app")]
    assert app == list(api.APP_MODULES)
    assert "boltzprune.app.cli" not in app and "boltzprune.app.html" not in app
    for name in app:
        assert importlib.util.find_spec(name) is not None, f"no module {name}"
    assert {"boltzprune.pruning.pipeline", "boltzprune.pruning.units", "boltzprune.errors",
            "boltzprune.models.enumerate", "boltzprune.sampling.gibbs",
            "boltzprune.data.arrays"} <= set(names)


def test_api_reference_builds(tmp_path):
    pytest.importorskip("pdoc", reason="pdoc is not installed (pip install pdoc): the API "
                                       "reference cannot be built")
    out = tmp_path / "api"
    r = subprocess.run([sys.executable, str(DOCS / "build_api.py"), str(out), "--strict"],
                       capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert r.returncode == 0, r.stderr  # --strict: pdoc's warnings fail the build too
    assert (out / "index.html").is_file()
    for name in _build_api_module().public_modules():
        assert (out / f"{name.replace('.', '/')}.html").is_file(), f"no page for {name}"
    criteria = (out / "boltzprune" / "pruning" / "criteria.html").read_text(encoding="utf-8")
    assert all(n in criteria for n in ("CriteriaRegistry", "register_criterion",
                                        "ImportanceContext", "ModelContext"))
    top = (out / "boltzprune.html").read_text(encoding="utf-8")
    assert "prune_retrain" in top and "PruneConfig" in top
    assert 'href="boltzprune/pruning.html"' in top  # the submodule list
    assert 'id="PrunableRBM"' in top  # exported lazily by boltzprune.__getattr__
    # a rebuild into the same folder replaces it
    r = subprocess.run([sys.executable, str(DOCS / "build_api.py"), str(out)],
                       capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert r.returncode == 0, r.stderr


def test_api_build_refuses_a_foreign_folder(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(SystemExit, match="not empty"):
        _build_api_module()._prepare(tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "mine"
