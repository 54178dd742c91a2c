"""Readers for data files the user has: CIFAR-10 batches (python or binary version).

The python batches are pickles written by Python 2. They are read with a restricted
unpickler that can only rebuild plain containers and NumPy arrays: a file that asks for any
other callable is refused before anything runs.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

from boltzprune._validate import BoltzpruneError

__all__ = ["read_cifar10"]

_RECORD = 1 + 3072  # binary version: label byte + 32 x 32 x 3 bytes (R, G, B planes)
_ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
            ("numpy", "ndarray"), ("numpy", "dtype"),
            ("_codecs", "encode")}  # bytes in protocol-2 pickles written by Python 3


class _Refused(pickle.UnpicklingError):
    pass


class _SafeUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):  # noqa: D401 - pickle hook
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise _Refused(f"it asks for {module}.{name}")


def _planes_to_images(flat: np.ndarray) -> np.ndarray:
    """(n, 3072) rows of 1024 R, 1024 G, 1024 B -> (n, 32, 32, 3)."""
    return flat.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).copy()


def _read_python_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    try:
        with path.open("rb") as f:
            d = _SafeUnpickler(f, encoding="bytes").load()
    except _Refused as e:
        raise BoltzpruneError(f"{path}: refused to load this CIFAR-10 batch: {e}") from None
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, IndexError,
            AttributeError, OSError) as e:
        raise BoltzpruneError(f"{path}: not a readable CIFAR-10 python batch "
                              f"(truncated or corrupted?): {e}") from None
    if not isinstance(d, dict):
        raise BoltzpruneError(f"{path}: expected a dict with b'data' and b'labels', got "
                              f"{type(d).__name__}")
    data = d.get(b"data", d.get("data"))
    labels = d.get(b"labels", d.get("labels"))
    if not isinstance(data, np.ndarray) or labels is None:
        raise BoltzpruneError(f"{path}: expected keys b'data' (uint8 array) and b'labels'")
    if data.ndim != 2 or data.shape[1] != 3072 or data.dtype != np.uint8:
        raise BoltzpruneError(f"{path}: b'data' must be uint8 of shape (n, 3072), got "
                              f"{data.dtype} {data.shape}")
    labels = np.asarray(labels, dtype=np.int64)
    if labels.shape != (data.shape[0],):
        raise BoltzpruneError(f"{path}: {labels.shape[0]} labels for {data.shape[0]} images")
    return _planes_to_images(data), labels


def _read_binary_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    raw = np.frombuffer(path.read_bytes(), dtype=np.uint8)
    if raw.size == 0 or raw.size % _RECORD:
        raise BoltzpruneError(f"{path}: size {raw.size} bytes is not a whole number of "
                              f"{_RECORD}-byte CIFAR-10 records (truncated?)")
    rec = raw.reshape(-1, _RECORD)
    return _planes_to_images(rec[:, 1:]), rec[:, 0].astype(np.int64)


def _read_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    return _read_binary_batch(path) if path.suffix == ".bin" else _read_python_batch(path)


def read_cifar10(path: str | Path, *, include_test: bool = False
                 ) -> tuple[np.ndarray, np.ndarray]:
    """CIFAR-10 images (n, 32, 32, 3) uint8 and labels (n,) int64.

    ``path``: a folder with data_batch_1..5 (python version) or data_batch_1..5.bin
    (binary version), or one batch file. ``include_test`` adds test_batch(.bin).
    """
    path = Path(path)
    if path.is_file():
        files = [path]
    elif path.is_dir():
        names = [f"data_batch_{i}" for i in range(1, 6)] + (["test_batch"] if include_test
                                                            else [])
        files = [path / n for n in names if (path / n).is_file()]
        if not files:
            files = [path / f"{n}.bin" for n in names if (path / f"{n}.bin").is_file()]
        if not files:
            raise BoltzpruneError(f"{path}: no CIFAR-10 batches (data_batch_1 ... or "
                                  "data_batch_1.bin ...) in this folder")
    else:
        raise BoltzpruneError(f"{path}: no such file or folder")
    parts = [_read_batch(f) for f in files]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


