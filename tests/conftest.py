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
