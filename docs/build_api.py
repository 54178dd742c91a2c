"""Build boltzprune's API reference (HTML) from its docstrings with pdoc.

Usage::

    python docs/build_api.py [OUT_DIR] [--strict]

OUT_DIR defaults to ``docs/_build/api`` next to this script. Open ``OUT_DIR/index.html``
(or ``OUT_DIR/boltzprune.html``) in a browser; the pages need no network.

Every public module of the library gets a page: ``boltzprune`` (the names most users need),
its subpackages (``boltzprune.pruning``, ...) and their modules
(``boltzprune.pruning.criteria``, ...). Of the application ``boltzprune.app`` only the
modules a Python user calls get one (``APP_MODULES``: the experiment record and registry,
the driver, config files, each experiment's config, sweeps); the command line, reports,
figures and HTML pages are left out. Modules whose name starts with an underscore and
``boltzprune.__main__`` are left out too. Exit status: 0 on success, 1 when a module cannot be
imported or rendered (or, with ``--strict``, when pdoc warns), 2 when pdoc is missing or
OUT_DIR cannot be used.
"""

from __future__ import annotations

import argparse
import os
import pkgutil
import shutil
import sys
import warnings
from pathlib import Path

DOCS = Path(__file__).resolve().parent
DEFAULT_OUT = DOCS / "_build" / "api"
TEMPLATES = DOCS / "api_templates"
MARKER = ".boltzprune-api"  # marks a folder this script wrote, so a rebuild may clear it
APP = "boltzprune.app"
# the application's modules that are useful from Python (the rest serve the command line)
APP_MODULES = (
    "boltzprune.app",  # what the application is
    "boltzprune.app.experiment",  # the Experiment record
    "boltzprune.app.experiments",  # EXPERIMENTS: the registered experiments
    "boltzprune.app.runs",  # run_experiment, run directories
    "boltzprune.app.configio",  # TOML files, shipped configs, --set
    "boltzprune.app.patches",  # PatchRBMConfig, shared by the experiments on patches
    "boltzprune.app.rbm_patches",
    "boltzprune.app.rbm_patches.config",  # RBMPatchesConfig
    "boltzprune.app.dbm_mnist",
    "boltzprune.app.dbm_mnist.config",  # DBMMnistConfig
    "boltzprune.app.dbm_mnist.recipes",  # DBMRecipe, dbm_recipe
    "boltzprune.app.online",
    "boltzprune.app.online.config",  # OnlinePruningConfig
    "boltzprune.app.sweep",
    "boltzprune.app.sweep.run",  # read_sweep_config, plan_points, run_sweep
)


def _private(name: str) -> bool:
    return any(part.startswith("_") for part in name.split("."))


def library_modules() -> list[str]:
    """``boltzprune`` and every module of the library (everything but ``boltzprune.app``)
    without a private (underscore) name part. The application is not imported."""
    import boltzprune

    names, todo = [], [(list(boltzprune.__path__), "boltzprune.")]
    while todo:
        path, prefix = todo.pop()
        for m in pkgutil.iter_modules(path, prefix):
            if _private(m.name) or m.name == APP or m.name.startswith(APP + "."):
                continue
            names.append(m.name)
            if m.ispkg:
                todo.append(([str(Path(m.module_finder.path) / m.name.rsplit(".", 1)[-1])],
                             m.name + "."))
    return ["boltzprune", *sorted(names)]


def public_modules() -> list[str]:
    """The modules that get a page: the library's, then ``APP_MODULES``."""
    return [*library_modules(), *APP_MODULES]


def _resolve_lazy_exports(names: list[str]) -> None:
    """Bind names that a module lists in ``__all__`` but serves lazily through a module
    ``__getattr__`` (``boltzprune.PrunableRBM``, which would import scikit-learn on
    ``import boltzprune``). pdoc only looks in the module's ``__dict__`` and would warn that
    they do not resolve. This changes only this build process's imported modules."""
    import importlib
    import types

    for name in names:
        module = importlib.import_module(name)
        for attr in getattr(module, "__all__", ()):
            if isinstance(attr, str) and attr not in vars(module):
                value = getattr(module, attr, None)
                if value is not None and not isinstance(value, types.ModuleType):
                    setattr(module, attr, value)


def _prepare(out: Path) -> None:
    """Create ``out``, clearing an earlier build; refuse a folder with anything else in it."""
    if out.exists():
        if not out.is_dir():
            raise SystemExit(f"build_api: {out} is a file, not a folder")
        if any(out.iterdir()) and not (out / MARKER).is_file():
            raise SystemExit(f"build_api: {out} is not empty and was not written by this "
                             "script; choose another OUT_DIR")
        shutil.rmtree(out)
    out.mkdir(parents=True)


def build(out: Path, *, strict: bool = False) -> int:
    """Render every public module into ``out``; returns the exit status."""
    try:
        import pdoc
        import pdoc.doc
        import pdoc.render
    except ImportError:
        print("build_api: pdoc is not installed; install it with `pip install pdoc` (or "
              "`pip install -e \".[docs]\"`)", file=sys.stderr)
        return 2
    os.environ.setdefault("MPLBACKEND", "Agg")  # some modules import matplotlib
    import boltzprune

    try:
        _prepare(out)
    except SystemExit as e:
        print(e, file=sys.stderr)
        return 2
    pdoc.render.configure(
        docformat="numpy",  # numpy sections (the estimator) and reST ``literals``
        math=False,  # rendering math would load MathJax from the network
        search=True,
        show_source=True,
        template_directory=TEMPLATES,
        footer_text=f"boltzprune {boltzprune.__version__}",
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            names = public_modules()
            _resolve_lazy_exports(names)
            modules = {name: pdoc.doc.Module.from_name(name) for name in names}
            for name, module in modules.items():
                page = out / f"{name.replace('.', '/')}.html"
                page.parent.mkdir(parents=True, exist_ok=True)
                page.write_text(pdoc.render.html_module(module, modules), encoding="utf-8")
            index = pdoc.render.html_index(modules)
            if index:
                (out / "index.html").write_text(index, encoding="utf-8")
            (out / "search.js").write_text(pdoc.render.search_index(modules), encoding="utf-8")
        except Exception as e:  # an import error or a template error: one line, exit 1
            print(f"build_api: failed: {type(e).__name__}: {e}", file=sys.stderr)
            return 1
    (out / MARKER).write_text("written by docs/build_api.py\n", encoding="utf-8")
    problems = [w for w in caught if issubclass(w.category, UserWarning)]
    for w in problems:
        print(f"build_api: warning: {w.message}", file=sys.stderr)
    print(f"API reference: {len(modules)} modules -> {out / 'index.html'}")
    return 1 if strict and problems else 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Build boltzprune's HTML API reference with pdoc.")
    p.add_argument("out", nargs="?", default=str(DEFAULT_OUT), metavar="OUT_DIR",
                   help=f"output folder (default: {DEFAULT_OUT})")
    p.add_argument("--strict", action="store_true", help="fail when pdoc warns")
    args = p.parse_args(argv)
    return build(Path(args.out).resolve(), strict=args.strict)


if __name__ == "__main__":
    sys.exit(main())
