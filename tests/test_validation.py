"""Configs check themselves when built (DESIGN.md 7.4), and the library raises only the
package's error family for bad input."""

import ast
import dataclasses
import math
from pathlib import Path

import pytest

from boltzprune.errors import BoltzpruneError, InvalidInputError, InvalidTypeError
from boltzprune.models.dbm import MeanFieldConfig
from boltzprune.sampling import SamplingConfig
from boltzprune.training.cd import AUTHORS_CODE_RBM, PAPER_RBM, TrainConfig
from boltzprune.training.dbm import DBMTrainConfig

PACKAGE = Path(__file__).resolve().parents[1] / "boltzprune"


def test_defaults_and_presets_are_valid():
    for cfg in (TrainConfig(), PAPER_RBM, AUTHORS_CODE_RBM, DBMTrainConfig(), MeanFieldConfig(),
                SamplingConfig()):
        assert dataclasses.replace(cfg) == cfg


def test_family():
    assert issubclass(InvalidTypeError, InvalidInputError)
    assert issubclass(InvalidTypeError, TypeError)
    assert issubclass(InvalidInputError, BoltzpruneError)
    assert issubclass(BoltzpruneError, ValueError)


# (field, bad value, error, what the message says after "<field> must ..."), one per rule
TRAIN_RULES = [
    ("epochs", 0, InvalidInputError, r"be an integer >= 1, got 0"),
    ("epochs", 1.5, InvalidTypeError, r"be an integer >= 1, got 1.5"),
    ("batch_size", -1, InvalidInputError, r"be an integer >= 1, got -1"),
    ("k", 0, InvalidInputError, r"be an integer >= 1, got 0"),
    ("persistent", "yes", InvalidTypeError, r"be True or False, got 'yes'"),
    ("lr_schedule", "cosine", InvalidInputError, r"be one of 'constant', 'log'; got 'cosine'"),
    ("lr_start", -0.1, InvalidInputError, r"be a finite number > 0, got -0.1"),
    ("lr_end", 0.0, InvalidInputError, r"be a finite number > 0, got 0.0"),
    ("momentum", 1.0, InvalidInputError, r"be in \[0, 1\), got 1.0"),
    ("momentum", -0.1, InvalidInputError, r"be in \[0, 1\), got -0.1"),
    ("initial_momentum", 1.5, InvalidInputError, r"be in \[0, 1\), got 1.5"),
    ("momentum_switch_epoch", -1, InvalidInputError, r"be an integer >= 0, got -1"),
    ("max_abs_weight", math.inf, InvalidInputError, r"be a finite number > 0, got inf"),
    ("backend", "gpu", InvalidInputError, r"be one of 'auto', 'torch', 'compiled'; got 'gpu'"),
    ("up_factor", 0.0, InvalidInputError, r"be a finite number > 0, got 0.0"),
    ("down_factor", math.nan, InvalidInputError, r"be a finite number > 0, got nan"),
]

DBM_TRAIN_RULES = [
    ("epochs", 0, InvalidInputError, r"be an integer >= 1, got 0"),
    ("batch_size", 0, InvalidInputError, r"be an integer >= 1, got 0"),
    ("n_chains", 0, InvalidInputError, r"be an integer >= 1, got 0"),
    ("gibbs_steps", 2.0, InvalidTypeError, r"be an integer >= 1, got 2.0"),
    ("lr_schedule", "step", InvalidInputError, r"be one of 'constant', 'log'; got 'step'"),
    ("lr_start", 0, InvalidInputError, r"be a finite number > 0, got 0"),
    ("lr_end", -1e-3, InvalidInputError, r"be a finite number > 0, got -0.001"),
    ("momentum", 1, InvalidInputError, r"be in \[0, 1\), got 1"),
    ("initial_momentum", "0.5", InvalidTypeError, r"be a number in \[0, 1\), got '0.5'"),
    ("momentum_switch_epoch", -2, InvalidInputError, r"be an integer >= 0, got -2"),
    ("max_norm", 0.0, InvalidInputError, r"be a finite number > 0, got 0.0"),
    ("mean_field", {"max_iter": 5}, InvalidTypeError, r"be a MeanFieldConfig, got dict"),
]

MEAN_FIELD_RULES = [
    ("max_iter", 0, InvalidInputError, r"be an integer >= 1, got 0"),
    ("tol", -1e-7, InvalidInputError, r"be a finite number >= 0, got -1e-07"),
    ("damping", 1.0, InvalidInputError, r"be in \[0, 1\), got 1.0"),
]

SAMPLING_RULES = [
    ("n_samples", 0, InvalidInputError, r"be an integer >= 1, got 0"),
    ("method", "hmc", InvalidInputError, r"be one of 'gibbs', 'exact'; got 'hmc'"),
    ("n_chains", 0, InvalidInputError, r"be an integer >= 1, got 0"),
    ("burn_in", -1, InvalidInputError, r"be an integer >= 0, got -1"),
    ("thin", 0, InvalidInputError, r"be an integer >= 1, got 0"),
    ("init", "zeros", InvalidInputError, r"be one of 'random', 'data'; got 'zeros'"),
]


def _ids(rules):
    return [f"{name}={value!r}" for name, value, _, _ in rules]


@pytest.mark.parametrize("cls, rules", [
    (TrainConfig, TRAIN_RULES), (DBMTrainConfig, DBM_TRAIN_RULES),
    (MeanFieldConfig, MEAN_FIELD_RULES), (SamplingConfig, SAMPLING_RULES),
], ids=["TrainConfig", "DBMTrainConfig", "MeanFieldConfig", "SamplingConfig"])
def test_every_rule_has_a_case(cls, rules):
    """Every field of every config is covered by at least one rule below."""
    assert {f.name for f in dataclasses.fields(cls)} == {name for name, *_ in rules}


@pytest.mark.parametrize("name, value, error, message", TRAIN_RULES, ids=_ids(TRAIN_RULES))
def test_train_config_rejects(name, value, error, message):
    with pytest.raises(error, match=rf"^{name} must {message}$"):
        TrainConfig(**{name: value})


@pytest.mark.parametrize("name, value, error, message", DBM_TRAIN_RULES,
                         ids=_ids(DBM_TRAIN_RULES))
def test_dbm_train_config_rejects(name, value, error, message):
    with pytest.raises(error, match=rf"^{name} must {message}$"):
        DBMTrainConfig(**{name: value})


@pytest.mark.parametrize("name, value, error, message", MEAN_FIELD_RULES,
                         ids=_ids(MEAN_FIELD_RULES))
def test_mean_field_config_rejects(name, value, error, message):
    with pytest.raises(error, match=rf"^{name} must {message}$"):
        MeanFieldConfig(**{name: value})


@pytest.mark.parametrize("name, value, error, message", SAMPLING_RULES, ids=_ids(SAMPLING_RULES))
def test_sampling_config_rejects(name, value, error, message):
    with pytest.raises(error, match=rf"^{name} must {message}$"):
        SamplingConfig(**{name: value})


def test_lr_end_is_checked_only_where_it_is_used():
    assert TrainConfig(lr_schedule="constant", lr_end=0.0).lr_end == 0.0
    assert DBMTrainConfig(lr_schedule="constant", lr_end=-1.0).lr_end == -1.0


@pytest.mark.parametrize("kwargs", [dict(batch_size=10), dict(up_factor=2.0),
                                    dict(down_factor=2.0)])
def test_compiled_backend_needs_online_updates_without_factors(kwargs):
    with pytest.raises(InvalidInputError, match=r"^backend 'compiled' needs batch_size 1 and "
                                                r"up/down factors 1; got batch_size"):
        TrainConfig(backend="compiled", **kwargs)
    TrainConfig(backend="auto", **kwargs)  # "auto" falls back to the PyTorch loop


def test_replace_validates_too():
    with pytest.raises(InvalidInputError, match="^thin must be an integer >= 1, got 0$"):
        dataclasses.replace(SamplingConfig(), thin=0)
    with pytest.raises(InvalidInputError, match="^max_iter must be an integer >= 1, got 0$"):
        DBMTrainConfig(mean_field=dataclasses.replace(MeanFieldConfig(), max_iter=0))


def _bare_raises(path: Path) -> list[str]:
    """``raise ValueError(...)`` / ``raise TypeError(...)`` (or the bare class) in a file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if not isinstance(node, ast.Raise) or node.exc is None:
            continue
        exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
        if isinstance(exc, ast.Name) and exc.id in ("ValueError", "TypeError"):
            found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: raise {exc.id}")
    return found


def test_library_raises_only_the_error_family():
    """Bad input in the library raises boltzprune.errors classes, so that the CLI can turn
    exactly those into one line (DESIGN.md 7.4). boltzprune/app/ is the application."""
    files = [p for p in sorted(PACKAGE.rglob("*.py")) if "app" not in p.relative_to(PACKAGE).parts]
    assert len(files) > 20
    offenders = [line for p in files for line in _bare_raises(p)]
    assert not offenders, "use boltzprune.errors instead:\n" + "\n".join(offenders)
