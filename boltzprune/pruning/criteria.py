"""Importance criteria: a registry of functions mapping model activity to one importance
per weight (higher = more important, pruned last).

Users add their own criteria in three ways (docs/criteria.md):

- ``@register_criterion("name")`` in code that runs before the criterion is used;
- a module or ``.py`` file named in a config's ``plugins`` (CLI: ``--plugin``), imported
  in every process before the criteria are looked up;
- an entry point in the ``boltzprune.criteria`` group of an installed package
  (``mine = "my_pkg.criteria:mine"``), loaded the first time its name is asked for.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from boltzprune.fisher.diagonal import heuristic_fi, variance_fi
from boltzprune.fisher.full import FIMEigen, fim_eigen, sampled_fim
from boltzprune.models.rbm import RBM
from boltzprune.sampling import Samples

__all__ = ["ImportanceContext", "Criterion", "register_criterion", "get_criterion",
           "available_criteria", "compute_importance", "load_plugins", "BUILTIN_CRITERIA",
           "ENTRY_POINT_GROUP"]

ENTRY_POINT_GROUP = "boltzprune.criteria"


@dataclass
class ImportanceContext:
    """What a criterion may look at: the model, joint samples from it, and a generator.

    The full FIM and its eigendecomposition are computed on first use and cached.
    """

    rbm: RBM
    samples: Samples
    generator: torch.Generator
    _eigen: FIMEigen | None = field(default=None, repr=False)

    def fim_eigen(self) -> FIMEigen:
        if self._eigen is None:
            F = sampled_fim(self.samples.v, self.samples.h)
            self._eigen = fim_eigen(F, self.rbm.mask, k=3)
        return self._eigen


Criterion = Callable[[ImportanceContext], torch.Tensor]
_REGISTRY: dict[str, Criterion] = {}


def register_criterion(name: str, fn: Criterion | None = None, *, overwrite: bool = False):
    """Register ``fn(ctx) -> (n_visible, n_hidden) importance`` under ``name``.

    Use as a decorator (``@register_criterion("mine")``) or call directly.
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"criterion name must be an identifier-like string, got {name!r}")

    def add(f: Criterion) -> Criterion:
        if not callable(f):
            raise TypeError(f"criterion {name!r} must be callable, got {type(f).__name__}")
        if name in _REGISTRY and not overwrite:
            raise ValueError(f"criterion {name!r} is already registered; pass overwrite=True")
        _REGISTRY[name] = f
        return f

    return add if fn is None else add(fn)


def _entry_points(name: str | None = None):
    from importlib.metadata import entry_points

    eps = entry_points(group=ENTRY_POINT_GROUP)
    return [ep for ep in eps if name is None or ep.name == name]


def available_criteria() -> list[str]:
    """Registered criteria, then those installed packages offer as entry points."""
    return list(dict.fromkeys([*_REGISTRY, *(ep.name for ep in _entry_points())]))


def get_criterion(name: str) -> Criterion:
    """The criterion called ``name``: registered, or loaded from its entry point."""
    if name not in _REGISTRY:
        for ep in _entry_points(name)[:1]:
            try:
                fn = ep.load()
            except Exception as e:  # a broken plugin: name it, do not crash with a traceback
                raise ValueError(f"criterion {name!r}: entry point {ep.value!r} failed to load "
                                 f"({type(e).__name__}: {e})") from None
            if name not in _REGISTRY:  # loading may have registered it already
                register_criterion(name, fn)
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown criterion {name!r}; available: "
                         f"{', '.join(available_criteria())} (add your own with "
                         "--plugin MODULE, see docs/criteria.md)") from None


_LOADED_PLUGINS: set[str] = set()
_PLUGIN_LOCK = threading.Lock()


def load_plugins(plugins: tuple[str, ...] | list[str]) -> None:
    """Import each plugin (a module name, or the path of a ``.py`` file) once, so that the
    criteria it registers are available. Called in every worker process."""
    with _PLUGIN_LOCK:  # Dask workers may run several tasks in threads
        for plugin in plugins:
            _load_plugin(plugin)


def _load_plugin(plugin: str) -> None:
    import importlib
    import importlib.util
    import os
    import sys

    key = os.path.realpath(plugin) if plugin.endswith(".py") else plugin
    if key in _LOADED_PLUGINS:
        return
    try:
        if plugin.endswith(".py"):
            if not os.path.isfile(plugin):
                raise FileNotFoundError(f"no such file {plugin!r}")
            mod_name = "boltzprune_plugin_" + os.path.basename(plugin)[:-3]
            spec = importlib.util.spec_from_file_location(mod_name, plugin)
            module = importlib.util.module_from_spec(spec)
            sys.modules[mod_name] = module
            spec.loader.exec_module(module)
        else:
            importlib.import_module(plugin)
    except Exception as e:
        raise ValueError(f"plugin {plugin!r} could not be loaded "
                         f"({type(e).__name__}: {e})") from None
    _LOADED_PLUGINS.add(key)


def compute_importance(name: str, ctx: ImportanceContext) -> torch.Tensor:
    """Importance of every weight under criterion ``name``: (n_visible, n_hidden) float32.
    Entries of removed weights are meaningless and ignored by the pruning step."""
    imp = get_criterion(name)(ctx)
    shape = tuple(ctx.rbm.W.shape)
    if not isinstance(imp, torch.Tensor) or tuple(imp.shape) != shape:
        got = tuple(imp.shape) if isinstance(imp, torch.Tensor) else type(imp).__name__
        raise ValueError(f"criterion {name!r} must return a tensor of shape {shape}, got {got}")
    imp = imp.to(torch.float32)
    if torch.isnan(imp[ctx.rbm.mask]).any():
        raise ValueError(f"criterion {name!r} returned NaN importance for existing weights")
    return imp


@register_criterion("variance")
def _variance(ctx: ImportanceContext) -> torch.Tensor:
    """Variance FI, p(1-p) with p = <v_i h_j> (eq. 4)."""
    return variance_fi(ctx.samples.v, ctx.samples.h)


@register_criterion("heuristic")
def _heuristic(ctx: ImportanceContext) -> torch.Tensor:
    """Mean-field heuristic FI (eq. 10)."""
    return heuristic_fi(ctx.samples.v, ctx.samples.h, ctx.rbm.W)


DENSE_FIM_MAX_PARAMETERS = 5_000  # above this the FIM is never formed (matrix-free Lanczos)


@register_criterion("eigenvector")
def _eigenvector(ctx: ImportanceContext) -> torch.Tensor:
    """|u_w| of the leading eigenvector of the full FIM over existing parameters."""
    rbm = ctx.rbm
    if rbm.n_visible * rbm.n_hidden + rbm.n_visible + rbm.n_hidden <= DENSE_FIM_MAX_PARAMETERS:
        return ctx.fim_eigen().blocks(0)["W"].abs().to(torch.float32)
    from boltzprune.fisher.matrix_free import leading_fim_eigen

    eig = leading_fim_eigen([ctx.samples.v, ctx.samples.h], [rbm.mask], k=1)
    return eig.blocks(0)["W1"].abs().to(torch.float32).to(rbm.device)


@register_criterion("abs_w")
def _abs_w(ctx: ImportanceContext) -> torch.Tensor:
    """Weight magnitude |w_ij|."""
    return ctx.rbm.W.abs()


@register_criterion("random")
def _random(ctx: ImportanceContext) -> torch.Tensor:
    """Uniform random importance (a baseline)."""
    return torch.rand(ctx.rbm.W.shape, generator=ctx.generator).to(ctx.rbm.device)


@register_criterion("anti_fi")
def _anti_fi(ctx: ImportanceContext) -> torch.Tensor:
    """Variance FI reversed: prunes the most informative weights first."""
    return -variance_fi(ctx.samples.v, ctx.samples.h)


BUILTIN_CRITERIA = tuple(_REGISTRY)
