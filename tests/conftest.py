import itertools

import pytest
import torch

from boltzprune.models import init_rbm


def all_joint_states(n_v: int, n_h: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Every (v, h) pair as two (2^(n_v+n_h), .) float64 tensors, by brute force."""
    rows = torch.tensor(list(itertools.product([0.0, 1.0], repeat=n_v + n_h)),
                        dtype=torch.float64)
    return rows[:, :n_v], rows[:, n_v:]


@pytest.fixture
def tiny_rbm():
    """A 5 x 4 RBM with large random weights and biases (seeded)."""
    g = torch.Generator().manual_seed(1234)
    rbm = init_rbm(5, 4, generator=g, weight_std=1.0)
    rbm.b_v.copy_(torch.randn(5, generator=g) * 0.5)
    rbm.b_h.copy_(torch.randn(4, generator=g) * 0.5)
    return rbm


@pytest.fixture(autouse=True)
def _criteria_registry_restored():
    """Criteria a test registers (directly or through a plugin) do not leak into others."""
    from boltzprune.pruning.criteria import registry

    with registry.scoped():
        yield


# a small ``boltzprune online-pruning`` run, made once for the tests that read one
ONLINE_PATCHES = 1_500
ONLINE_ARGS = ["online-pruning", "--seeds", "0", "1", "--criteria", "variance", "random",
               "--n-patches", str(ONLINE_PATCHES), "--online-epochs", "2",
               "--prune-end-epoch", "1", "--prune-every", "150", "--trace-every", "500",
               "--fi-samples", "300", "--set", "sampling.n_chains=60",
               "--set", "sampling.burn_in=20", "--set", "sampling.thin=3",
               "--set", "training.epochs=1", "--workers", "2", "--no-progress"]


@pytest.fixture(scope="session")
def online_run(tmp_path_factory):
    """A real, tiny online-pruning run (2 seeds x 2 criteria) made with the CLI."""
    from boltzprune.app.cli import main

    out = tmp_path_factory.mktemp("online") / "run"
    assert main([*ONLINE_ARGS, "--out", str(out)]) == 0
    return out
