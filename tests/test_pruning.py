import pytest
import torch

from boltzprune.evaluate import log_marginal_visible
from boltzprune.models import init_rbm
from boltzprune.pruning import (
    BUILTIN_CRITERIA,
    ImportanceContext,
    PruneConfig,
    available_criteria,
    compute_importance,
    n_to_remove,
    prune_mask,
    prune_rbm,
    prune_retrain,
    register_criterion,
)
from boltzprune.pruning.criteria import registry
from boltzprune.sampling import SamplingConfig, sample_rbm
from boltzprune.training import TrainConfig

G = torch.Generator


def test_paper_counts():
    n, left = 910, []
    for _ in range(3):
        n -= n_to_remove(n, 0.5)
        left.append(n)
    assert left == [455, 227, 113]


def test_prune_mask_cuts_the_least_important():
    mask = torch.ones(2, 3, dtype=torch.bool)
    imp = torch.tensor([[5.0, 1.0, 3.0], [0.5, 4.0, 2.0]])
    new = prune_mask(mask, imp, 0.5, generator=G().manual_seed(0))
    assert new.tolist() == [[True, False, True], [False, True, False]]


def test_removed_weights_are_not_ranked_again():
    mask = torch.tensor([[True, False], [True, True]])
    imp = torch.tensor([[3.0, -100.0], [1.0, 2.0]])  # the removed weight's score is ignored
    new = prune_mask(mask, imp, 0.5, generator=G().manual_seed(0))
    assert new.tolist() == [[True, False], [False, False]]  # 3 weights, floor(1.5) = 1 kept


def test_ties_are_broken_at_random_but_seeded():
    mask = torch.ones(10, 10, dtype=torch.bool)
    imp = torch.zeros(10, 10)
    a = prune_mask(mask, imp, 0.5, generator=G().manual_seed(1))
    b = prune_mask(mask, imp, 0.5, generator=G().manual_seed(1))
    c = prune_mask(mask, imp, 0.5, generator=G().manual_seed(2))
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert int(a.sum()) == 50


def test_zero_rule_removes_every_zero():
    mask = torch.ones(1, 10, dtype=torch.bool)
    imp = torch.tensor([[0.0, 0, 0, 0, 1, 2, 3, 4, 5, 6]])
    assert int(prune_mask(mask, imp, 0.1, generator=G().manual_seed(0)).sum()) == 9
    new = prune_mask(mask, imp, 0.1, generator=G().manual_seed(0), zero_rule=True)
    assert new.tolist() == [[False] * 4 + [True] * 6]
    # anti-FI ranks by -FI: zero-FI weights are the most important there, the rule is off
    anti = prune_mask(mask, -imp, 0.1, generator=G().manual_seed(0), zero_rule=True)
    assert int(anti.sum()) == 9 and not anti[0, 9]


@pytest.mark.parametrize("fraction", [0, 1, 1.5, -0.1, float("nan")])
def test_fraction_validation(fraction):
    with pytest.raises(ValueError, match=r"fraction must be in \(0, 1\)"):
        prune_mask(torch.ones(2, 2, dtype=torch.bool), torch.zeros(2, 2), fraction,
                   generator=G().manual_seed(0))


def test_prune_mask_validation():
    g = G().manual_seed(0)
    with pytest.raises(TypeError, match="mask must be a 2-D boolean"):
        prune_mask(torch.ones(2, 2), torch.zeros(2, 2), 0.5, generator=g)
    with pytest.raises(ValueError, match="importance must be a torch.Tensor of the mask's shape"):
        prune_mask(torch.ones(2, 2, dtype=torch.bool), torch.zeros(3, 2), 0.5, generator=g)
    with pytest.raises(ValueError, match="would remove all"):
        prune_mask(torch.tensor([[True, False]]), torch.zeros(1, 2), 0.5, generator=g)
    with pytest.raises(ValueError, match="NaN"):
        prune_mask(torch.ones(1, 2, dtype=torch.bool), torch.tensor([[0.0, float("nan")]]),
                   0.5, generator=g)


def test_prune_rbm_removes_dead_units_and_keeps_the_function():
    rbm = init_rbm(4, 3, generator=G().manual_seed(0), weight_std=1.0)
    imp = torch.ones(4, 3)
    imp[:, 1] = 0  # hidden unit 1 loses every weight
    imp[0, 0] = 0.5
    res = prune_rbm(rbm, imp, 0.4, generator=G().manual_seed(0))
    assert res.n_removed_weights == 5
    assert res.removed_hidden.tolist() == [1]
    assert res.rbm.hidden_index.tolist() == [0, 2]
    assert res.rbm.W[0, 0] == 0 and not res.rbm.mask[0, 0]
    # same function on the remaining units as the masked model before unit removal
    masked = rbm.clone()
    masked.mask[:, 1] = False
    masked.mask[0, 0] = False
    masked.W *= masked.mask
    assert torch.allclose(log_marginal_visible(res.rbm), log_marginal_visible(masked))


def test_criteria_registry(tiny_rbm):
    assert set(BUILTIN_CRITERIA) == {"variance", "heuristic", "eigenvector", "abs_w", "random",
                                     "anti_fi"}
    s = sample_rbm(tiny_rbm, SamplingConfig(n_samples=2000, method="exact"),
                   generator=G().manual_seed(0))
    ctx = ImportanceContext(tiny_rbm, s, G().manual_seed(0))
    for name in BUILTIN_CRITERIA:
        imp = compute_importance(name, ctx)
        assert imp.shape == (5, 4) and torch.isfinite(imp).all()
    assert torch.equal(compute_importance("anti_fi", ctx), -compute_importance("variance", ctx))
    assert torch.equal(compute_importance("abs_w", ctx), tiny_rbm.W.abs())

    @register_criterion("hidden_rate_test")
    def rate(c):
        return c.samples.h.mean(0).expand(c.rbm.n_visible, -1).clone()

    try:
        assert "hidden_rate_test" in available_criteria()
        out = compute_importance("hidden_rate_test", ctx)
        assert torch.allclose(out[0], s.h.mean(0))
        with pytest.raises(ValueError, match="already registered"):
            register_criterion("hidden_rate_test", rate)
        register_criterion("bad_shape_test", lambda c: torch.zeros(2))
        with pytest.raises(ValueError, match=r"must return a tensor of shape \(5, 4\)"):
            compute_importance("bad_shape_test", ctx)
    finally:
        registry.unregister("hidden_rate_test")
        registry.unregister("bad_shape_test")
    with pytest.raises(ValueError, match="unknown criterion 'nope'; available: variance"):
        compute_importance("nope", ctx)


def test_loop_equal_counts_across_criteria():
    g = G().manual_seed(0)
    data = (torch.rand(400, 6, generator=g) < 0.3).float()
    rbm = init_rbm(6, 8, generator=g)
    counts = {}
    for c in BUILTIN_CRITERIA:
        its = prune_retrain(rbm, data, PruneConfig(c, iterations=3, fraction=0.5),
                            retrain=TrainConfig(epochs=1),
                            sampling=SamplingConfig(n_samples=500, method="exact"),
                            seed=0).rounds
        counts[c] = [it.retrained.n_weights for it in its]
        for it in its:
            assert (it.retrained.W[~it.retrained.mask] == 0).all()
            assert it.retrained.n_hidden == int(it.retrained.mask.any(0).sum())
    assert all(v == [24, 12, 6] for v in counts.values())
