"""Recipes of the DBM experiment: the settings of every training phase, its samples, its
readout and its likelihood estimate, by name ("quick", "full", "paper")."""

from __future__ import annotations

from dataclasses import dataclass

from boltzprune.errors import InvalidInputError
from boltzprune.evaluate.config import AISConfig
from boltzprune.models.config import MeanFieldConfig
from boltzprune.sampling.config import SamplingConfig
from boltzprune.training.config import DBMTrainConfig, TrainConfig

__all__ = ["RECIPES", "DBMRecipe", "dbm_recipe"]

RECIPES = ("quick", "full", "paper")


@dataclass(frozen=True)
class DBMRecipe:
    """Every training phase's settings, the model samples, the readout and the test
    log-likelihood estimate (AIS on log Z, the mean-field bound on log p(v))."""

    pretrain: tuple[TrainConfig, TrainConfig]  # RBM 1 (v-h1), RBM 2 (h1-h2)
    joint: DBMTrainConfig  # joint training of the stacked DBM
    retrain: DBMTrainConfig  # joint training after each pruning round
    sampling: SamplingConfig  # model samples for Fisher information and generated digits
    readout: MeanFieldConfig  # mean-field inference of the encodings (and of the bound)
    likelihood: AISConfig = AISConfig()  # noqa: RUF009 (frozen, so shared safely)


def dbm_recipe(name: str) -> DBMRecipe:
    """"paper": the paper's stated settings (4.3.2): online updates, pretraining 20 epochs
    with lr 0.01 -> 1e-4 (RBM 1) and 0.1 -> 1e-4 (RBM 2), momentum 0.5 for 5 epochs then
    0.9, joint training 20 epochs with 100 persistent chains and mean-field up to 50 updates
    (tol 1e-7), retraining 10 epochs, as many samples as training digits, 200 sweeps apart.
    The joint learning rate is not stated; we use the pretraining's 0.01 -> 1e-4.

    "quick": the same procedure in minibatches, so that the bundled 5,000 digits run in
    minutes on 2 cores: minibatches of 20 (pretraining) and 50 (joint), learning rates
    scaled up for the averaged minibatch gradient, 10 pretraining and 10 joint epochs,
    3 retraining epochs, mean-field up to 10 updates (tol 1e-4), and 2,000 samples from
    500 chains started at training digits, 50 sweeps of burn-in and 10 apart, for the
    Fisher information. Joint training keeps momentum 0.5: with 0.9 and 100 chains the h2
    readout error of the jointly trained DBM rose from 0.06 to 0.36 in a 5-epoch trial
    (lr 0.003), while 0.5 kept it at 0.05.

    "full": the paper's epochs at full size (60,000 images) in minibatches: pretraining 20
    epochs in minibatches of 100, joint training 20 epochs and retraining 10 epochs per
    round in minibatches of 500 with 100 persistent chains and mean-field up to 10 updates,
    and 10,000 samples from 1,000 chains started at training images (200 sweeps of burn-in,
    20 apart). Minibatches, not online updates, because online updates cost 50 to 60 times
    more per epoch: on 2 CPU cores one joint epoch over 60,000 images took 249 s online and
    4.1 s in minibatches of 500 in one measurement, 335 s and 6.4 s in another
    (benchmarks/run.py, "dbm_minibatch"), so a seed's ~600 epochs would take 41 hours or
    more online; on one H200 a minibatch-500 epoch takes 0.34 s and a
    minibatch-50 epoch, bound by kernel launches, 2.2 s (issue 11's measurements).

    The test log-likelihood after every round: "paper" and "full" anneal over Salakhutdinov
    & Murray's 14,500 inverse temperatures (100 forward runs, 100 reverse runs from model
    samples); "quick" over 3,000 with 50 runs each way. On a quick DBM trained on the
    bundled digits, forward AIS with 100 runs gave log Z 520.7 at 1,000 temperatures, 524.0
    at 3,000 and 524.7 at 14,500 (reverse 521.0, 522.8, 524.8), at 1.9, 6.5 and 30 s per
    direction on 2 cores; 50 runs cost 0.58 of 100 (benchmarks/run.py --likelihood,
    docs/likelihood.md).
    """
    if name == "paper":
        pre = TrainConfig(epochs=20, batch_size=1, lr_schedule="log", lr_start=0.01,
                          lr_end=1e-4, initial_momentum=0.5, momentum=0.9,
                          momentum_switch_epoch=5, backend="torch")
        pre2 = TrainConfig(**{**pre.__dict__, "lr_start": 0.1})
        mf = MeanFieldConfig(max_iter=50, tol=1e-7)
        joint = DBMTrainConfig(epochs=20, batch_size=1, n_chains=100, lr_start=0.01,
                               lr_end=1e-4, initial_momentum=0.5, momentum=0.9,
                               momentum_switch_epoch=5, max_norm=6.0, mean_field=mf)
        retrain = DBMTrainConfig(**{**joint.__dict__, "epochs": 10})
        sampling = SamplingConfig(n_samples=60_000, n_chains=1_000, burn_in=1_000, thin=200,
                                  init="data")
        return DBMRecipe((pre, pre2), joint, retrain, sampling, mf, AISConfig())
    if name == "quick":
        pre = TrainConfig(epochs=10, batch_size=20, lr_schedule="log", lr_start=0.05,
                          lr_end=0.005, initial_momentum=0.5, momentum=0.9,
                          momentum_switch_epoch=3)
        mf = MeanFieldConfig(max_iter=10, tol=1e-4)
        joint = DBMTrainConfig(epochs=10, batch_size=50, n_chains=100, lr_start=0.01,
                               lr_end=0.003, initial_momentum=0.5, momentum=0.5,
                               momentum_switch_epoch=0, max_norm=6.0, mean_field=mf)
        retrain = DBMTrainConfig(**{**joint.__dict__, "epochs": 3})
        sampling = SamplingConfig(n_samples=2_000, n_chains=500, burn_in=50, thin=10,
                                  init="data")
        likelihood = AISConfig(n_betas=3_000, n_runs=50, n_reverse=50)
        return DBMRecipe((pre, pre), joint, retrain, sampling, mf, likelihood)
    if name == "full":
        pre = TrainConfig(epochs=20, batch_size=100, lr_schedule="log", lr_start=0.03,
                          lr_end=0.003, initial_momentum=0.5, momentum=0.9,
                          momentum_switch_epoch=5)
        mf = MeanFieldConfig(max_iter=10, tol=1e-4)
        joint = DBMTrainConfig(epochs=20, batch_size=500, n_chains=100, lr_start=0.003,
                               lr_end=3e-4, initial_momentum=0.5, momentum=0.5,
                               momentum_switch_epoch=0, max_norm=6.0, mean_field=mf)
        retrain = DBMTrainConfig(**{**joint.__dict__, "epochs": 10})
        sampling = SamplingConfig(n_samples=10_000, n_chains=1_000, burn_in=200, thin=20,
                                  init="data")
        return DBMRecipe((pre, pre), joint, retrain, sampling, mf, AISConfig())
    raise InvalidInputError(f"recipe must be one of {', '.join(map(repr, RECIPES))}; got "
                            f"{name!r}")
