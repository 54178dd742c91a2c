"""Every path on a CUDA device: the pipeline for RBMs and DBMs, every criterion, checkpoints,
the estimator, and each experiment end to end; CPU and CUDA runs agree statistically; the
random numbers are drawn on the GPU and nothing falls back to the host.

Skipped with a message where torch sees no GPU (CI has none). On a machine with one:
``python -m pytest -m cuda``.
"""

from pathlib import Path

import pytest
import torch

from boltzprune.app.cli import main
from boltzprune.data.mnist import FASHION_MNIST_DIR
from boltzprune.evaluate.health import model_health
from boltzprune.evaluate.patterns import empirical_distribution, exact_fit
from boltzprune.io import load_model, save_model
from boltzprune.models import init_dbm, init_rbm
from boltzprune.models.masks import receptive_field_mask
from boltzprune.pruning import BUILTIN_CRITERIA, PruneConfig, prune_retrain, registry
from boltzprune.sampling import SamplingConfig, sample_dbm, sample_rbm
from boltzprune.seeding import stage_generator
from boltzprune.training import TrainConfig, train_rbm
from boltzprune.training.dbm import DBMTrainConfig

pytestmark = [pytest.mark.cuda,
              pytest.mark.skipif(not torch.cuda.is_available(),
                                 reason="needs a CUDA GPU (torch sees none)")]
G = torch.Generator
FAST = ["--workers", "1", "--no-progress", "--device", "cuda"]
SAMPLING = SamplingConfig(n_samples=300, n_chains=50, burn_in=5, thin=2, init="data")


def _data(n: int, n_v: int, device: str = "cpu") -> torch.Tensor:
    return (torch.rand(n, n_v, generator=G().manual_seed(0)) < 0.3).float().to(device)


def _dbm():
    return init_dbm([16, 16, 6], generator=G().manual_seed(1),
                    masks=[receptive_field_mask((4, 4), 3), None]).to("cuda")


def _on_cuda(*tensors: torch.Tensor) -> bool:
    return all(t.device.type == "cuda" for t in tensors)


def test_random_numbers_are_drawn_on_the_gpu(monkeypatch):
    """With a generator on the GPU no random tensor is made on the host and copied."""
    made_on_cpu = []
    real = torch.Tensor.to

    def spy(t, *args, **kwargs):
        if t.device.type == "cpu" and t.dtype in (torch.float32, torch.int64) and t.numel() > 1:
            made_on_cpu.append(tuple(t.shape))
        return real(t, *args, **kwargs)

    rbm = init_rbm(6, 8, generator=G().manual_seed(0)).to("cuda")
    data, dbm, digits = _data(200, 6, "cuda"), _dbm(), _data(100, 16, "cuda")
    g = stage_generator(0, "test", device="cuda")
    monkeypatch.setattr(torch.Tensor, "to", spy)
    train_rbm(rbm, data, TrainConfig(epochs=1, batch_size=20), generator=g)
    sample_rbm(rbm, SAMPLING, data=data, generator=g)
    sample_dbm(dbm, SAMPLING, data=digits, generator=g)
    assert made_on_cpu == []


def test_rbm_pipeline_on_cuda():
    data = _data(300, 6, "cuda")
    rbm = init_rbm(6, 8, generator=G().manual_seed(0)).to("cuda")
    hist = prune_retrain(rbm, data, PruneConfig("heuristic", 2, 0.5),
                         retrain=TrainConfig(epochs=1), sampling=SAMPLING, seed=0)
    assert [r.retrained.n_weights for r in hist.rounds] == [24, 12]
    assert _on_cuda(*hist.final.tensors().values()) and torch.isfinite(hist.final.W).all()
    again = prune_retrain(rbm, data, PruneConfig("heuristic", 2, 0.5),
                          retrain=TrainConfig(epochs=1), sampling=SAMPLING, seed=0)
    assert torch.equal(again.final.W, hist.final.W)  # same seed, same device: same numbers


def test_every_criterion_on_cuda():
    rbm = init_rbm(6, 8, generator=G().manual_seed(0)).to("cuda")
    g = stage_generator(0, "score", device="cuda")
    s = sample_rbm(rbm, SAMPLING, data=_data(200, 6, "cuda"), generator=g)
    dbm = _dbm()
    sd = sample_dbm(dbm, SAMPLING, data=_data(100, 16, "cuda"), generator=g)
    for name in BUILTIN_CRITERIA:
        (imp,) = registry.importance(name, rbm, [s.v, s.h], g)
        assert _on_cuda(imp) and imp.shape == (6, 8)
        assert [i.shape for i in registry.importance(name, dbm, sd, g)] == [(16, 16), (16, 6)]


def test_dbm_pipeline_and_checkpoints_on_cuda(tmp_path):
    data = _data(200, 16, "cuda")
    cfg = PruneConfig("variance", 2, 0.2, zero_rule=True, sample_when="after_retrain")
    kw = dict(retrain=DBMTrainConfig(epochs=1, batch_size=20, n_chains=20), sampling=SAMPLING,
              seed=0, checkpoints=tmp_path)
    hist = prune_retrain(_dbm(), data, cfg, **kw)
    assert _on_cuda(*hist.final.tensors().values(), *hist.rounds[-1].samples)
    again = prune_retrain(_dbm(), data, cfg, **kw)  # read back from the checkpoints
    assert all(r.restored for r in again.rounds) and _on_cuda(*again.final.tensors().values())
    save_model(tmp_path / "m.safetensors", hist.final)
    back = load_model(tmp_path / "m.safetensors", "cuda")[0]
    assert all(torch.equal(a, b) for a, b in zip(back.tensors().values(),
                                                 hist.final.tensors().values(), strict=True))
    assert load_model(tmp_path / "m.safetensors")[0].device.type == "cpu"


def test_cpu_and_cuda_agree_statistically():
    """The same training on either device (other random streams) fits the data as well: the
    exact log-likelihood of a 6 x 8 RBM after 3 epochs, over 4 seeds each."""
    data = _data(2000, 6)
    p_data = empirical_distribution(data.numpy())

    def fit(device: str, seed: int) -> float:
        rbm = init_rbm(6, 8, generator=G().manual_seed(seed)).to(device)
        out = train_rbm(rbm, data.to(device), TrainConfig(epochs=3, batch_size=10,
                                                           backend="torch"),
                        generator=stage_generator(seed, "train", device=device)).rbm
        return exact_fit(out.to("cpu"), p_data)["log_likelihood"]

    cpu = torch.tensor([fit("cpu", s) for s in range(4)])
    gpu = torch.tensor([fit("cuda", s) for s in range(4)])
    assert abs(float(cpu.mean() - gpu.mean())) < 3 * float(torch.cat([cpu, gpu]).std()) + 0.02


def test_estimator_on_cuda():
    from boltzprune.estimator import PrunableRBM

    X = _data(300, 6).numpy()
    est = PrunableRBM(n_components=8, n_iter=2, criterion="variance", prune_fraction=0.5,
                      device="cuda", random_state=0).fit(X)
    assert est.rbm_.device.type == "cuda" and est.transform(X).shape == (300, est.rbm_.n_hidden)
    assert est.sample(5, burn_in=10, random_state=0).shape == (5, 6)


def test_model_health_on_cuda():
    """The health checks run on the GPU and give the CPU's numbers for the same tensors."""
    dbm, data = _dbm(), _data(200, 16, "cuda")
    samples = sample_dbm(dbm, SAMPLING, data=data, generator=stage_generator(0, "h",
                                                                             device="cuda"))
    gpu = model_health(dbm, data, samples, max_norm=6.0)
    cpu = model_health(dbm.to("cpu"), data.cpu(), [t.cpu() for t in samples], max_norm=6.0)
    for a, b in zip(gpu.layers, cpu.layers, strict=True):
        assert (a.silent, a.saturated, a.capped) == (b.silent, b.saturated, b.capped)
        assert a.mean_data == pytest.approx(b.mean_data, abs=1e-5)
    assert gpu.reconstruction_error == pytest.approx(cpu.reconstruction_error, abs=1e-5)
    assert gpu.warnings == cpu.warnings


@pytest.mark.skipif(not Path(FASHION_MNIST_DIR).is_dir(),
                    reason=f"needs Fashion-MNIST in {FASHION_MNIST_DIR} "
                           "(apt-get install dataset-fashion-mnist)")
def test_paper_scale_config_on_cuda(tmp_path, capsys):
    """The paper-scale config's path (60,000 Fashion-MNIST images on the GPU), cut short."""
    out = tmp_path / "run"
    args = ["dbm-mnist", "--config", "dbm-fashion-mnist"]
    for setting in ("seeds=[0]", "iterations=1", "criteria=['variance']", "n_generate=200",
                    "recipe.joint.epochs=1", "recipe.retrain.epochs=1",
                    "recipe.pretrain.0.epochs=1", "recipe.pretrain.1.epochs=1"):
        args += ["--set", setting]
    assert main([*args, *FAST, "--out", str(out)]) == 0, capsys.readouterr().err
    report = (out / "report.md").read_text()
    assert "Fashion-MNIST" in report and "60,000 for training" in report


@pytest.mark.parametrize("args", [
    ["rbm-patches", "--seeds", "0", "--n-patches", "2000", "--fi-samples", "400", "--chains",
     "100", "--burn-in", "20", "--thin", "2", "--iterations", "2",
     "--criteria", "variance", "eigenvector", "random"],
    ["dbm-mnist", "--seeds", "0", "--n-train", "300", "--iterations", "2", "--criteria",
     "variance", "anti_fi", "--n-generate", "300"],
    ["prune", "digits", "--model", "dbm", "--hidden", "50", "30", "--iterations", "2",
     "--criteria", "heuristic", "abs_w", "--set", "max_rows=600"],
])
def test_experiments_on_cuda(tmp_path, capsys, args):
    out = tmp_path / "run"
    assert main([*args, *FAST, "--out", str(out)]) == 0, capsys.readouterr().err
    assert (out / "report.html").stat().st_size > 10_000
