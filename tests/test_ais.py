"""AIS, reverse AIS and RAISE against exact answers: unbiasedness of each estimator on
models small enough to enumerate, the default schedule's accuracy on trained RBMs, the DBM
path and the mean-field bound."""

from __future__ import annotations

import itertools
import math

import pytest
import torch

from boltzprune.data.mnist import load_digits
from boltzprune.data.patches import make_patches
from boltzprune.errors import InvalidInputError, InvalidTypeError
from boltzprune.evaluate.ais import (
    AISConfig,
    ais_log_partition,
    ais_schedule,
    base_rate_biases,
    estimate_log_likelihood,
    mean_field_bound,
    raise_log_likelihood,
    reverse_log_partition,
)
from boltzprune.models import RBM, init_rbm
from boltzprune.models.dbm import DBM, MeanFieldConfig, init_dbm
from boltzprune.models.enumerate import all_states, log_likelihood, log_partition
from boltzprune.sampling.config import SamplingConfig
from boltzprune.sampling.gibbs import exact_samples, sample_dbm
from boltzprune.training.cd import train_rbm
from boltzprune.training.config import TrainConfig


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _random_rbm(n_v: int, n_h: int, seed: int, std: float = 1.0):
    g = _gen(seed)
    rbm = init_rbm(n_v, n_h, generator=g, weight_std=std)
    rbm.b_v.copy_(torch.randn(n_v, generator=g))
    rbm.b_h.copy_(torch.randn(n_h, generator=g) * 0.5)
    return rbm


def _random_dbm(sizes: list[int], seed: int, std: float = 1.0) -> DBM:
    g = _gen(seed)
    dbm = init_dbm(sizes, generator=g, weight_std=std)
    for b in dbm.biases:
        b.copy_(torch.randn(b.shape, generator=g) * 0.5)
    return dbm


def _log_mean_exp(x: torch.Tensor) -> float:
    return float(torch.logsumexp(x, 0)) - math.log(x.numel())


def test_schedule_runs_from_0_to_1_in_the_sm08_proportions():
    b = ais_schedule(14_500)
    assert b.shape == (14_501,) and b[0] == 0 and b[-1] == 1
    assert bool((b[1:] > b[:-1]).all())
    assert int((b < 0.5).sum()) == 500 and int(((b >= 0.5) & (b < 0.9)).sum()) == 4_000
    small = ais_schedule(3)
    assert small.tolist() == [0.0, 0.5, 0.9, 1.0]
    with pytest.raises(InvalidInputError, match="n_betas"):
        AISConfig(n_betas=2)


def test_forward_weights_are_unbiased_for_z():
    """E[w] = Z / Z_A at any schedule: 20 temperatures, 200,000 runs."""
    rbm = _random_rbm(6, 5, 0)
    est = ais_log_partition(rbm, AISConfig(n_betas=20, n_runs=200_000), generator=_gen(1))
    assert abs(est.log_z - log_partition(rbm)) < 4 * est.std_err + 1e-3
    assert 1 <= est.ess <= 200_000 and est.direction == "forward"


def test_reverse_weights_from_exact_samples_are_unbiased_for_one_over_z():
    rbm = _random_rbm(6, 5, 2)
    s = exact_samples(rbm, 100_000, generator=_gen(3))
    est = reverse_log_partition(rbm, [s.v, s.h], AISConfig(n_betas=20), generator=_gen(4))
    assert abs(est.log_z - log_partition(rbm)) < 4 * est.std_err + 1e-3
    assert est.direction == "reverse" and est.n_runs == 100_000


def test_raise_estimates_a_normalised_distribution():
    """E[p_hat(v)] is the annealed model's p_ann(v): summed over all v it is 1."""
    rbm = _random_rbm(5, 4, 5)
    v = all_states(5)
    runs = 4_000
    p_hat = raise_log_likelihood(rbm, v.repeat_interleave(runs, 0), AISConfig(n_betas=6),
                                 generator=_gen(6)).view(32, runs)
    log_p_ann = torch.logsumexp(p_hat, 1) - math.log(runs)
    assert abs(float(torch.logsumexp(log_p_ann, 0))) < 0.02
    # with a long schedule the annealed model is the RBM itself
    exact = -rbm.free_energy(v).double() - log_partition(rbm)
    p_long = raise_log_likelihood(rbm, v.repeat_interleave(200, 0), AISConfig(n_betas=500),
                                  generator=_gen(7)).view(32, 200)
    assert torch.allclose(torch.logsumexp(p_long, 1) - math.log(200), exact, atol=0.05)


@pytest.fixture(scope="module")
def patch_rbm():
    """The paper's 13 x 70 RBM, trained briefly on image patches."""
    x = torch.from_numpy(make_patches("tiles", 5_000, seed=0)).float()
    g = _gen(0)
    rbm = init_rbm(13, 70, generator=g, visible_on_fraction=x.mean(0))
    cfg = TrainConfig(epochs=5, batch_size=20, lr_start=0.1, lr_end=0.02)
    return train_rbm(rbm, x, cfg, generator=g).rbm, x


@pytest.fixture(scope="module")
def digit_rbm():
    """A 400 x 16 RBM trained on the bundled digits (exact log Z over the hidden layer)."""
    d = load_digits()
    x = torch.from_numpy(d.x_train).float()
    g = _gen(0)
    rbm = init_rbm(400, 16, generator=g, visible_on_fraction=x.mean(0))
    cfg = TrainConfig(epochs=2, batch_size=50, lr_start=0.05, lr_end=0.01)
    return train_rbm(rbm, x, cfg, generator=g).rbm, x, torch.from_numpy(d.x_test).float()


def test_default_schedule_is_accurate_and_brackets(patch_rbm, digit_rbm):
    """The default (14,500 temperatures, 100 runs) on trained RBMs: forward AIS within
    0.1 nats of the exact log Z on the 13 x 70 model and within 3 standard errors on the
    400 x 16 one (whose run-to-run spread is about 0.08 nats); forward and reverse (from
    exact samples) on either side of the exact value up to their noise."""
    rbm, x = patch_rbm
    exact = log_partition(rbm)
    fwd = ais_log_partition(rbm, generator=_gen(1), base_data=x)
    s = exact_samples(rbm, 100, generator=_gen(2))
    rev = reverse_log_partition(rbm, [s.v, s.h], generator=_gen(3), base_data=x)
    assert abs(fwd.log_z - exact) < 0.1 and abs(rev.log_z - exact) < 0.1
    assert fwd.log_z - 3 * fwd.std_err <= exact <= rev.log_z + 3 * rev.std_err
    rbm, x, _ = digit_rbm
    fwd = ais_log_partition(rbm, generator=_gen(4), base_data=x)
    assert abs(fwd.log_z - log_partition(rbm)) < 3 * fwd.std_err and fwd.std_err < 0.2


def test_masks_are_honoured():
    """AIS of a pruned model estimates the pruned model's log Z, not the full one's."""
    rbm = _random_rbm(6, 5, 5, std=1.5)
    drop = torch.rand(rbm.mask.shape, generator=_gen(5)) < 0.5
    pruned = RBM(rbm.W * ~drop, rbm.b_v, rbm.b_h, ~drop, rbm.hidden_index)
    est = ais_log_partition(pruned, AISConfig(n_betas=20, n_runs=200_000), generator=_gen(6))
    assert abs(est.log_z - log_partition(pruned)) < 4 * est.std_err + 1e-3
    assert abs(log_partition(pruned) - log_partition(rbm)) > 20 * est.std_err


def test_estimate_is_exact_for_small_rbms_and_an_interval_otherwise(patch_rbm, digit_rbm):
    rbm, x = patch_rbm
    est = estimate_log_likelihood(rbm, x[:500], generator=_gen(7))
    assert est.method == "exact" and est.low == est.high
    assert est.value == pytest.approx(log_likelihood(rbm, x[:500]), abs=1e-6)
    rbm, x, xt = digit_rbm
    cfg = AISConfig(n_betas=3_000, n_reverse=50, exact_max_units=10)
    est = estimate_log_likelihood(rbm, xt, cfg, generator=_gen(8), base_data=x)
    exact = log_likelihood(rbm, xt)
    assert est.method == "AIS + RAISE" and est.n_patterns == len(xt)
    assert est.log_z.n_runs == 100 and est.log_z_reverse.n_runs == 50
    lo, hi = est.interval
    assert lo - 1.0 < exact < hi + 1.0 and hi - lo < 3.0


def test_dbm_ais_against_enumeration():
    dbm = _random_dbm([7, 6, 5], 9)
    exact = log_partition(dbm)
    fwd = ais_log_partition(dbm, AISConfig(n_betas=20, n_runs=100_000), generator=_gen(10))
    assert abs(fwd.log_z - exact) < 4 * fwd.std_err + 1e-3  # unbiased at any schedule
    fwd = ais_log_partition(dbm, AISConfig(n_betas=2_000), generator=_gen(11))
    assert abs(fwd.log_z - exact) < 0.1
    samples = sample_dbm(dbm, SamplingConfig(n_samples=500, n_chains=500, burn_in=500),
                         generator=_gen(12))
    rev = reverse_log_partition(dbm, samples, AISConfig(n_betas=2_000), generator=_gen(13))
    assert abs(rev.log_z - exact) < 0.1


def _dbm_exact_log_p(dbm: DBM, v: torch.Tensor) -> torch.Tensor:
    """log p(v) of a tiny DBM by summing every hidden configuration."""
    n1, n2 = dbm.sizes[1:]
    hs = torch.tensor(list(itertools.product([0.0, 1.0], repeat=n1 + n2)))
    h1, h2 = hs[:, :n1], hs[:, n1:]
    neg_e = torch.stack([-dbm.energy([row.expand(len(hs), -1), h1, h2]) for row in v])
    return torch.logsumexp(neg_e.double(), 1) - log_partition(dbm)


def test_mean_field_bound_is_below_log_p_and_tight_for_a_weakly_coupled_dbm():
    dbm = _random_dbm([6, 5, 4], 14, std=1.0)
    v = all_states(6)
    exact = _dbm_exact_log_p(dbm, v)
    bound = mean_field_bound(dbm, v, MeanFieldConfig(max_iter=200, tol=1e-9)) \
        - log_partition(dbm)
    assert bool((bound <= exact + 1e-9).all())
    weak = _random_dbm([6, 5, 4], 14, std=0.05)
    bound = mean_field_bound(weak, v, MeanFieldConfig(max_iter=200, tol=1e-9)) \
        - log_partition(weak)
    assert torch.allclose(bound, _dbm_exact_log_p(weak, v), atol=0.01)


def test_dbm_estimate_brackets_the_exact_bound():
    dbm = _random_dbm([7, 6, 5], 15)
    v = all_states(7)[::3]
    samples = sample_dbm(dbm, SamplingConfig(n_samples=200, n_chains=200, burn_in=300),
                         generator=_gen(16))
    mf = MeanFieldConfig(max_iter=100, tol=1e-8)
    est = estimate_log_likelihood(dbm, v, AISConfig(n_betas=1_000), generator=_gen(17),
                                  model_samples=samples, mean_field=mf)
    exact = float(mean_field_bound(dbm, v, mf).mean()) - log_partition(dbm)
    assert est.method == "AIS bound" and est.log_z_reverse is not None
    lo, hi = est.interval
    assert lo - 0.05 < exact < hi + 0.05


def test_bad_input_is_refused(tiny_rbm):
    with pytest.raises(InvalidTypeError, match="AISConfig"):
        ais_log_partition(tiny_rbm, {"n_betas": 10}, generator=_gen(0))
    with pytest.raises(InvalidTypeError, match="RBM or a DBM"):
        ais_log_partition("model", generator=_gen(0))
    with pytest.raises(InvalidInputError, match="columns|binary|n_visible"):
        estimate_log_likelihood(tiny_rbm, torch.ones(3, 4), generator=_gen(0))
    with pytest.raises(InvalidInputError, match="2 tensors"):
        reverse_log_partition(tiny_rbm, [torch.ones(3, 5)], generator=_gen(0))
    with pytest.raises(InvalidTypeError, match="RBMs"):
        raise_log_likelihood(_random_dbm([3, 2, 2], 0), torch.ones(2, 3), generator=_gen(0))


def test_base_rate_biases_are_finite_for_constant_pixels():
    x = torch.zeros(10, 3)
    x[:, 1] = 1
    x[:5, 2] = 1
    b = base_rate_biases(x)
    assert torch.isfinite(b).all() and b[0] < -6 and b[1] > 6 and abs(float(b[2])) < 1e-6
