"""The training settings: CD/PCD training of an RBM (``TrainConfig``, the paper's and the
authors' code's schedules) and joint training of a DBM (``DBMTrainConfig``). Torch-free, so
that configs are built (and the command line answers) without loading torch; the training
loops live in ``cd.py`` and ``dbm.py`` (which re-export these)."""

from __future__ import annotations

from dataclasses import dataclass

from boltzprune._validate import (
    check_bool,
    check_choice,
    check_positive_float,
    check_positive_int,
)
from boltzprune.errors import InvalidInputError, InvalidTypeError
from boltzprune.models.config import MeanFieldConfig
from boltzprune.training.schedules import check_schedule

__all__ = ["TrainConfig", "PAPER_RBM", "AUTHORS_CODE_RBM", "DBMTrainConfig", "BACKENDS"]

BACKENDS = ("auto", "torch", "compiled")


@dataclass(frozen=True)
class TrainConfig:
    """Hyperparameters of CD/PCD training. Defaults: the paper's RBM schedule (4.3.1)."""

    epochs: int = 2  # passes over the data
    batch_size: int = 1  # 1 = online updates, as in the paper
    k: int = 1  # Gibbs steps in the negative phase (CD-k / PCD-k)
    persistent: bool = False  # PCD: negative chains persist across updates
    lr_schedule: str = "log"  # "log" (log-decay start -> end over epochs) or "constant"
    lr_start: float = 0.1  # learning rate of the first epoch
    lr_end: float = 0.01  # learning rate of the last epoch ("log" only)
    momentum: float = 0.9  # momentum after the switch epoch
    initial_momentum: float = 0.9  # momentum before the switch epoch
    momentum_switch_epoch: int = 0  # epochs run with initial_momentum
    max_abs_weight: float = 1e3  # |w| above this counts as divergence
    backend: str = "auto"  # "auto", "torch" or "compiled" (compiled: batch 1 on CPU only;
    #                        "auto" picks it for models of up to 20,000 weights)
    up_factor: float = 1.0  # p(h|v) = sigma(up_factor * v W + b_h); 2 = DBM pretraining
    down_factor: float = 1.0  # p(v|h) = sigma(down_factor * W h + b_v); 2 = DBM pretraining

    def __post_init__(self) -> None:
        check_schedule(self)
        check_positive_int("k", self.k)
        check_bool("persistent", self.persistent)
        check_positive_float("max_abs_weight", self.max_abs_weight)
        check_choice("backend", self.backend, BACKENDS)
        check_positive_float("up_factor", self.up_factor)
        check_positive_float("down_factor", self.down_factor)
        if self.backend == "compiled" and (self.batch_size != 1 or self.up_factor != 1
                                           or self.down_factor != 1):
            raise InvalidInputError(
                "backend 'compiled' needs batch_size 1 and up/down factors 1; got batch_size "
                f"{self.batch_size}, up_factor {self.up_factor:g}, down_factor "
                f"{self.down_factor:g}")


# The schedule the paper states (section 4.3.1).
PAPER_RBM = TrainConfig()
# The schedule the authors' code effectively ran (DESIGN.md 3): every schedule skipped its
# first entry (lr 0.01 for both epochs) and the momentum update dW <- lr * (m dW + g) makes
# the effective momentum lr * m = 0.009.
AUTHORS_CODE_RBM = TrainConfig(lr_schedule="constant", lr_start=0.01, lr_end=0.01,
                               momentum=0.009, initial_momentum=0.009)


@dataclass(frozen=True)
class DBMTrainConfig:
    """Joint training of a DBM (Salakhutdinov & Larochelle 2010; paper 4.3.2)."""

    epochs: int = 20  # paper: 20 (10 when retraining after pruning)
    batch_size: int = 100  # paper: 1 (online); minibatches are far faster on a CPU
    n_chains: int = 100  # persistent chains for the negative phase (paper 100; its code 1000)
    gibbs_steps: int = 1  # Gibbs sweeps of the chains per update
    lr_schedule: str = "log"  # "log" or "constant"
    lr_start: float = 0.01
    lr_end: float = 0.001
    momentum: float = 0.9  # after the switch epoch
    initial_momentum: float = 0.5  # paper: 0.5 for the first 5 epochs
    momentum_switch_epoch: int = 5
    max_norm: float = 6.0  # cap on the L2 norm of each unit's incoming weights
    mean_field: MeanFieldConfig = MeanFieldConfig()  # positive-phase inference

    def __post_init__(self) -> None:
        check_schedule(self)
        check_positive_int("n_chains", self.n_chains)
        check_positive_int("gibbs_steps", self.gibbs_steps)
        check_positive_float("max_norm", self.max_norm)
        if not isinstance(self.mean_field, MeanFieldConfig):
            raise InvalidTypeError(f"mean_field must be a MeanFieldConfig, got "
                                   f"{type(self.mean_field).__name__}")
