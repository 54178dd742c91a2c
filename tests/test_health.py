import torch

from boltzprune.evaluate.health import model_health
from boltzprune.models.dbm import init_dbm
from boltzprune.models.rbm import init_rbm

G = torch.Generator


def test_a_healthy_looking_rbm_has_no_warnings_and_exact_counts():
    rbm = init_rbm(6, 4, generator=G().manual_seed(0))
    data = (torch.rand(200, 6, generator=G().manual_seed(1)) < 0.5).float()
    v = data[:50]
    h = torch.tensor([[1.0, 0.0, 1.0, 0.0]] * 25 + [[0.0, 1.0, 1.0, 0.0]] * 25)
    out = model_health(rbm, data, [v, h])
    (layer,) = out.layers
    assert (layer.silent, layer.saturated) == (1, 1)  # unit 3 never on, unit 2 always on
    assert layer.mean_model == 0.5
    mean_v = data.mean(0)
    assert abs(out.reconstruction_baseline - float((mean_v * (1 - mean_v)).mean())) < 1e-7
    recon = torch.sigmoid(rbm.p_h(data) @ rbm.W.T + rbm.b_v)
    assert abs(out.reconstruction_error - float(((data - recon) ** 2).mean())) < 1e-7
    assert not any("never fire" in w for w in out.warnings)


def test_a_degenerate_dbm_is_named():
    dbm = init_dbm([8, 6, 10], generator=G().manual_seed(0))
    dbm.biases[2].fill_(-30.0)  # h2 never fires
    data = (torch.rand(100, 8, generator=G().manual_seed(1)) < 0.5).float()
    samples = [data[:40], torch.ones(40, 6), torch.zeros(40, 10)]
    out = model_health(dbm, data, samples, readout_error=0.3, raw_readout_error=0.2)
    assert out.degenerate
    text = " | ".join(out.warnings)
    assert "h2: 10 of 10 units (100%) never fire" in text
    assert "h2 barely responds to the data" in text
    assert "reads out worse than raw pixels (0.300 against 0.200)" in text
