"""Pruning during learning (``pruning.online``): the schedule's times and counts, the
invariants every event keeps (removed weights exactly 0 from then on, no momentum left on
them, units left disconnected removed at the end without changing p(v)), the local criteria
read from the running statistics, RBMs and DBMs alike, and one-line errors."""

from __future__ import annotations

import math

import pytest
import torch

from boltzprune.errors import InvalidInputError, InvalidTypeError
from boltzprune.models import init_rbm
from boltzprune.models.config import MeanFieldConfig
from boltzprune.models.dbm import init_dbm
from boltzprune.models.enumerate import log_marginal_visible
from boltzprune.pruning.config import OnlinePruneConfig
from boltzprune.pruning.criteria import registry
from boltzprune.pruning.online import event_steps, target_densities, train_pruning
from boltzprune.pruning.units import alive_units
from boltzprune.training.cd import train_rbm
from boltzprune.training.config import DBMTrainConfig, TrainConfig


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _data(n: int, n_units: int, seed: int = 0) -> torch.Tensor:
    return (torch.rand(n, n_units, generator=_gen(seed)) < 0.3).float()


RBM_TRAIN = TrainConfig(epochs=4, batch_size=10, persistent=True, lr_schedule="constant",
                        lr_start=0.05, momentum=0.9, initial_momentum=0.9)
DBM_TRAIN = DBMTrainConfig(epochs=3, batch_size=10, n_chains=12, lr_start=0.05,
                           mean_field=MeanFieldConfig(max_iter=5, tol=1e-4))


class _Invariants:
    """A hook run after the pruner: at every update, every removed weight is exactly 0."""

    def __init__(self):
        self.updates = 0

    def __call__(self, state):
        m = state.model
        pairs = [(m.W, m.mask)] if hasattr(m, "W") else list(zip(m.weights, m.masks,
                                                                  strict=True))
        for w, mask in pairs:
            assert bool((w[~mask] == 0).all())
        self.updates += 1


def test_cubic_schedule_and_event_times():
    d = target_densities(0.1, 4)
    assert d[-1] == pytest.approx(0.1) and all(a > b for a, b in zip(d, d[1:], strict=False))
    assert d[0] == pytest.approx(0.1 + 0.9 * 0.75 ** 3)
    cfg = OnlinePruneConfig("variance", final_density=0.5, every=5, start_epoch=2,
                            end_epoch=3)
    assert event_steps(cfg, 12, 3) == [17, 22, 27, 32]
    assert event_steps(OnlinePruneConfig("variance", fraction=0.2, every=12), 12, 2) == [12, 24]


def test_rbm_reaches_the_target_count_and_keeps_removed_weights_at_zero():
    x = _data(120, 9)
    rbm = init_rbm(9, 12, generator=_gen(1))
    cfg = OnlinePruneConfig("variance", final_density=0.25, every=6, start_epoch=2,
                            end_epoch=3)
    check = _Invariants()
    res = train_pruning(rbm, x, RBM_TRAIN, cfg, generator=_gen(2), hooks=[check])
    assert check.updates == 4 * 12
    steps = event_steps(cfg, 12, 4)
    assert [e.step for e in res.events] == steps
    targets = [math.floor(108 * d + 1e-9) for d in target_densities(0.25, len(steps))]
    assert [e.weights[0] for e in res.events] == targets
    assert int(res.trained.mask.sum()) == targets[-1] == 27
    # the last epoch trains without events: the weights left still learn, the cut stay 0
    assert bool((res.trained.W[~res.trained.mask] == 0).all())
    assert res.events[-1].hidden_units[0] == int(res.trained.mask.any(0).sum())


def test_unit_removal_after_training_keeps_p_v():
    x = _data(120, 9, seed=3)
    rbm = init_rbm(9, 12, generator=_gen(4))
    cfg = OnlinePruneConfig("heuristic", final_density=0.08, every=4)
    res = train_pruning(rbm, x, RBM_TRAIN, cfg, generator=_gen(5))
    assert res.removed_units[0].numel() > 0
    assert res.model.n_hidden == 12 - res.removed_units[0].numel()
    torch.testing.assert_close(log_marginal_visible(res.model),
                               log_marginal_visible(res.trained), rtol=0, atol=1e-4)


def test_fixed_fraction_per_event():
    x = _data(100, 8, seed=6)
    rbm = init_rbm(8, 10, generator=_gen(7))
    cfg = OnlinePruneConfig("abs_w", fraction=0.3, every=10)
    res = train_pruning(rbm, x, RBM_TRAIN, cfg, generator=_gen(8))
    counts = [80]
    for _ in range(4):
        counts.append(math.floor(counts[-1] * 0.7 + 1e-9))
    assert [e.weights[0] for e in res.events] == counts[1:]


def test_dbm_events_clear_disconnected_units_and_removal_matches():
    x = _data(60, 10, seed=9)
    dbm = init_dbm([10, 6, 5], generator=_gen(10))
    cfg = OnlinePruneConfig("variance", final_density=0.15, every=3)
    check = _Invariants()
    res = train_pruning(dbm, x, DBM_TRAIN, cfg, generator=_gen(11), hooks=[check])
    assert check.updates == 3 * 6
    # an event with nothing left to cut (units' clearing went past its target) is skipped
    assert {e.step for e in res.events} <= set(event_steps(cfg, 6, 3)) and res.events
    masks = res.trained.masks
    alive = alive_units(masks)
    for l, a in enumerate(alive, start=1):  # a dead unit has no weight left on either side
        assert not bool(masks[l - 1][:, ~a].any())
        if l < len(masks):
            assert not bool(masks[l][~a].any())
    assert res.model.sizes == [10] + [int(a.sum()) for a in alive]
    assert sum(int(m.sum()) for m in res.model.masks) == sum(int(m.sum()) for m in masks)
    assert res.events[-1].weights == [int(m.sum()) for m in masks]
    assert all(w <= math.floor(n * 0.15 + 1e-9) for w, n in
               zip(res.events[-1].weights, (60, 30), strict=True))


def test_local_criteria_read_the_running_statistics():
    x = _data(80, 7, seed=12)
    rbm = init_rbm(7, 6, generator=_gen(13))
    cfg = OnlinePruneConfig("variance", final_density=0.5, every=8, decay=0.9)
    res = train_pruning(rbm, x, RBM_TRAIN, cfg, generator=_gen(14))
    t, m = res.tracker, res.trained
    samples = [torch.zeros(1, 7), torch.zeros(1, 6)]  # ignored by the local criteria
    for name in ("variance", "heuristic"):
        via_registry = registry.importance(name, m, samples, _gen(0),
                                           statistics=t.statistics())[0]
        torch.testing.assert_close(via_registry * m.mask, t.importance(name, m)[0])
    anti = registry.importance("anti_fi", m, samples, _gen(0), statistics=t.statistics())[0]
    torch.testing.assert_close(-anti * m.mask, t.importance("variance", m)[0])


@pytest.mark.parametrize("criterion", ["random", "eigenvector"])
def test_criteria_that_draw_or_need_samples_run_online(criterion):
    x = _data(60, 6, seed=15)
    rbm = init_rbm(6, 5, generator=_gen(16))
    cfg = OnlinePruneConfig(criterion, final_density=0.4, every=6)
    res = train_pruning(rbm, x, RBM_TRAIN, cfg, generator=_gen(17))
    assert int(res.trained.mask.sum()) == 12


def test_same_seed_same_run():
    x = _data(80, 8, seed=18)
    rbm = init_rbm(8, 9, generator=_gen(19))
    cfg = OnlinePruneConfig("random", final_density=0.3, every=5)
    a, b = (train_pruning(rbm, x, RBM_TRAIN, cfg, generator=_gen(20)) for _ in range(2))
    assert torch.equal(a.trained.mask, b.trained.mask)
    assert torch.equal(a.trained.W, b.trained.W)


def test_a_hook_may_not_change_sizes():
    rbm = init_rbm(6, 5, generator=_gen(21))

    def shrink(state):
        state.model.mask = state.model.mask[:, :4]

    with pytest.raises(InvalidInputError, match="hooks may prune weights, units are removed "
                                                "after training"):
        train_rbm(rbm, _data(20, 6), RBM_TRAIN, generator=_gen(22), hooks=[shrink])


@pytest.mark.parametrize("make, error, message", [
    (lambda: OnlinePruneConfig("variance"), InvalidInputError, "give exactly one of"),
    (lambda: OnlinePruneConfig("variance", final_density=0.5, fraction=0.1),
     InvalidInputError, "give exactly one of"),
    (lambda: OnlinePruneConfig("variance", final_density=1.5), InvalidInputError,
     "final_density must be in (0, 1)"),
    (lambda: OnlinePruneConfig("variance", fraction=0.1, start_epoch=3, end_epoch=2),
     InvalidInputError, "end_epoch (2) must not come before start_epoch (3)"),
    (lambda: OnlinePruneConfig("variance", fraction=0.1, phase="both"), InvalidInputError,
     "phase must be one of"),
    (lambda: event_steps(OnlinePruneConfig("variance", fraction=0.1, end_epoch=5), 10, 4),
     InvalidInputError, "end_epoch is 5 but training has 4 epochs"),
    (lambda: event_steps(OnlinePruneConfig("variance", fraction=0.1, every=50), 10, 4),
     InvalidInputError, "no pruning event"),
    (lambda: train_pruning(init_rbm(4, 3, generator=_gen(0)), _data(10, 4), RBM_TRAIN,
                           OnlinePruneConfig("nope", fraction=0.1, every=1),
                           generator=_gen(1)), InvalidInputError, "unknown criterion 'nope'"),
    (lambda: train_pruning(init_rbm(4, 3, generator=_gen(0)), _data(10, 4), DBM_TRAIN,
                           OnlinePruneConfig("variance", fraction=0.1, every=1),
                           generator=_gen(1)), InvalidTypeError,
     "train an RBM with a TrainConfig"),
    (lambda: train_pruning(init_rbm(4, 3, generator=_gen(0)), _data(10, 4), RBM_TRAIN,
                           OnlinePruneConfig("variance", final_density=0.05, every=1),
                           generator=_gen(1)), InvalidInputError, "would leave no weight"),
])
def test_errors_are_one_line(make, error, message):
    with pytest.raises(error) as e:
        make()
    assert message in str(e.value) and "\n" not in str(e.value)


def test_dbm_starting_masks_are_kept():
    """A DBM with a sparse starting mask (as the paper's receptive fields): weights it lacks
    never come back, and the targets count the weights that exist."""
    x = _data(60, 10, seed=23)
    dbm = init_dbm([10, 6, 5], generator=_gen(24))
    start = torch.rand(10, 6, generator=_gen(25)) < 0.5
    dbm.masks[0] = start
    dbm.weights[0].mul_(start)
    cfg = OnlinePruneConfig("heuristic", final_density=0.5, every=6)
    check = _Invariants()
    res = train_pruning(dbm, x, DBM_TRAIN, cfg, generator=_gen(26), hooks=[check])
    masks = res.trained.masks
    assert not bool((masks[0] & ~start).any())
    assert int(masks[0].sum()) <= math.floor(int(start.sum()) * 0.5 + 1e-9)
