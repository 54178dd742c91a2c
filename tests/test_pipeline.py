"""The one prune-retrain pipeline for RBMs and DBMs: equal cuts, checkpoints and resume,
samples after retraining, and criteria from a registry object (no special case by name)."""

import pytest
import torch

from boltzprune.errors import InvalidInputError
from boltzprune.io import load_model
from boltzprune.models import init_dbm, init_rbm
from boltzprune.models.masks import receptive_field_mask
from boltzprune.pruning import CriteriaRegistry, ModelContext, PruneConfig, prune_retrain
from boltzprune.sampling import SamplingConfig
from boltzprune.training import TrainConfig
from boltzprune.training.dbm import DBMTrainConfig

G = torch.Generator
RBM_SAMPLING = SamplingConfig(n_samples=300, n_chains=50, burn_in=10, thin=2, init="data")
DBM_SAMPLING = SamplingConfig(n_samples=200, n_chains=50, burn_in=5, thin=2, init="data")
DBM_RETRAIN = DBMTrainConfig(epochs=1, batch_size=20, n_chains=20)


def _data(n: int, n_v: int, seed: int = 0) -> torch.Tensor:
    return (torch.rand(n, n_v, generator=G().manual_seed(seed)) < 0.3).float()


def _dbm():
    return init_dbm([16, 16, 6], generator=G().manual_seed(1),
                    masks=[receptive_field_mask((4, 4), 3), None])


def _equal(a, b) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a.tensors().values(), b.tensors().values(),
                                                 strict=True))


def test_rbm_rounds_resume_from_checkpoints(tmp_path):
    data = _data(300, 6)
    rbm = init_rbm(6, 8, generator=G().manual_seed(0))
    kw = dict(retrain=TrainConfig(epochs=1), sampling=RBM_SAMPLING, seed=3,
              meta={"seed": 3})
    cfg = PruneConfig("variance", iterations=3, fraction=0.5)
    full = prune_retrain(rbm, data, cfg, checkpoints=tmp_path / "a", **kw)
    assert [r.retrained.n_weights for r in full.rounds] == [24, 12, 6]
    assert all(not r.restored and r.samples is None for r in full.rounds)
    # an interrupted run: round 3 never finished; the rerun reads rounds 1-2 back
    (tmp_path / "a" / "iter3_retrained.safetensors").unlink()
    seen = []
    resumed = prune_retrain(rbm, data, cfg, checkpoints=tmp_path / "a",
                            on_round=lambda r: seen.append(r.restored), **kw)
    assert seen == [True, True, False]
    assert _equal(resumed.final, full.final)
    assert [r.n_cut for r in resumed.rounds] == [r.n_cut for r in full.rounds]
    assert [r.removed_units[0].tolist() for r in resumed.rounds] == \
        [r.removed_units[0].tolist() for r in full.rounds]
    model, meta = load_model(tmp_path / "a" / "iter2_pruned.safetensors")
    assert meta["criterion"] == "variance" and meta["stage"] == "pruned"
    assert meta["seed"] == 3 and meta["n_removed_weights"] == 12 and _equal(
        model, full.rounds[1].pruned)


def test_dbm_rounds_sample_after_retraining_and_resume(tmp_path):
    data = _data(200, 16)
    cfg = PruneConfig("heuristic", iterations=2, fraction=0.2, zero_rule=True,
                      sample_when="after_retrain")
    kw = dict(retrain=DBM_RETRAIN, sampling=DBM_SAMPLING, seed=0)
    full = prune_retrain(_dbm(), data, cfg, checkpoints=tmp_path / "d", **kw)
    for r in full.rounds:
        assert [tuple(s.shape) for s in r.samples] == [(200, n) for n in r.retrained.sizes]
        assert all(m.sum() <= n for m, n in zip(r.retrained.masks, r.pruned.n_weights,
                                                strict=True))
    assert full.rounds[0].n_cut[0] >= int(0.2 * int(_dbm().masks[0].sum()))
    (tmp_path / "d" / "iter2_pruned.safetensors").unlink()
    resumed = prune_retrain(_dbm(), data, cfg, checkpoints=tmp_path / "d", **kw)
    assert resumed.rounds[0].restored and not resumed.rounds[1].restored
    assert _equal(resumed.final, full.final)
    for a, b in zip(resumed.rounds[1].samples, full.rounds[1].samples, strict=True):
        assert torch.equal(a, b)


def test_a_model_criterion_from_another_registry_prunes_a_dbm():
    """A criterion registered with scope "model" in a registry of one's own sees every
    layer at once and goes through the same pipeline as the built-in ones."""
    reg = CriteriaRegistry(entry_point_group=None)

    @reg.register("last_units_first", scope="model")
    def by_unit(ctx: ModelContext):
        return [torch.arange(m.shape[1], dtype=torch.float32).expand(m.shape).clone()
                for m in ctx.masks]

    assert reg.names() == ["last_units_first"]
    hist = prune_retrain(_dbm(), _data(100, 16), PruneConfig("last_units_first", 1, 0.5),
                         retrain=DBM_RETRAIN, sampling=DBM_SAMPLING, seed=0, registry=reg)
    # the lowest-numbered h2 units lost every weight and were removed
    assert hist.rounds[0].removed_units[1].tolist() == [0, 1, 2]
    with pytest.raises(InvalidInputError, match="unknown criterion 'variance'"):
        prune_retrain(_dbm(), _data(100, 16), PruneConfig("variance", 1, 0.5),
                      retrain=DBM_RETRAIN, sampling=DBM_SAMPLING, seed=0, registry=reg)


@pytest.mark.parametrize("kwargs, message", [
    ({"criterion": "a b"}, "criterion must be a criterion's name"),
    ({"criterion": "variance", "iterations": 0}, "iterations must be an integer >= 1"),
    ({"criterion": "variance", "fraction": 1.0}, "fraction must be in (0, 1)"),
    ({"criterion": "variance", "sample_when": "never"}, "sample_when must be one of"),
])
def test_prune_config_checks_itself(kwargs, message):
    with pytest.raises(InvalidInputError) as e:
        PruneConfig(**kwargs)
    assert message in str(e.value)


def test_retrain_config_must_fit_the_model():
    with pytest.raises(InvalidInputError, match="a DBM retrains with a DBMTrainConfig"):
        prune_retrain(_dbm(), _data(100, 16), PruneConfig("abs_w", 1, 0.5),
                      retrain=TrainConfig(), sampling=DBM_SAMPLING, seed=0)


def test_a_checkpoint_folder_of_another_run_is_refused(tmp_path):
    data = _data(300, 6)
    rbm = init_rbm(6, 8, generator=G().manual_seed(0))
    kw = dict(retrain=TrainConfig(epochs=1), sampling=RBM_SAMPLING, checkpoints=tmp_path)
    prune_retrain(rbm, data, PruneConfig("variance", 1, 0.5), seed=0, **kw)
    for cfg, seed, what in ((PruneConfig("abs_w", 1, 0.5), 0, "criterion 'variance'"),
                            (PruneConfig("variance", 1, 0.2), 0, "fraction 0.5"),
                            (PruneConfig("variance", 1, 0.5), 7, "seed 0")):
        with pytest.raises(InvalidInputError, match=f"holds a round of another run \\({what}"):
            prune_retrain(rbm, data, cfg, seed=seed, **kw)
