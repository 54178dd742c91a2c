import math

import pytest
import torch

from boltzprune.errors import InvalidInputError, InvalidTypeError
from boltzprune.fisher import (
    bias_fi,
    exact_fim,
    fim_eigen,
    heuristic_fi,
    parameter_blocks,
    sampled_fim,
    sufficient_statistics,
    variance_fi,
)
from boltzprune.sampling import SamplingConfig, sample_rbm
from tests.conftest import all_joint_states

V = torch.tensor([[1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 1.0]])
H = torch.tensor([[1.0], [1.0], [0.0], [0.0]])


def _brute_fim(rbm):
    v, h = all_joint_states(rbm.n_visible, rbm.n_hidden)
    e = -(v @ rbm.b_v.double()) - (h @ rbm.b_h.double()) - ((v @ rbm.W.double()) * h).sum(1)
    p = torch.softmax(-e, 0)
    s = sufficient_statistics(v, h)
    mean = p @ s
    return (s * p[:, None]).T @ s - torch.outer(mean, mean)


def test_exact_fim_equals_brute_force(tiny_rbm):
    assert torch.allclose(exact_fim(tiny_rbm), _brute_fim(tiny_rbm), atol=1e-10)


def test_sampled_fim_agrees_with_exact_within_sampling_error(tiny_rbm):
    cfg = SamplingConfig(n_samples=100_000, n_chains=2_000, burn_in=100, thin=5)
    s = sample_rbm(tiny_rbm, cfg, generator=torch.Generator().manual_seed(0))
    F, Fx = sampled_fim(s.v, s.h), exact_fim(tiny_rbm)
    # entries are covariances of 0/1 variables: sd of the estimate <= 0.5/sqrt(n) ~ 0.0016
    assert (F - Fx).abs().max() < 0.01
    assert torch.allclose(F.diagonal(), Fx.diagonal(), atol=0.006)
    lead = fim_eigen(F, tiny_rbm.mask, k=1).values[0]
    assert float(lead) == pytest.approx(float(fim_eigen(Fx, tiny_rbm.mask, k=1).values[0]),
                                        rel=0.02)


def test_exact_sampler_matches_exact_fim(tiny_rbm):
    cfg = SamplingConfig(n_samples=100_000, method="exact")
    s = sample_rbm(tiny_rbm, cfg, generator=torch.Generator().manual_seed(1))
    assert (sampled_fim(s.v, s.h) - exact_fim(tiny_rbm)).abs().max() < 0.01


def test_variance_fi_by_hand():
    # <v_1 h> = 2/4, <v_2 h> = 1/4
    assert variance_fi(V, H)[:, 0].tolist() == pytest.approx([0.25, 0.1875])


def test_variance_fi_is_the_fim_diagonal():
    F = sampled_fim(V, H)
    assert torch.allclose(parameter_blocks(F.diagonal(), 2, 1)["W"].float(), variance_fi(V, H))
    assert torch.allclose(parameter_blocks(F.diagonal(), 2, 1)["b_v"].float(), bias_fi(V))


def test_heuristic_fi_by_hand():
    W = torch.tensor([[0.5], [-1.0]])
    # <v> = (0.75, 0.75), <h> = 0.5: q_i = 0.5 * sigma(logit(0.75) + w_i * 0.5)
    sig = lambda x: 1 / (1 + math.exp(-x))  # noqa: E731
    q = [0.5 * sig(math.log(3) + w * 0.5) for w in (0.5, -1.0)]
    assert heuristic_fi(V, H, W)[:, 0].tolist() == pytest.approx([x * (1 - x) for x in q],
                                                                 rel=1e-6)


def test_heuristic_fi_is_exactly_zero_for_a_unit_that_never_fires():
    # paper eq. 10 at its limits: a rate of 0 gives q = 0, a rate of 1 gives q = <h_j>
    v = torch.tensor([[0.0, 1.0, 1.0], [0.0, 1.0, 0.0], [0.0, 1.0, 1.0], [0.0, 1.0, 0.0]])
    h = torch.tensor([[1.0, 0.0], [0.0, 0.0], [1.0, 0.0], [1.0, 0.0]])  # <h> = (0.75, 0)
    W = torch.tensor([[2.0, 1.0], [-3.0, 1.0], [0.5, 1.0]])
    out = heuristic_fi(v, h, W)
    assert out[0].tolist() == [0.0, 0.0]  # visible unit 0 never fires
    assert out[:, 1].tolist() == [0.0, 0.0, 0.0]  # hidden unit 1 never fires
    assert out[1, 0].item() == pytest.approx(0.75 * 0.25, rel=1e-6)  # q = <h> when <v> = 1
    sig = 1 / (1 + math.exp(-(0.5 * 0.25)))  # <v_2> = 0.5: logit 0
    assert out[2, 0].item() == pytest.approx(0.75 * sig * (1 - 0.75 * sig), rel=1e-6)
    assert torch.isfinite(out).all()


def test_heuristic_fi_zero_rate_makes_the_zero_rule_cut_the_pixel():
    from boltzprune.pruning.step import prune_mask

    v = torch.tensor([[0.0, 1.0, 1.0, 0.0]] * 3 + [[0.0, 0.0, 1.0, 1.0]])  # pixel 0 never on
    h = torch.tensor([[1.0, 1.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    imp = heuristic_fi(v, h, torch.full((4, 2), 0.3))
    mask = torch.ones(4, 2, dtype=torch.bool)
    g = torch.Generator().manual_seed(0)
    new = prune_mask(mask, imp, 0.1, generator=g, zero_rule=True)
    assert not new[0].any() and new[1:].all()  # both weights of the silent pixel, no other


def test_fim_eigen_blocks_and_mask():
    n_v, n_h = 2, 3
    P = n_v * n_h + n_v + n_h
    d = torch.arange(1, P + 1, dtype=torch.float64)
    mask = torch.ones(n_v, n_h, dtype=torch.bool)
    mask[1, 2] = False  # the largest weight coordinate (index 5) no longer exists
    eig = fim_eigen(torch.diag(d), mask, k=3)
    assert eig.values.tolist() == [11.0, 10.0, 9.0]
    assert eig.vectors[5].abs().sum() == 0
    assert eig.blocks(0)["b_h"].tolist() == [0.0, 0.0, 1.0]
    assert eig.blocks(2)["b_h"].tolist() == [1.0, 0.0, 0.0]


@pytest.mark.parametrize("fn", [variance_fi, sampled_fim])
def test_sample_validation(fn):
    with pytest.raises(InvalidInputError, match="same number of rows|equal rows"):
        fn(torch.zeros(3, 2), torch.zeros(4, 1))
    with pytest.raises(InvalidInputError, match="empty"):
        fn(torch.zeros(0, 2), torch.zeros(0, 1))


def test_sampling_validation(tiny_rbm):
    g = torch.Generator().manual_seed(0)
    # config values: tests/test_validation.py
    with pytest.raises(InvalidInputError, match="needs data"):
        sample_rbm(tiny_rbm, SamplingConfig(init="data"), generator=g)
    with pytest.raises(InvalidTypeError, match="must be a SamplingConfig, got dict"):
        sample_rbm(tiny_rbm, {"thin": 1}, generator=g)


def test_gibbs_thinning_and_count(tiny_rbm):
    cfg = SamplingConfig(n_samples=250, n_chains=100, burn_in=3, thin=2, init="random")
    s = sample_rbm(tiny_rbm, cfg, generator=torch.Generator().manual_seed(0))
    assert s.v.shape == (250, 5) and s.h.shape == (250, 4)
    assert set(s.v.unique().tolist()) <= {0.0, 1.0}
