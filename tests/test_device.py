"""Every path on a CUDA device: the pipeline for RBMs and DBMs and each experiment end to end.

Skipped without a CUDA GPU (CI has none); run on a machine with one:
``python -m pytest -q tests/test_device.py``.
"""

import pytest
import torch

from boltzprune.app.cli import main
from boltzprune.io import load_model
from boltzprune.models import init_dbm, init_rbm
from boltzprune.models.masks import receptive_field_mask
from boltzprune.pruning import PruneConfig, prune_retrain
from boltzprune.sampling import SamplingConfig
from boltzprune.training import TrainConfig
from boltzprune.training.dbm import DBMTrainConfig

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
G = torch.Generator
FAST = ["--workers", "1", "--no-progress", "--device", "cuda"]


def _data(n: int, n_v: int) -> torch.Tensor:
    return (torch.rand(n, n_v, generator=G().manual_seed(0)) < 0.3).float()


def test_rbm_pipeline_on_cuda():
    data = _data(300, 6).cuda()
    rbm = init_rbm(6, 8, generator=G().manual_seed(0)).to("cuda")
    hist = prune_retrain(rbm, data, PruneConfig("heuristic", 2, 0.5),
                         retrain=TrainConfig(epochs=1, backend="torch"),
                         sampling=SamplingConfig(n_samples=300, n_chains=50, burn_in=5, thin=2,
                                                 init="data"), seed=0)
    assert [r.retrained.n_weights for r in hist.rounds] == [24, 12]
    assert hist.final.device.type == "cuda" and torch.isfinite(hist.final.W).all()


def test_dbm_pipeline_on_cuda(tmp_path):
    data = _data(200, 16).cuda()
    dbm = init_dbm([16, 16, 6], generator=G().manual_seed(1),
                   masks=[receptive_field_mask((4, 4), 3), None]).to("cuda")
    cfg = PruneConfig("variance", 2, 0.2, zero_rule=True, sample_when="after_retrain")
    kw = dict(retrain=DBMTrainConfig(epochs=1, batch_size=20, n_chains=20),
              sampling=SamplingConfig(n_samples=200, n_chains=50, burn_in=5, thin=2,
                                      init="data"), seed=0, checkpoints=tmp_path)
    hist = prune_retrain(dbm, data, cfg, **kw)
    assert hist.final.device.type == "cuda"
    assert all(s.device.type == "cuda" for s in hist.rounds[-1].samples)
    again = prune_retrain(dbm, data, cfg, **kw)  # read back from the checkpoints
    assert all(r.restored for r in again.rounds) and again.final.device.type == "cuda"
    assert load_model(tmp_path / "iter2_retrained.safetensors", "cuda")[0].n_weights == \
        hist.final.n_weights


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
