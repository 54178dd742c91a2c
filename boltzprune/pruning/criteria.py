"""Importance criteria: a registry of functions mapping model activity to one importance
per weight (higher = more important, pruned last). RBMs and DBMs go through the same
registry: a criterion of scope "layer" scores one weight matrix from the joint samples of
its two layers (a DBM's matrices one after the other, "layer-wise", paper 2.4); a criterion
of scope "model" scores every matrix at once (the leading FIM eigenvector of all layers).

Users add their own criteria in three ways (docs/criteria.md):

- ``@register_criterion("name")`` in code that runs before the criterion is used;
- a module or ``.py`` file named in a config's ``plugins`` (CLI: ``--plugin``), imported
  in every process when a run starts;
- an entry point in the ``boltzprune.criteria`` group of an installed package
  (``mine = "my_pkg.criteria:mine"``), loaded the first time its name is asked for.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from boltzprune.errors import InvalidInputError, InvalidTypeError

if TYPE_CHECKING:
    import torch

    from boltzprune.fisher.diagonal import LocalRates
    from boltzprune.fisher.full import FIMEigen
    from boltzprune.models.dbm import DBM
    from boltzprune.models.rbm import RBM
    from boltzprune.sampling.gibbs import Samples

# torch, the models and the Fisher information are imported where criteria are computed,
# so that the registry and its names (the command line's --criteria) load no torch.

__all__ = ["ImportanceContext", "ModelContext", "Criterion", "CriteriaRegistry", "registry",
           "register_criterion", "get_criterion", "available_criteria", "compute_importance",
           "load_plugins", "BUILTIN_CRITERIA", "ENTRY_POINT_GROUP", "SCOPES"]

ENTRY_POINT_GROUP = "boltzprune.criteria"
SCOPES = ("layer", "model")


@dataclass
class ImportanceContext:
    """What a layer criterion may look at: one weight matrix as an RBM (W, mask, biases of
    its two layers), joint samples of those two layers, and a generator.

    samples.v: (n, n_visible), samples.h: (n, n_hidden). ``coincidence()`` and
    ``firing_rates()`` are the averages a synapse sees: from the samples, or, when pruning
    during training (``pruning.online``), the running averages in ``statistics``. The full
    FIM of the pair and its eigendecomposition are computed on first use and cached.
    """

    rbm: RBM
    samples: Samples
    generator: torch.Generator
    statistics: LocalRates | None = None
    _eigen: FIMEigen | None = field(default=None, repr=False)

    def coincidence(self) -> torch.Tensor:
        """<v_i h_j>: (n_visible, n_hidden), float64 from samples."""
        if self.statistics is not None:
            return self.statistics.coincidence
        from boltzprune.fisher.diagonal import coincidence_rates

        return coincidence_rates(self.samples.v, self.samples.h)

    def firing_rates(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(<v_i>, <h_j>): (n_visible,) and (n_hidden,), float64 from samples."""
        if self.statistics is not None:
            return self.statistics.lower, self.statistics.upper
        return self.samples.v.double().mean(0), self.samples.h.double().mean(0)

    def fim_eigen(self) -> FIMEigen:
        if self._eigen is None:
            from boltzprune.fisher.full import fim_eigen, sampled_fim

            F = sampled_fim(self.samples.v, self.samples.h)
            self._eigen = fim_eigen(F, self.rbm.mask, k=3)
        return self._eigen


@dataclass
class ModelContext:
    """What a model criterion may look at: the whole model, joint samples of every layer
    (one (n, n_l) tensor per layer, visible first), a generator and, when pruning during
    training, the running averages of each weight matrix (``statistics``)."""

    model: RBM | DBM
    samples: list[torch.Tensor]
    generator: torch.Generator
    statistics: list[LocalRates] | None = None

    @property
    def masks(self) -> list[torch.Tensor]:
        """One (n_{l-1}, n_l) bool mask per weight matrix."""
        from boltzprune.models.rbm import RBM

        return [self.model.mask] if isinstance(self.model, RBM) else list(self.model.masks)

    def layer(self, l: int) -> ImportanceContext:
        """Layer pair (l-1, l), l = 1..L, as a layer criterion sees it."""
        from boltzprune.sampling.gibbs import Samples

        return ImportanceContext(layer_rbm(self.model, l),
                                 Samples(self.samples[l - 1], self.samples[l]), self.generator,
                                 None if self.statistics is None else self.statistics[l - 1])


def layer_rbm(model: RBM | DBM, l: int) -> RBM:
    """Weight matrix l (1-based) of ``model`` as an RBM view (shares tensors)."""
    from boltzprune.models.rbm import RBM

    return model if isinstance(model, RBM) else model.layer_rbm(l)


def n_matrices(model: RBM | DBM) -> int:
    from boltzprune.models.rbm import RBM

    return 1 if isinstance(model, RBM) else model.n_layers


Criterion = Callable[..., "torch.Tensor | list[torch.Tensor]"]


@dataclass(frozen=True)
class _Entry:
    fn: Criterion
    scope: str


class CriteriaRegistry:
    """Criteria by name. ``registry`` is the package's default one; build your own to
    keep experiments apart (``CriteriaRegistry(entry_point_group=None)`` ignores installed
    plugins)."""

    def __init__(self, entry_point_group: str | None = ENTRY_POINT_GROUP):
        self._entries: dict[str, _Entry] = {}
        self._plugins: set[str] = set()
        self._lock = threading.Lock()  # Dask workers may run several tasks in threads
        self._group = entry_point_group

    # -- registration ---------------------------------------------------------------------
    def register(self, name: str, fn: Criterion | None = None, *, scope: str = "layer",
                 overwrite: bool = False):
        """Register ``fn`` under ``name``. Scope "layer": ``fn(ImportanceContext) ->
        (n_visible, n_hidden)`` tensor, called once per weight matrix; scope "model":
        ``fn(ModelContext) -> [one (n_{l-1}, n_l) tensor per matrix]``.

        Use as a decorator (``@register_criterion("mine")``) or call directly.
        """
        if not isinstance(name, str) or not name.isidentifier():
            raise InvalidInputError(f"criterion name must be an identifier-like string, got "
                                    f"{name!r}")
        if scope not in SCOPES:
            raise InvalidInputError(f"criterion scope must be one of {', '.join(SCOPES)}; got "
                                    f"{scope!r}")

        def add(f: Criterion) -> Criterion:
            if not callable(f):
                raise InvalidTypeError(f"criterion {name!r} must be callable, got "
                                       f"{type(f).__name__}")
            if name in self._entries and not overwrite:
                raise InvalidInputError(f"criterion {name!r} is already registered; pass "
                                        "overwrite=True")
            self._entries[name] = _Entry(f, scope)
            return f

        return add if fn is None else add(fn)

    def unregister(self, name: str) -> None:
        """Remove ``name`` (no error when it is not registered)."""
        self._entries.pop(name, None)

    @contextlib.contextmanager
    def scoped(self) -> Iterator[CriteriaRegistry]:
        """Within the block, registrations and plugins loaded are undone on exit (tests)."""
        entries, plugins = dict(self._entries), set(self._plugins)
        try:
            yield self
        finally:
            self._entries.clear()
            self._entries.update(entries)
            self._plugins.intersection_update(plugins)

    # -- lookup ---------------------------------------------------------------------------
    def _entry_points(self, name: str | None = None):
        if self._group is None:
            return []
        from importlib.metadata import entry_points

        return [ep for ep in entry_points(group=self._group) if name is None or ep.name == name]

    def names(self) -> list[str]:
        """Registered criteria, then those installed packages offer as entry points (not
        loaded)."""
        return list(dict.fromkeys([*self._entries, *(ep.name for ep in self._entry_points())]))

    def _entry(self, name: str) -> _Entry:
        if name not in self._entries:
            for ep in self._entry_points(name)[:1]:
                try:
                    fn = ep.load()
                except Exception as e:  # a broken plugin: name it, no traceback
                    raise InvalidInputError(f"criterion {name!r}: entry point {ep.value!r} "
                                            f"failed to load ({type(e).__name__}: {e})"
                                            ) from None
                if name not in self._entries:  # loading may have registered it already
                    self.register(name, fn)
        try:
            return self._entries[name]
        except KeyError:
            raise InvalidInputError(f"unknown criterion {name!r}; available: "
                                    f"{', '.join(self.names())} (add your own with --plugin "
                                    "MODULE, see docs/criteria.md)") from None

    def get(self, name: str) -> Criterion:
        """The function registered (or offered by an entry point) as ``name``."""
        return self._entry(name).fn

    def check_names(self, names: Sequence[str], *, plugins: Sequence[str] = ()
                    ) -> tuple[str, ...]:
        """``names`` checked without running any plugin code: at least one, distinct, and
        each registered or offered by an entry point. With ``plugins`` unknown names are let
        through: the plugins may register them when the run starts (``load_plugins``)."""
        names = tuple(names)
        if not names:
            raise InvalidInputError("criteria must name at least one criterion")
        if len(set(names)) != len(names):
            raise InvalidInputError(f"criteria must be distinct, got {list(names)}")
        known = set(self.names())
        for n in names:
            if not isinstance(n, str) or not n.isidentifier():
                raise InvalidInputError(f"criterion names must be identifier-like strings, got "
                                        f"{n!r}")
            if n not in known and not plugins:
                self._entry(n)  # raises the "unknown criterion" message
        return names

    # -- plugins --------------------------------------------------------------------------
    def load_plugins(self, plugins: Sequence[str]) -> None:
        """Import each plugin (a module name, or the path of a ``.py`` file) once, so that
        the criteria it registers are available. Called when a run starts, in every worker
        process."""
        with self._lock:
            for plugin in plugins:
                self._load_plugin(plugin)

    def _load_plugin(self, plugin: str) -> None:
        import importlib
        import importlib.util
        import os
        import sys

        key = os.path.realpath(plugin) if plugin.endswith(".py") else plugin
        if key in self._plugins:
            return
        if os.path.isdir(plugin):
            raise InvalidInputError(f"plugin {plugin!r} is a folder, not a module name or a .py "
                                    "file: name the file that registers your criteria")
        if not plugin.endswith(".py") and os.path.sep in plugin:
            raise InvalidInputError(f"plugin {plugin!r}: a plugin is a module name (my_rules) "
                                    "or the path of a .py file")
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
            raise InvalidInputError(f"plugin {plugin!r} could not be loaded "
                                    f"({type(e).__name__}: {e})") from None
        self._plugins.add(key)

    # -- scoring --------------------------------------------------------------------------
    def importance(self, name: str, model: RBM | DBM, samples: Sequence[torch.Tensor],
                   generator: torch.Generator,
                   statistics: Sequence[LocalRates] | None = None) -> list[torch.Tensor]:
        """Importance of every weight of every weight matrix of ``model`` under criterion
        ``name``: one (n_{l-1}, n_l) float32 tensor per matrix. ``samples``: joint model
        samples, one (n, n_l) tensor per layer (visible first). ``statistics``: optional
        running averages per matrix, which the local criteria then use instead of averages
        over ``samples``. Entries of removed weights are meaningless and ignored by the
        pruning step."""
        entry = self._entry(name)
        L = n_matrices(model)
        if len(samples) != L + 1:
            raise InvalidInputError(f"need samples of all {L + 1} layers, got {len(samples)}")
        if statistics is not None and len(statistics) != L:
            raise InvalidInputError(f"need statistics of all {L} weight matrices, got "
                                    f"{len(statistics)}")
        ctx = ModelContext(model, list(samples), generator,
                           None if statistics is None else list(statistics))
        if entry.scope == "model":
            out = entry.fn(ctx)
            if not isinstance(out, list | tuple) or len(out) != L:
                raise InvalidInputError(f"criterion {name!r} must return a list of {L} "
                                        f"tensors, one per weight matrix")
            return [_checked(name, imp, layer_rbm(model, l + 1)) for l, imp in enumerate(out)]
        return [_checked(name, entry.fn(ctx.layer(l)), layer_rbm(model, l))
                for l in range(1, L + 1)]


def _checked(name: str, imp: object, rbm: RBM) -> torch.Tensor:
    import torch

    shape = tuple(rbm.W.shape)
    if not isinstance(imp, torch.Tensor) or tuple(imp.shape) != shape:
        got = tuple(imp.shape) if isinstance(imp, torch.Tensor) else type(imp).__name__
        raise InvalidInputError(f"criterion {name!r} must return a tensor of shape {shape}, "
                                f"got {got}")
    imp = imp.to(rbm.W.device, torch.float32)  # a plugin may compute on another device
    if torch.isnan(imp[rbm.mask]).any():
        raise InvalidInputError(f"criterion {name!r} returned NaN importance for existing "
                                "weights")
    return imp


registry = CriteriaRegistry()  # the package's default registry
register_criterion = registry.register
get_criterion = registry.get
load_plugins = registry.load_plugins


def available_criteria() -> list[str]:
    """Criteria of the default registry: registered, then offered by entry points."""
    return registry.names()


def compute_importance(name: str, ctx: ImportanceContext) -> torch.Tensor:
    """Importance of every weight of ``ctx.rbm`` under criterion ``name`` (default
    registry): (n_visible, n_hidden) float32."""
    return registry.importance(name, ctx.rbm, [ctx.samples.v, ctx.samples.h],
                               ctx.generator)[0]


@register_criterion("variance")
def _variance(ctx: ImportanceContext) -> torch.Tensor:
    """Variance FI, p(1-p) with p = <v_i h_j> (eq. 4)."""
    from boltzprune.fisher.diagonal import variance_fi_from_rates

    return variance_fi_from_rates(ctx.coincidence())


@register_criterion("heuristic")
def _heuristic(ctx: ImportanceContext) -> torch.Tensor:
    """Mean-field heuristic FI (eq. 10), from the two firing rates and the weight."""
    from boltzprune.fisher.diagonal import heuristic_fi_from_rates

    return heuristic_fi_from_rates(*ctx.firing_rates(), ctx.rbm.W)


DENSE_FIM_MAX_PARAMETERS = 5_000  # above this the FIM is never formed (matrix-free Lanczos)


@register_criterion("eigenvector", scope="model")
def _eigenvector(ctx: ModelContext) -> list[torch.Tensor]:
    """|u_w| of the leading eigenvector of the full FIM over the existing parameters of
    every layer (one RBM: formed and eigendecomposed when small; otherwise, and for DBMs,
    matrix-free Lanczos)."""
    import torch

    from boltzprune.models.rbm import RBM

    model = ctx.model
    if isinstance(model, RBM) and (model.n_visible * model.n_hidden + model.n_visible
                                   + model.n_hidden <= DENSE_FIM_MAX_PARAMETERS):
        return [ctx.layer(1).fim_eigen().blocks(0)["W"].abs().to(torch.float32)]
    from boltzprune.fisher.matrix_free import leading_fim_eigen

    eig = leading_fim_eigen(ctx.samples, ctx.masks, k=1)
    dev = ctx.masks[0].device
    return [eig.blocks(0)[f"W{l}"].abs().to(torch.float32).to(dev)
            for l in range(1, len(ctx.masks) + 1)]


@register_criterion("abs_w")
def _abs_w(ctx: ImportanceContext) -> torch.Tensor:
    """Weight magnitude |w_ij|."""
    return ctx.rbm.W.abs()


@register_criterion("random")
def _random(ctx: ImportanceContext) -> torch.Tensor:
    """Uniform random importance (a baseline)."""
    from boltzprune.seeding import uniform

    return uniform(ctx.rbm.W.shape, ctx.generator, ctx.rbm.device)


@register_criterion("anti_fi")
def _anti_fi(ctx: ImportanceContext) -> torch.Tensor:
    """Variance FI reversed: prunes the most informative weights first."""
    from boltzprune.fisher.diagonal import variance_fi_from_rates

    return -variance_fi_from_rates(ctx.coincidence())


BUILTIN_CRITERIA = tuple(registry._entries)  # the six above, registered in this module
