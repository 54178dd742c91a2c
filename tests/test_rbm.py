import math

import pytest
import torch

from boltzprune.errors import InvalidInputError
from boltzprune.evaluate import all_states, log_likelihood, log_marginal_visible, log_partition
from boltzprune.models import RBM, init_rbm
from boltzprune.pruning.units import remove_dead_hidden
from tests.conftest import all_joint_states


def _brute_log_z(rbm: RBM) -> float:
    v, h = all_joint_states(rbm.n_visible, rbm.n_hidden)
    e = -(v @ rbm.b_v.double()) - (h @ rbm.b_h.double()) - ((v @ rbm.W.double()) * h).sum(1)
    return float(torch.logsumexp(-e, 0))


def test_log_partition_equals_brute_force(tiny_rbm):
    assert log_partition(tiny_rbm) == pytest.approx(_brute_log_z(tiny_rbm), abs=1e-9)


def test_log_partition_enumerating_hidden_layer():
    g = torch.Generator().manual_seed(3)
    rbm = init_rbm(7, 3, generator=g, weight_std=1.5)  # n_h < n_v: sums over h states
    assert log_partition(rbm) == pytest.approx(_brute_log_z(rbm), abs=1e-9)


def test_free_energy_and_energy_agree(tiny_rbm):
    v, h = all_joint_states(5, 4)
    v, h = v.float(), h.float()
    e = tiny_rbm.energy(v, h).double().reshape(32, 16)
    f = -torch.logsumexp(-e, 1)
    assert torch.allclose(tiny_rbm.free_energy(v.reshape(32, 16, 5)[:, 0]).double(), f,
                          atol=1e-5)


def test_conditionals_match_enumeration(tiny_rbm):
    v = torch.tensor([[1.0, 0, 1, 1, 0]])
    h = all_states(4)
    logw = -tiny_rbm.energy(v.expand(16, 5), h).double()
    p = torch.softmax(logw, 0)
    marg = (p[:, None] * h.double()).sum(0)
    assert torch.allclose(tiny_rbm.p_h(v)[0].double(), marg, atol=1e-6)


def test_log_likelihood_and_marginals(tiny_rbm):
    logp = log_marginal_visible(tiny_rbm)
    assert float(logp.exp().sum()) == pytest.approx(1.0, abs=1e-12)
    data = all_states(5)[[3, 3, 17, 30]]
    expect = float(logp[[3, 3, 17, 30]].mean())
    assert log_likelihood(tiny_rbm, data) == pytest.approx(expect, abs=1e-9)


def test_init_as_in_paper():
    g = torch.Generator().manual_seed(0)
    frac = torch.tensor([0.25, 0.5, 0.0])
    rbm = init_rbm(3, 2000, generator=g, visible_on_fraction=frac)
    assert rbm.b_v[0].item() == pytest.approx(math.log(0.25 / 0.75), abs=1e-6)
    assert rbm.b_v[1].item() == pytest.approx(0.0, abs=1e-6)
    assert torch.isfinite(rbm.b_v).all()  # an all-off pixel is clipped, not -inf
    assert (rbm.b_h == -2).all()
    assert rbm.W.std().item() == pytest.approx(0.1, rel=0.05)
    assert rbm.mask.all() and rbm.n_weights == 6000


def test_unit_removal_keeps_the_model_on_remaining_units(tiny_rbm):
    rbm = tiny_rbm.clone()
    rbm.mask[:, [1, 3]] = False
    rbm.W[:, [1, 3]] = 0
    small, removed = remove_dead_hidden(rbm)
    assert removed.tolist() == [1, 3]
    assert small.hidden_index.tolist() == [0, 2]
    assert small.W.shape == (5, 2)
    # p(v) is unchanged: a hidden unit without weights only rescales Z
    assert torch.allclose(log_marginal_visible(small), log_marginal_visible(rbm), atol=1e-10)
    v = all_states(5)
    assert torch.allclose(small.p_h(v), rbm.p_h(v)[:, [0, 2]])


def test_removing_every_unit_is_refused(tiny_rbm):
    rbm = tiny_rbm.clone()
    rbm.mask[:] = False
    with pytest.raises(ValueError, match="disconnected every unit of hidden layer 1"):
        remove_dead_hidden(rbm)


@pytest.mark.parametrize("kwargs, match", [
    ({"n_visible": 0, "n_hidden": 3}, "n_visible must be an integer >= 1"),
    ({"n_visible": 3, "n_hidden": 2.5}, "n_hidden must be an integer"),
    ({"n_visible": 3, "n_hidden": 2, "mask": torch.ones(2, 3, dtype=torch.bool)},
     r"mask must have shape \(3, 2\)"),
    ({"n_visible": 3, "n_hidden": 2, "visible_on_fraction": torch.ones(4)},
     r"visible_on_fraction must have shape \(3,\)"),
])
def test_init_validation(kwargs, match):
    with pytest.raises(InvalidInputError, match=match):
        init_rbm(generator=torch.Generator().manual_seed(0), **kwargs)


def test_from_tensors_validation(tiny_rbm):
    t = tiny_rbm.tensors()
    t["b_h"] = torch.zeros(7)
    with pytest.raises(InvalidInputError, match="bias shapes"):
        RBM.from_tensors(t)
    with pytest.raises(InvalidInputError, match="missing"):
        RBM.from_tensors({"W": tiny_rbm.W})
    t = tiny_rbm.tensors()
    t["hidden_index"] = torch.arange(tiny_rbm.n_hidden + 1)
    with pytest.raises(InvalidInputError, match=r"hidden_index must have shape \(4,\)"):
        RBM.from_tensors(t)
    t = tiny_rbm.tensors()
    t["W"] = tiny_rbm.W.reshape(-1)
    with pytest.raises(InvalidInputError, match="W must be 2-D"):
        RBM.from_tensors(t)


def test_enumeration_limit():
    g = torch.Generator().manual_seed(0)
    with pytest.raises(InvalidInputError, match="at most 24"):
        log_partition(init_rbm(30, 30, generator=g))
