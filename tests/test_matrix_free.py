import pytest
import torch

from boltzprune.errors import InvalidInputError
from boltzprune.fisher import fim_eigen, sampled_fim, sufficient_statistics
from boltzprune.fisher.matrix_free import leading_fim_eigen
from boltzprune.models.dbm import init_dbm
from boltzprune.sampling import SamplingConfig, sample_dbm, sample_rbm


def test_matches_the_dense_fim_of_a_masked_rbm(tiny_rbm):
    rbm = tiny_rbm.clone()
    rbm.mask[0, 1] = rbm.mask[3, 2] = False
    rbm.W *= rbm.mask
    s = sample_rbm(rbm, SamplingConfig(n_samples=3000, method="exact"),
                   generator=torch.Generator().manual_seed(0))
    dense = fim_eigen(sampled_fim(s.v, s.h), rbm.mask, k=3)
    mf = leading_fim_eigen([s.v, s.h], [rbm.mask], k=3, chunk=700)
    assert torch.allclose(mf.values, dense.values, rtol=1e-6, atol=1e-9)
    assert torch.allclose(mf.vectors[:, 0], dense.vectors[:, 0], atol=1e-6)
    assert mf.blocks(0)["W1"][0, 1] == 0 and mf.blocks(0)["W1"][3, 2] == 0


def test_matches_the_dense_fim_of_a_dbm():
    g = torch.Generator().manual_seed(1)
    mask = torch.rand(6, 4, generator=g) < 0.6
    dbm = init_dbm([6, 4, 3], generator=g, weight_std=1.0, masks=[mask, None])
    x = sample_dbm(dbm, SamplingConfig(n_samples=2000, n_chains=200, burn_in=20, thin=2),
                   generator=g)
    # dense statistics in the same ordering: [vec(x0 x1^T), vec(x1 x2^T), x0, x1, x2]
    S = torch.cat([sufficient_statistics(x[0], x[1])[:, :24],
                   sufficient_statistics(x[1], x[2])[:, :12], x[0], x[1], x[2]], 1).double()
    S = S - S.mean(0)
    F = S.T @ S / S.shape[0]
    keep = torch.cat([mask.reshape(-1), torch.ones(12 + 13, dtype=torch.bool)])
    sub = F[keep][:, keep]
    vals, vecs = torch.linalg.eigh(sub)
    lead = vecs[:, -1] * torch.sign(vecs[vecs[:, -1].abs().argmax(), -1])
    mf = leading_fim_eigen(x, dbm.masks, k=1)
    assert float(mf.values[0]) == pytest.approx(float(vals[-1]), rel=1e-6)
    assert torch.allclose(mf.vectors[keep, 0], lead, atol=1e-6)
    assert (mf.vectors[~keep, 0] == 0).all()


def test_validation():
    with pytest.raises(InvalidInputError, match="one mask per weight matrix"):
        leading_fim_eigen([torch.zeros(3, 2)], [])
    with pytest.raises(InvalidInputError, match=r"masks\[0\] must have shape \(2, 3\)"):
        leading_fim_eigen([torch.zeros(3, 2), torch.zeros(3, 3)],
                          [torch.ones(3, 2, dtype=torch.bool)])


def test_eigenvector_criterion_switches_to_matrix_free(tiny_rbm, monkeypatch):
    import boltzprune.pruning.criteria as criteria
    from boltzprune.pruning import ImportanceContext, compute_importance

    s = sample_rbm(tiny_rbm, SamplingConfig(n_samples=2000, method="exact"),
                   generator=torch.Generator().manual_seed(0))
    dense = compute_importance("eigenvector", ImportanceContext(tiny_rbm, s, torch.Generator()))
    monkeypatch.setattr(criteria, "DENSE_FIM_MAX_PARAMETERS", 0)
    mf = compute_importance("eigenvector", ImportanceContext(tiny_rbm, s, torch.Generator()))
    assert torch.allclose(mf, dense, atol=1e-5)
