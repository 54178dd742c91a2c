import pytest
import torch

from boltzprune.errors import DivergenceError, InvalidInputError, InvalidTypeError
from boltzprune.evaluate import all_states, log_likelihood
from boltzprune.models import init_rbm
from boltzprune.training import (
    AUTHORS_CODE_RBM,
    PAPER_RBM,
    TrainConfig,
    learning_rates,
    momenta,
    train_rbm,
)
from boltzprune.training.cd import cd_statistics


def _data(n=600, seed=0):
    """Two noisy prototypes over 8 pixels."""
    g = torch.Generator().manual_seed(seed)
    protos = torch.tensor([[1, 1, 1, 1, 0, 0, 0, 0], [0, 0, 1, 1, 1, 1, 0, 0]], dtype=torch.float32)
    x = protos[torch.randint(2, (n,), generator=g)]
    flip = torch.rand(x.shape, generator=g) < 0.05
    return torch.where(flip, 1 - x, x)


def test_schedules():
    assert learning_rates("log", 0.1, 0.01, 2) == pytest.approx([0.1, 0.01])
    assert learning_rates("log", 0.01, 1e-4, 3) == pytest.approx([0.01, 1e-3, 1e-4])
    assert learning_rates("constant", 0.01, 5.0, 3) == [0.01] * 3
    assert momenta(0.5, 0.9, 5, 7) == [0.5] * 5 + [0.9] * 2
    with pytest.raises(InvalidInputError, match="lr_schedule must be one of"):
        learning_rates("cosine", 0.1, 0.01, 2)
    with pytest.raises(InvalidInputError, match=r"momentum must be in \[0, 1\), got 1.0"):
        momenta(0.5, 1.0, 0, 2)


def test_presets():
    assert PAPER_RBM.lr_start == 0.1 and PAPER_RBM.lr_end == 0.01 and PAPER_RBM.momentum == 0.9
    assert PAPER_RBM.batch_size == 1 and PAPER_RBM.epochs == 2 and PAPER_RBM.k == 1
    assert AUTHORS_CODE_RBM.lr_schedule == "constant" and AUTHORS_CODE_RBM.lr_start == 0.01
    assert AUTHORS_CODE_RBM.momentum == pytest.approx(0.01 * 0.9)


def test_cd_statistics_equal_autograd_of_free_energy_difference(tiny_rbm):
    g = torch.Generator().manual_seed(5)
    v0 = (torch.rand(7, 5, generator=g) < 0.5).float()
    vk = (torch.rand(7, 5, generator=g) < 0.5).float()
    W = tiny_rbm.W.clone().requires_grad_(True)
    b_v = tiny_rbm.b_v.clone().requires_grad_(True)
    b_h = tiny_rbm.b_h.clone().requires_grad_(True)
    rbm = type(tiny_rbm)(W, b_v, b_h, tiny_rbm.mask, tiny_rbm.hidden_index)
    loss = (rbm.free_energy(v0) - rbm.free_energy(vk)).mean()
    gW, gbv, gbh = torch.autograd.grad(loss, (W, b_v, b_h))
    with torch.no_grad():
        sW, sbv, sbh = cd_statistics(v0, rbm.p_h(v0), vk, rbm.p_h(vk))
    assert torch.allclose(sW, -gW, atol=1e-6)
    assert torch.allclose(sbv, -gbv, atol=1e-6)
    assert torch.allclose(sbh, -gbh, atol=1e-6)


@pytest.mark.parametrize("cfg", [
    TrainConfig(epochs=1, backend="compiled"),
    TrainConfig(epochs=1, backend="torch", batch_size=10),
    TrainConfig(epochs=1, backend="compiled", persistent=True, k=2),
    TrainConfig(epochs=1, backend="torch", batch_size=16, persistent=True, k=3),
])
def test_masked_weights_stay_zero(cfg):
    g = torch.Generator().manual_seed(1)
    mask = torch.rand(8, 6, generator=g) < 0.5
    rbm = init_rbm(8, 6, generator=g, mask=mask)
    out = train_rbm(rbm, _data(), cfg, generator=torch.Generator().manual_seed(2)).rbm
    assert (out.W[~mask] == 0).all()
    assert (out.W[mask] != rbm.W[mask]).any()
    assert torch.equal(out.mask, mask)


@pytest.mark.parametrize("k, persistent", [(1, False), (3, True)])
def test_compiled_and_torch_paths_agree(k, persistent):
    g = torch.Generator().manual_seed(4)
    rbm = init_rbm(8, 6, generator=g)
    data = _data(300)
    outs = [train_rbm(rbm, data, TrainConfig(epochs=2, k=k, persistent=persistent, backend=b),
                      generator=torch.Generator().manual_seed(9)).rbm
            for b in ("compiled", "torch")]
    for name in ("W", "b_v", "b_h"):
        assert torch.allclose(getattr(outs[0], name), getattr(outs[1], name), atol=1e-3)


def test_training_raises_the_exact_likelihood():
    g = torch.Generator().manual_seed(0)
    data = _data(2000)
    rbm = init_rbm(8, 6, generator=g, visible_on_fraction=data.mean(0))
    before = log_likelihood(rbm, data)
    after = log_likelihood(
        train_rbm(rbm, data, TrainConfig(epochs=3, lr_start=0.05, lr_end=0.01),
                  generator=torch.Generator().manual_seed(0)).rbm, data)
    assert after > before + 0.5
    # the trained model puts most of its mass near the two prototypes
    assert after > -4.0


def test_training_is_seeded():
    rbm = init_rbm(8, 6, generator=torch.Generator().manual_seed(0))
    a, b = (train_rbm(rbm, _data(), TrainConfig(epochs=1),
                      generator=torch.Generator().manual_seed(3)).rbm for _ in range(2))
    assert torch.equal(a.W, b.W)


def test_divergence_is_detected():
    rbm = init_rbm(8, 6, generator=torch.Generator().manual_seed(0))
    cfg = TrainConfig(epochs=1, lr_schedule="constant", lr_start=1e6, momentum=0.99,
                      initial_momentum=0.99)
    with pytest.raises(DivergenceError, match="smaller learning rate"):
        train_rbm(rbm, _data(), cfg, generator=torch.Generator().manual_seed(0))


def test_train_rbm_argument_types():
    """Config values are checked when the config is built (tests/test_validation.py);
    train_rbm checks what it is given."""
    rbm = init_rbm(8, 6, generator=torch.Generator().manual_seed(0))
    with pytest.raises(InvalidTypeError, match="config must be a TrainConfig, got dict"):
        train_rbm(rbm, _data(), {"epochs": 1}, generator=torch.Generator().manual_seed(0))
    with pytest.raises(InvalidTypeError, match="rbm must be an RBM, got Tensor"):
        train_rbm(rbm.W, _data(), generator=torch.Generator().manual_seed(0))


@pytest.mark.parametrize("data, match", [
    (torch.full((4, 8), 0.5), "must be binary"),
    (torch.full((4, 8), float("nan")), "contains NaN"),
    (torch.zeros(4, 7), "must have 8 columns"),
    (torch.zeros(0, 8), "is empty"),
    (torch.zeros(8), "must be 2-D"),
    ([[0, 1]], "must be a 2-D torch.Tensor or numpy array"),
])
def test_training_data_validation(data, match):
    rbm = init_rbm(8, 6, generator=torch.Generator().manual_seed(0))
    with pytest.raises(InvalidInputError, match=match):
        train_rbm(rbm, data, generator=torch.Generator().manual_seed(0))


def test_all_states_order():
    s = all_states(3)
    assert s[5].tolist() == [1.0, 0.0, 1.0]
