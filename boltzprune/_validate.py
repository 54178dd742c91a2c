"""Small validators for the public boundary.

Each raises ``InvalidInputError`` or ``InvalidTypeError`` (``boltzprune.errors``) with one
line naming the argument, what is expected and what was got. Internal invariants use
``assert`` instead.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

from boltzprune.errors import BoltzpruneError, InvalidInputError, InvalidTypeError

if TYPE_CHECKING:
    import torch

# torch is imported inside the checks of tensors, generators and devices only, so that
# configs are checked (and the command line answers) without loading it.

# BoltzpruneError is re-exported for older imports; new code imports from boltzprune.errors.
__all__ = ["BoltzpruneError", "check_positive_int", "check_fraction", "check_positive_float",
           "check_bool", "check_choice", "check_binary_matrix", "check_mask", "check_seeds",
           "check_device", "check_device_name", "check_finite", "check_generator", "check_memory",
           "available_memory"]


def check_positive_int(name: str, value: object, *, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InvalidTypeError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise InvalidInputError(f"{name} must be an integer >= {minimum}, got {value}")
    return int(value)


def _number(name: str, value: object, wanted: str = "a number") -> float:
    """``value`` as a float; a bool or a non-number is an InvalidTypeError."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise InvalidTypeError(f"{name} must be {wanted}, got {value!r}")
    return float(value)


def check_fraction(name: str, value: object, *, closed: bool = False,
                   zero: bool = False) -> float:
    """A number in (0, 1); with ``closed`` in [0, 1]; with ``zero`` in [0, 1)."""
    span = "[0, 1]" if closed else "[0, 1)" if zero else "(0, 1)"
    v = _number(name, value, f"a number in {span}")
    ok = (0.0 <= v <= 1.0) if closed else (0.0 <= v < 1.0) if zero else (0.0 < v < 1.0)
    if not ok or math.isnan(v):
        raise InvalidInputError(f"{name} must be in {span}, got {value}")
    return v


def check_positive_float(name: str, value: object, *, allow_zero: bool = False) -> float:
    v = _number(name, value)
    if math.isnan(v) or math.isinf(v) or v < 0 or (v == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise InvalidInputError(f"{name} must be a finite number {bound}, got {value}")
    return v


def check_bool(name: str, value: object) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise InvalidTypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_choice(name: str, value: object, choices: Iterable[str]) -> str:
    choices = list(choices)
    if value not in choices:
        raise InvalidInputError(f"{name} must be one of {', '.join(map(repr, choices))}; "
                                f"got {value!r}")
    return str(value)


def check_binary_matrix(name: str, x: object, *, n_columns: int | None = None) -> torch.Tensor:
    """A 2-D tensor/array of 0s and 1s with at least one row; returned as float32 tensor."""
    import torch

    if isinstance(x, np.ndarray):
        x = torch.from_numpy(np.ascontiguousarray(x))
    if not isinstance(x, torch.Tensor):
        raise InvalidTypeError(f"{name} must be a 2-D torch.Tensor or numpy array, got "
                               f"{type(x).__name__}")
    if x.ndim != 2:
        raise InvalidInputError(f"{name} must be 2-D (n_samples, n_units), got shape "
                                f"{tuple(x.shape)}")
    if x.shape[0] == 0:
        raise InvalidInputError(f"{name} is empty: expected at least one row, got shape "
                                f"{tuple(x.shape)}")
    if n_columns is not None and x.shape[1] != n_columns:
        raise InvalidInputError(f"{name} must have {n_columns} columns, got shape {tuple(x.shape)}")
    xf = x.to(torch.float32)
    if torch.isnan(xf).any():
        raise InvalidInputError(f"{name} contains NaN; expected only 0 and 1")
    if not ((xf == 0) | (xf == 1)).all():
        bad = xf[(xf != 0) & (xf != 1)][0].item()
        raise InvalidInputError(f"{name} must be binary (only 0 and 1), found the value {bad}")
    return xf


def check_mask(name: str, mask: object, shape: tuple[int, ...]) -> torch.Tensor:
    import torch

    if isinstance(mask, np.ndarray):
        mask = torch.from_numpy(mask)
    if not isinstance(mask, torch.Tensor):
        raise InvalidTypeError(f"{name} must be a boolean torch.Tensor, got "
                               f"{type(mask).__name__}")
    if tuple(mask.shape) != tuple(shape):
        raise InvalidInputError(f"{name} must have shape {tuple(shape)}, got {tuple(mask.shape)}")
    if mask.dtype != torch.bool:
        if not ((mask == 0) | (mask == 1)).all():
            raise InvalidInputError(f"{name} must be boolean (or 0/1), found other values")
        mask = mask.to(torch.bool)
    return mask


def check_seeds(name: str, seeds: object) -> tuple[int, ...]:
    """A non-empty sequence of distinct integers >= 0."""
    if not isinstance(seeds, (tuple, list)) or not seeds:
        raise InvalidInputError(f"{name} must name at least one seed, got {seeds!r}")
    for s in seeds:
        check_positive_int(name, s, minimum=0)
    if len(set(seeds)) != len(seeds):
        raise InvalidInputError(f"{name} must be distinct, got {list(seeds)}")
    return tuple(int(s) for s in seeds)


def check_device(name: str, device: object) -> torch.device:
    """A torch device (or its name) that this machine has; "auto" is CUDA when torch sees a
    GPU, else the CPU."""
    import torch

    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if isinstance(device, torch.device):
        dev = device
    elif isinstance(device, str):
        try:
            dev = torch.device(device)
        except RuntimeError:
            raise InvalidInputError(f"{name}: not a torch device: {device!r} (try cpu or cuda)"
                                    ) from None
    else:
        raise InvalidTypeError(f"{name} must be a string such as 'cpu' or 'cuda', got "
                               f"{device!r}")
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise InvalidInputError(f"{name} {str(device)!r} asked for, but torch sees no CUDA "
                                    "GPU")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise InvalidInputError(f"{name} {str(device)!r}: torch sees "
                                    f"{torch.cuda.device_count()} CUDA GPU(s), numbered from 0")
    elif dev.type == "mps":
        if not torch.backends.mps.is_available():
            raise InvalidInputError(f"{name} 'mps' asked for, but torch sees no MPS device")
    elif dev.type != "cpu":
        raise InvalidInputError(f"{name}: {str(device)!r} is not a device boltzprune runs on "
                                "(cpu, cuda, mps or auto)")
    return dev


def check_device_name(name: str, device: object) -> str:
    """``check_device`` for a config: the device's name, "auto" resolved ("cuda" when torch
    sees a GPU, else "cpu"). "cpu" is checked without importing torch."""
    if device == "cpu":
        return "cpu"
    return str(check_device(name, device))


def check_finite(name: str, value: object) -> float:
    """A finite real number (any sign)."""
    v = _number(name, value)
    if not math.isfinite(v):
        raise InvalidInputError(f"{name} must be a finite number, got {value}")
    return v


def check_generator(name: str, generator: object) -> torch.Generator:
    """A ``torch.Generator`` (every random draw comes from one, on the device it names)."""
    import torch

    if not isinstance(generator, torch.Generator):
        raise InvalidTypeError(f"{name} must be a torch.Generator, e.g. "
                               f"torch.Generator().manual_seed(0), got {generator!r}"[:200])
    return generator


def available_memory(device: str | torch.device = "cpu") -> int:
    """Bytes free for new allocations on ``device``: for CUDA the GPU's free memory plus
    what torch's caching allocator holds unused, the machine's available memory otherwise."""
    import torch

    dev = torch.device(device)
    if dev.type == "cuda":
        cached = torch.cuda.memory_reserved(dev) - torch.cuda.memory_allocated(dev)
        return int(torch.cuda.mem_get_info(dev)[0] + cached)
    import psutil

    return int(psutil.virtual_memory().available)


def _gb(n: float) -> str:
    if n >= 1e12:
        return f"{n / 1e12:.1f} TB"
    return f"{n / 1e9:.1f} GB" if n >= 1e8 else f"{n / 1e6:.0f} MB"


def check_memory(setting: str, nbytes: float, device: str | torch.device = "cpu") -> None:
    """Refuse, before allocating, what would need more than the memory ``device`` has free:
    one line naming ``setting`` (e.g. "n_hidden=1000000000"), the estimate and what there
    is."""
    import torch

    free = available_memory(device)
    if nbytes > free:
        where = "this machine has" if torch.device(device).type != "cuda" else \
            f"{device} has"
        raise InvalidInputError(f"{setting}: would need about {_gb(nbytes)} of memory, "
                                f"{where} {_gb(free)} free; choose a smaller value")
