"""Running local statistics during training (``fisher.running.RunningFisher`` as a training
hook): equal to a direct bias-corrected moving average of the same chain states, for CD,
PCD and DBM training, in either phase; tracking the exact FI diagonal of a small RBM; and
one-line errors."""

from __future__ import annotations

import re

import pytest
import torch

from boltzprune.errors import InvalidInputError, InvalidTypeError
from boltzprune.fisher.diagonal import heuristic_fi_from_rates, variance_fi_from_rates
from boltzprune.fisher.exact import exact_fim
from boltzprune.fisher.running import RunningFisher
from boltzprune.fisher.stats import parameter_blocks
from boltzprune.models import init_rbm
from boltzprune.models.config import MeanFieldConfig
from boltzprune.models.dbm import init_dbm
from boltzprune.training.cd import train_rbm
from boltzprune.training.config import DBMTrainConfig, TrainConfig
from boltzprune.training.dbm import train_dbm


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _data(n: int, n_units: int, seed: int = 0) -> torch.Tensor:
    return (torch.rand(n, n_units, generator=_gen(seed)) < 0.3).float()


class _Recorder:
    """A hook that keeps copies of every update's layer states."""

    def __init__(self):
        self.model, self.data = [], []

    def __call__(self, state):
        self.model.append([t.double().clone() for t in state.model_phase])
        self.data.append([t.double().clone() for t in state.data_phase])


def _close(tracked: torch.Tensor, direct: torch.Tensor) -> None:
    """The tracker's float32 averages against the direct float64 ones."""
    torch.testing.assert_close(tracked.double(), direct, rtol=0, atol=1e-5)


def _direct(states: list[list[torch.Tensor]], decay: float):
    """Bias-corrected moving averages of the rates and coincidences, from scratch."""
    L = len(states[0])
    rates = [torch.zeros(states[0][l].shape[1], dtype=torch.float64) for l in range(L)]
    coinc = [torch.zeros(states[0][l].shape[1], states[0][l + 1].shape[1],
                         dtype=torch.float64) for l in range(L - 1)]
    for x in states:
        n = x[0].shape[0]
        rates = [decay * r + (1 - decay) * x[l].mean(0) for l, r in enumerate(rates)]
        coinc = [decay * c + (1 - decay) * x[l].T @ x[l + 1] / n for l, c in enumerate(coinc)]
    scale = 1 / (1 - decay ** len(states))
    return [r * scale for r in rates], [c * scale for c in coinc]


@pytest.mark.parametrize("persistent, phase, decay", [(True, "model", 0.9),
                                                      (False, "model", 0.0),
                                                      (False, "data", 0.95)])
def test_rbm_statistics_are_the_moving_average_of_the_chain_states(persistent, phase, decay):
    x = _data(120, 9)
    rbm = init_rbm(9, 7, generator=_gen(1))
    tracker, rec = RunningFisher(rbm, decay=decay, phase=phase), _Recorder()
    cfg = TrainConfig(epochs=3, batch_size=10, k=2, persistent=persistent,
                      lr_schedule="constant", lr_start=0.05)
    trained = train_rbm(rbm, x, cfg, generator=_gen(2), hooks=[rec, tracker]).rbm
    assert tracker.n_updates == len(rec.model) == 36
    rates, coinc = _direct(rec.model if phase == "model" else rec.data, decay)
    for l in range(2):
        _close(tracker.rates(l), rates[l])
    _close(tracker.coincidence(0), coinc[0])
    var, heur = (tracker.importance(c, trained)[0] for c in ("variance", "heuristic"))
    torch.testing.assert_close(var, variance_fi_from_rates(coinc[0]))
    torch.testing.assert_close(heur, heuristic_fi_from_rates(rates[0], rates[1], trained.W))


def test_hooks_do_not_change_training():
    """With a hook, batch-1 training runs the PyTorch path, which draws the same random
    numbers as the compiled loop: the same model up to float rounding."""
    x = _data(60, 8)
    rbm = init_rbm(8, 6, generator=_gen(3))
    cfg = TrainConfig(epochs=2)
    plain = train_rbm(rbm, x, cfg, generator=_gen(4)).rbm
    hooked = train_rbm(rbm, x, cfg, generator=_gen(4), hooks=[RunningFisher(rbm)]).rbm
    torch.testing.assert_close(hooked.W, plain.W, rtol=0, atol=1e-5)


def test_dbm_statistics_are_the_moving_average_of_the_chain_states():
    x = _data(80, 10)
    dbm = init_dbm([10, 6, 4], generator=_gen(5))
    tracker, data_tracker, rec = RunningFisher(dbm, decay=0.8), \
        RunningFisher(dbm, decay=0.8, phase="data"), _Recorder()
    cfg = DBMTrainConfig(epochs=2, batch_size=20, n_chains=15,
                         mean_field=MeanFieldConfig(max_iter=5, tol=1e-4))
    trained = train_dbm(dbm, x, cfg, generator=_gen(6), hooks=[rec, tracker, data_tracker])
    for t, states in ((tracker, rec.model), (data_tracker, rec.data)):
        rates, coinc = _direct(states, 0.8)
        for l in range(3):
            _close(t.rates(l), rates[l])
        for l in range(2):
            _close(t.coincidence(l), coinc[l])
    imp = tracker.importance("heuristic", trained)
    assert [tuple(f.shape) for f in imp] == [(10, 6), (6, 4)]


def test_running_variance_tracks_the_exact_fisher_diagonal():
    """PCD on a 9 x 12 RBM: the model-phase running estimate of eq. 4 correlates with the
    exact FI diagonal of the weights (enumeration) at the end of training."""
    x = _data(2_000, 9, seed=7)
    rbm = init_rbm(9, 12, generator=_gen(8))
    tracker = RunningFisher(rbm, decay=0.995)
    cfg = TrainConfig(epochs=10, batch_size=20, persistent=True, lr_schedule="constant",
                      lr_start=0.01, momentum=0.5, initial_momentum=0.5)
    trained = train_rbm(rbm, x, cfg, generator=_gen(9), hooks=[tracker]).rbm
    exact = parameter_blocks(torch.diagonal(exact_fim(trained)), 9, 12)["W"]
    est = tracker.importance("variance", trained)[0].double()
    r = torch.corrcoef(torch.stack([est.flatten(), exact.double().flatten()]))[0, 1]
    assert r > 0.9


def test_masks_and_unit_removal():
    rbm = init_rbm(6, 5, generator=_gen(10))
    rbm.mask[0, :] = False
    rbm.W[0, :] = 0
    tracker = RunningFisher(rbm, decay=0.5)
    train_rbm(rbm, _data(40, 6), TrainConfig(epochs=1, batch_size=10), generator=_gen(11),
              hooks=[tracker])
    assert (tracker.importance("variance", rbm)[0][0] == 0).all()
    before = tracker.coincidence(0)
    tracker.keep_units(1, torch.tensor([0, 2, 4]))
    assert tracker.sizes == [6, 3]
    torch.testing.assert_close(tracker.coincidence(0), before[:, [0, 2, 4]])


@pytest.mark.parametrize("make, error, message", [
    (lambda r: RunningFisher(r, decay=1.0), InvalidInputError, "decay must be in [0, 1)"),
    (lambda r: RunningFisher(r, phase="both"), InvalidInputError, "phase must be one of"),
    (lambda r: RunningFisher("rbm"), InvalidTypeError, "model must be an RBM or a DBM"),
    (lambda r: RunningFisher(r).rates(0), InvalidInputError, "no update seen yet"),
    (lambda r: RunningFisher(r).importance("abs_w", r), InvalidInputError,
     "criterion must be one of"),
    (lambda r: train_rbm(r, _data(10, 6), generator=_gen(0), hooks=print), InvalidTypeError,
     "hooks must be a list of callables"),
])
def test_errors(make, error, message):
    rbm = init_rbm(6, 5, generator=_gen(12))
    with pytest.raises(error, match=re.escape(message)):
        make(rbm)
