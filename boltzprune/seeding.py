"""Random state derived from (seed, stage), not from history, so that any stage of a run can
be recomputed on its own and gives the same numbers."""

from __future__ import annotations

import hashlib

import numpy as np
import torch

__all__ = ["stage_seed", "stage_generator", "stage_rng"]


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
    """U(0, 1) numbers on ``device`` drawn from ``generator``, which may live on another
    device (a CPU generator driving a GPU run draws on the CPU and copies)."""
    device = torch.device(device)
    if generator is None or generator.device.type == device.type:
        return torch.rand(shape, generator=generator, device=device)
    return torch.rand(shape, generator=generator, device=generator.device).to(device)
