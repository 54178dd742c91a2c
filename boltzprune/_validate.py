"""Small validators for the public boundary.

Each raises ``ValueError`` or ``TypeError`` with one line naming the argument, what is
expected and what was got. Internal invariants use ``assert`` instead.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import torch


class BoltzpruneError(ValueError):
    """A user-facing error: bad input, a bad file or a failed run. The CLI prints its
    message on one line and exits with status 2."""


def check_positive_int(name: str, value: object, *, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    return int(value)


def check_fraction(name: str, value: object, *, closed: bool = False) -> float:
    """A number in (0, 1); with ``closed`` in [0, 1]."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise TypeError(f"{name} must be a number in (0, 1), got {value!r}")
    v = float(value)
    ok = (0.0 <= v <= 1.0) if closed else (0.0 < v < 1.0)
    if not ok or math.isnan(v):
        span = "[0, 1]" if closed else "(0, 1)"
        raise ValueError(f"{name} must be in {span}, got {value}")
    return v


def check_positive_float(name: str, value: object, *, allow_zero: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise TypeError(f"{name} must be a number, got {value!r}")
    v = float(value)
    if math.isnan(v) or math.isinf(v) or v < 0 or (v == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a finite number {bound}, got {value}")
    return v


def check_choice(name: str, value: object, choices: Iterable[str]) -> str:
    choices = list(choices)
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")
    return str(value)


def check_binary_matrix(name: str, x: object, *, n_columns: int | None = None) -> torch.Tensor:
    """A 2-D tensor/array of 0s and 1s with at least one row; returned as float32 tensor."""
    if isinstance(x, np.ndarray):
        x = torch.from_numpy(np.ascontiguousarray(x))
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a 2-D torch.Tensor or numpy array, got {type(x).__name__}")
    if x.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_units), got shape {tuple(x.shape)}")
    if x.shape[0] == 0:
        raise ValueError(f"{name} is empty: expected at least one row, got shape {tuple(x.shape)}")
    if n_columns is not None and x.shape[1] != n_columns:
        raise ValueError(f"{name} must have {n_columns} columns, got shape {tuple(x.shape)}")
    xf = x.to(torch.float32)
    if torch.isnan(xf).any():
        raise ValueError(f"{name} contains NaN; expected only 0 and 1")
    if not ((xf == 0) | (xf == 1)).all():
        bad = xf[(xf != 0) & (xf != 1)][0].item()
        raise ValueError(f"{name} must be binary (only 0 and 1), found the value {bad}")
    return xf


def check_mask(name: str, mask: object, shape: tuple[int, ...]) -> torch.Tensor:
    if isinstance(mask, np.ndarray):
        mask = torch.from_numpy(mask)
    if not isinstance(mask, torch.Tensor):
        raise TypeError(f"{name} must be a boolean torch.Tensor, got {type(mask).__name__}")
    if tuple(mask.shape) != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got {tuple(mask.shape)}")
    if mask.dtype != torch.bool:
        if not ((mask == 0) | (mask == 1)).all():
            raise ValueError(f"{name} must be boolean (or 0/1), found other values")
        mask = mask.to(torch.bool)
    return mask
