"""Lazy package namespaces (PEP 562): a package's ``__init__`` names what it exports and
from which module, and each module is imported the first time one of its names is asked
for. ``import boltzprune`` (and the command line's ``--help``) so loads no torch; ``bp.RBM``
imports ``boltzprune.models.rbm`` then.

Usage, in a package's ``__init__.py``::

    __all__ = ["RBM", "init_rbm"]
    __getattr__, __dir__ = lazy_exports(__name__, {"boltzprune.models.rbm": __all__})

Submodules resolve as attributes too (``boltzprune.models`` after ``import boltzprune``),
as they did when the package imported them eagerly.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(package: str, exports: Mapping[str, Iterable[str]]
                 ) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for the package ``package``: ``exports`` maps a module's
    full name to the names the package takes from it."""
    where = {name: module for module, names in exports.items() for name in names}

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if name.startswith("__"):  # __path__, __wrapped__, ...: never a lazy export
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        if module is not None:
            value = getattr(importlib.import_module(module), name)
        else:
            full = f"{package}.{name}"
            try:
                value = importlib.import_module(full)
            except ModuleNotFoundError as e:
                if e.name != full:  # the submodule exists but an import inside it failed
                    raise
                raise AttributeError(f"module {package!r} has no attribute {name!r}"
                                     ) from None
        setattr(sys.modules[package], name, value)  # later lookups skip __getattr__
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *where})

    return __getattr__, __dir__
