import itertools

import pytest
import torch

from boltzprune.errors import InvalidInputError, InvalidTypeError
from boltzprune.models.dbm import DBM, MeanFieldConfig, init_dbm
from boltzprune.models.masks import receptive_field_mask
from boltzprune.pruning.criteria import registry
from boltzprune.pruning.step import prune_model
from boltzprune.pruning.units import remove_dead_units
from boltzprune.sampling import SamplingConfig, sample_dbm
from boltzprune.training.cd import TrainConfig
from boltzprune.training.dbm import DBMTrainConfig, pretrain_dbm, stack_rbms, train_dbm

G = torch.Generator


def _states(n):
    return torch.tensor(list(itertools.product([0.0, 1.0], repeat=n)), dtype=torch.float64)


def _log_z_and_posterior(dbm: DBM, v: torch.Tensor):
    """Exact log Z and exact posterior marginals of h1, h2 given each v (brute force)."""
    d = DBM([w.double() for w in dbm.weights], dbm.masks, [b.double() for b in dbm.biases],
            dbm.hidden_index)
    n0, n1, n2 = d.sizes
    V, H1, H2 = _states(n0), _states(n1), _states(n2)
    grid = [t.reshape(-1, t.shape[-1]) for t in torch.meshgrid(
        torch.arange(len(V)), torch.arange(len(H1)), torch.arange(len(H2)), indexing="ij")]
    iv, i1, i2 = (g.reshape(-1) for g in grid)
    e = d.energy([V[iv], H1[i1], H2[i2]])
    log_z = torch.logsumexp(-e, 0)
    post = []
    for row in v.double():
        sel = (V[iv] == row).all(1)
        p = torch.softmax(-e[sel], 0)
        post.append(((p[:, None] * H1[i1[sel]]).sum(0), (p[:, None] * H2[i2[sel]]).sum(0)))
    return log_z, post


def test_receptive_field_mask_of_the_paper():
    m = receptive_field_mask((20, 20))
    assert m.shape == (400, 400) and int(m.sum()) == 8_836
    assert sorted(m[:, 0].nonzero().squeeze(1).tolist()) == [0, 1, 2, 20, 21, 22, 40, 41, 42]
    assert int(m[:, 10 * 20 + 10].sum()) == 25  # an interior unit sees a full 5 x 5 window
    assert receptive_field_mask((20, 20), stride=2).shape == (400, 100)
    with pytest.raises(ValueError, match="window must be an integer >= 1"):
        receptive_field_mask((20, 20), window=0)


def test_mean_field_converges_and_matches_exact_marginals():
    dbm = init_dbm([4, 3, 2], generator=G().manual_seed(0), weight_std=0.3)
    v = _states(4)[[0, 5, 10, 15]].float()
    cfg = MeanFieldConfig(max_iter=200, tol=1e-9)
    mus = dbm.mean_field(v, cfg)
    # a fixed point: one more update changes nothing
    again = dbm.p_layer(1, mus)
    assert (again - mus[1]).abs().max() < 1e-6
    _, post = _log_z_and_posterior(dbm, v)
    for k, (m1, m2) in enumerate(post):
        assert torch.allclose(mus[1][k].double(), m1, atol=0.02)
        assert torch.allclose(mus[2][k].double(), m2, atol=0.02)


@pytest.mark.parametrize("tol", [1e-4, 1e-2, 0.0])
def test_mean_field_checking_every_few_sweeps_gives_the_same_marginals(monkeypatch, tol):
    # off the CPU, convergence is read back every few sweeps; the marginals must equal those
    # of a check after every sweep (converged layers are held), bit for bit
    import boltzprune.models.dbm as dbm_module

    dbm = init_dbm([30, 20, 10], generator=G().manual_seed(1), weight_std=1.0)
    v = (torch.rand(16, 30, generator=G().manual_seed(2)) < 0.5).float()
    cfg = MeanFieldConfig(max_iter=23, tol=tol, damping=0.2)
    every_sweep = dbm.mean_field(v, cfg)
    for every in (3, 5, 50):
        monkeypatch.setattr(dbm_module, "_check_every", lambda device, k=every: k)
        few = dbm.mean_field(v, cfg)
        assert all(torch.equal(a, b) for a, b in zip(every_sweep, few, strict=True))


def _vlb(dbm: DBM, v: torch.Tensor) -> float:
    """Mean variational lower bound on log p(v): E_q[-E] + H(q) - log Z (exact log Z)."""
    mus = dbm.mean_field(v, MeanFieldConfig(max_iter=100, tol=1e-8))
    log_z, _ = _log_z_and_posterior(dbm, v[:1])
    q = [m.double().clamp(1e-12, 1 - 1e-12) for m in mus[1:]]
    d = DBM([w.double() for w in dbm.weights], dbm.masks, [b.double() for b in dbm.biases],
            dbm.hidden_index)
    neg_e = -d.energy([v.double(), *q])  # E is linear in each layer given the others
    ent = sum(-(m * m.log() + (1 - m) * (1 - m).log()).sum(1) for m in q)
    return float((neg_e + ent).mean() - log_z)


def test_joint_training_raises_the_variational_lower_bound():
    g = G().manual_seed(0)
    protos = torch.tensor([[1, 1, 1, 0, 0, 0], [0, 0, 0, 1, 1, 1]], dtype=torch.float32)
    v = protos[torch.randint(2, (400,), generator=g)]
    v = torch.where(torch.rand(v.shape, generator=g) < 0.05, 1 - v, v)
    dbm = init_dbm([6, 4, 3], generator=g)
    before = _vlb(dbm, v)
    cfg = DBMTrainConfig(epochs=20, batch_size=20, n_chains=50, lr_start=0.02, lr_end=0.005,
                         mean_field=MeanFieldConfig(max_iter=20, tol=1e-6))
    trained = train_dbm(dbm, v, cfg, generator=g)
    assert _vlb(trained, v) > before + 1.0


def test_masks_are_honoured_by_pretraining_and_joint_training():
    g = G().manual_seed(1)
    data = (torch.rand(200, 9, generator=g) < 0.4).float()
    m1 = receptive_field_mask((3, 3), window=3)
    dbm = pretrain_dbm([9, 9, 5], data, [TrainConfig(epochs=1, batch_size=10)] * 2,
                       generator=g, masks=[m1, None])
    assert (dbm.weights[0][~m1] == 0).all()
    dbm.masks[1][0] = False
    dbm.weights[1][0] = 0
    out = train_dbm(dbm, data, DBMTrainConfig(epochs=2, batch_size=20, n_chains=10), generator=g)
    assert (out.weights[0][~m1] == 0).all() and (out.weights[1][0] == 0).all()
    assert (out.weights[0].norm(dim=0) <= 6.0 + 1e-5).all()


def test_stacking_averages_merged_biases():
    from boltzprune.models import init_rbm

    a = init_rbm(4, 3, generator=G().manual_seed(0), hidden_bias=-2.0)
    b = init_rbm(3, 2, generator=G().manual_seed(1), visible_bias=1.0)
    dbm = stack_rbms([a, b])
    assert torch.allclose(dbm.biases[1], torch.full((3,), -0.5))
    assert torch.equal(dbm.weights[1], b.W)


def test_dbm_argument_validation():
    """Config values are checked when a config is built (tests/test_validation.py); the
    functions check the arguments they are given."""
    g = G().manual_seed(0)
    dbm = init_dbm([4, 3, 2], generator=g)
    data = (torch.rand(10, 4, generator=g) < 0.5).float()
    with pytest.raises(InvalidTypeError, match="config must be a DBMTrainConfig, got dict"):
        train_dbm(dbm, data, {"epochs": 1}, generator=g)
    with pytest.raises(InvalidInputError, match=r"need 2 training configs for sizes \[4, 3, 2\]"):
        pretrain_dbm([4, 3, 2], data, [TrainConfig()], generator=g)
    with pytest.raises(InvalidTypeError, match="configs must be TrainConfigs, got"):
        pretrain_dbm([4, 3, 2], data, [TrainConfig(), {"epochs": 1}], generator=g)
    with pytest.raises(InvalidInputError, match="Gibbs chains only"):
        sample_dbm(dbm, SamplingConfig(method="exact"), generator=g)
    with pytest.raises(InvalidInputError, match="needs data"):
        sample_dbm(dbm, SamplingConfig(init="data"), generator=g)
    with pytest.raises(InvalidInputError, match="data must have 4 columns"):
        sample_dbm(dbm, SamplingConfig(init="data"), generator=g, data=data[:, :3])
    with pytest.raises(InvalidTypeError, match="must be a SamplingConfig, got dict"):
        sample_dbm(dbm, {"n_samples": 1}, generator=g)
    with pytest.raises(InvalidInputError, match=r"sizes must list the visible and at least one"):
        init_dbm([4], generator=g)


def test_unit_removal_in_both_directions():
    dbm = init_dbm([4, 3, 3], generator=G().manual_seed(0))
    dbm.masks[0][:, 0] = False  # h1 unit 0 loses every weight to v
    dbm.masks[1][1, :] = False  # h1 unit 1 loses every weight to h2
    dbm.masks[1][:, 2] = False  # h2 unit 2 loses every weight to h1
    dbm.masks[0][3, :] = False  # visible unit 3 is disconnected (kept)
    for l in range(2):
        dbm.weights[l] *= dbm.masks[l]
    r = remove_dead_units(dbm)
    small, removed, dead = r.model, r.removed, r.dead_visible
    assert removed[0].tolist() == [0, 1] and removed[1].tolist() == [2]
    assert small.sizes == [4, 1, 2] and small.hidden_index[0].tolist() == [2]
    assert dead.tolist() == [3]
    assert torch.equal(small.weights[1], dbm.weights[1][2:3, :2])


def test_unit_removal_cascades():
    dbm = init_dbm([2, 2, 1], generator=G().manual_seed(0))
    dbm.masks[1][0, 0] = False  # h1 unit 0 loses its only weight to h2
    dbm.weights[1] *= dbm.masks[1]
    r = remove_dead_units(dbm)
    small, removed = r.model, r.removed
    assert removed[0].tolist() == [0] and small.sizes == [2, 1, 1]
    dbm.masks[1][1, 0] = False  # now every h1 unit is cut off from h2
    with pytest.raises(ValueError, match="every unit of hidden layer 1"):
        remove_dead_units(dbm)


def test_layerwise_pruning_with_zero_rule():
    g = G().manual_seed(0)
    dbm = init_dbm([16, 16, 8], generator=g, masks=[receptive_field_mask((4, 4), 3), None])
    data = (torch.rand(100, 16, generator=g) < 0.3).float()
    s = sample_dbm(dbm, SamplingConfig(n_samples=300, n_chains=100, burn_in=20, thin=2,
                                       init="data"), generator=g, data=data)
    assert [t.shape for t in s] == [(300, 16), (300, 16), (300, 8)]
    imps = registry.importance("variance", dbm, s, g)
    assert [i.shape for i in imps] == [(16, 16), (16, 8)]
    imps[1] = torch.zeros(16, 8)
    imps[1][:, :2] = 1.0  # 96 of 128 weights have zero FI: the zero rule cuts all of them
    res = prune_model(dbm, imps, 0.1, generator=g, zero_rule=True)
    assert res.n_cut == [int(dbm.masks[0].sum()) - int(0.9 * dbm.masks[0].sum() + 1e-9), 96]
    assert res.removed_units[1].tolist() == [2, 3, 4, 5, 6, 7]
    eig = registry.importance("eigenvector", dbm, s, g)  # full FIM of both layers, matrix-free
    from boltzprune.fisher.matrix_free import leading_fim_eigen

    ref = leading_fim_eigen(s, dbm.masks).blocks(0)
    assert torch.allclose(eig[1], ref["W2"].abs().float())
    assert (eig[0][~dbm.masks[0]] == 0).all()
