"""Random state derived from (seed, stage), not from history, so that any stage of a run can
be recomputed on its own and gives the same numbers."""

from __future__ import annotations

import hashlib

import numpy as np
import torch

__all__ = ["stage_seed", "stage_generator", "stage_rng", "uniform", "normal", "randperm",
           "randint"]


def stage_seed(seed: int, *stage: object) -> int:
    """A 63-bit seed from the run's seed and a stage key such as ("variance", 2, "retrain")."""
    key = "/".join([str(int(seed)), *map(str, stage)]).encode()
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "little") >> 1


def stage_generator(seed: int, *stage: object, device: str | torch.device = "cpu"
                    ) -> torch.Generator:
    return torch.Generator(device=device).manual_seed(stage_seed(seed, *stage))


def stage_rng(seed: int, *stage: object) -> np.random.Generator:
    return np.random.default_rng(stage_seed(seed, *stage))


def uniform(shape: tuple[int, ...] | torch.Size, generator: torch.Generator | None,
            device: str | torch.device) -> torch.Tensor:
    """U(0, 1) numbers on ``device`` drawn from ``generator``. The numbers are drawn where
    the generator lives, so a generator on the model's device draws them there with no copy
    (a CPU generator driving a GPU model draws on the CPU and copies)."""
    device = torch.device(device)
    if generator is None or generator.device.type == device.type:
        return torch.rand(shape, generator=generator, device=device)
    return torch.rand(shape, generator=generator, device=generator.device).to(device)


def normal(shape: tuple[int, ...] | torch.Size, generator: torch.Generator,
           device: str | torch.device) -> torch.Tensor:
    """N(0, 1) numbers on ``device``, drawn where ``generator`` lives (see ``uniform``)."""
    return torch.randn(shape, generator=generator, device=generator.device).to(device)


def randperm(n: int, generator: torch.Generator, device: str | torch.device) -> torch.Tensor:
    """A random permutation of 0..n-1 on ``device``, drawn where ``generator`` lives."""
    return torch.randperm(n, generator=generator, device=generator.device).to(device)


def randint(high: int, size: tuple[int, ...], generator: torch.Generator,
            device: str | torch.device) -> torch.Tensor:
    """Integers in [0, high) on ``device``, drawn where ``generator`` lives."""
    return torch.randint(high, size, generator=generator, device=generator.device).to(device)
