"""Readers for data files the user has: CIFAR-10 batches, python or binary version.

The python batches are pickles written by Python 2. They are read with a restricted
unpickler that can only rebuild plain containers and NumPy arrays: a file that asks for any
other callable is refused before anything in it runs. ``pickle.load`` is never called.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np

from boltzprune.errors import BadFileError, InvalidTypeError

__all__ = ["read_cifar10"]

_N_BATCHES = 5
_IMAGE_BYTES = 3 * 32 * 32  # 1024 R, 1024 G, 1024 B, each plane row-major
_RECORD = 1 + _IMAGE_BYTES  # binary version: one label byte, then the image
_N_CLASSES = 10
# Everything a CIFAR-10 python batch may ask the unpickler for: NumPy's array rebuilder and
# the types it takes. ``_codecs.encode`` turns a str into bytes; Python 3 writes every bytes
# object that way under protocols 0-2 (Python 2's own files do not need it). It runs no
# user code: it can only call a text codec of the standard library's ``encodings`` package.
_ALLOWED = frozenset({
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("_codecs", "encode"),
})


class _Refused(pickle.UnpicklingError):
    """The pickle asked for a global outside ``_ALLOWED``."""


class _SafeUnpickler(pickle.Unpickler):
    """An unpickler that resolves only the globals in ``_ALLOWED``."""

    def find_class(self, module: str, name: str) -> object:
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise _Refused(f"{module}.{name}")


def _planes_to_images(flat: np.ndarray) -> np.ndarray:
    """(n, 3072) rows of 1024 R, 1024 G, 1024 B values -> (n, 32, 32, 3) uint8."""
    return np.ascontiguousarray(flat.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))


def _check_labels(path: Path, labels: np.ndarray) -> None:
    if labels.size and (labels.min() < 0 or labels.max() >= _N_CLASSES):
        raise BadFileError(f"{path}: expected CIFAR-10 labels in 0..{_N_CLASSES - 1}, found "
                           f"{int(labels.min())}..{int(labels.max())}")


def _read_python_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """One python-version batch: a pickled dict with b"data" (n, 3072) uint8 and b"labels"."""
    try:
        with path.open("rb") as f:
            batch = _SafeUnpickler(f, encoding="bytes").load()
    except _Refused as e:
        raise BadFileError(f"read_cifar10 refuses to load {path}: it asks for {e}, but a "
                           "CIFAR-10 batch holds only NumPy arrays, lists and bytes") from None
    except OSError as e:
        raise BadFileError(f"{path}: cannot read the file: {e}") from None
    except (MemoryError, RecursionError) as e:
        raise BadFileError(f"{path}: not a CIFAR-10 python batch "
                           f"({type(e).__name__} while unpickling)") from None
    except Exception as e:  # any parse failure of a damaged or foreign file
        raise BadFileError(f"{path}: not a readable CIFAR-10 python batch (truncated or "
                           f"corrupted?): {type(e).__name__}: {e}") from None
    if not isinstance(batch, dict):
        raise BadFileError(f"{path}: expected a pickled dict with keys b'data' and "
                           f"b'labels', got {type(batch).__name__}")
    data = batch.get(b"data", batch.get("data"))
    labels = batch.get(b"labels", batch.get("labels"))
    if data is None or labels is None:
        keys = ", ".join(sorted(map(repr, batch)))
        raise BadFileError(f"{path}: expected keys b'data' and b'labels', got {keys}")
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 \
            or data.shape[1] != _IMAGE_BYTES:
        got = (f"{data.dtype} array of shape {data.shape}" if isinstance(data, np.ndarray)
               else type(data).__name__)
        raise BadFileError(f"{path}: b'data' must be a uint8 array of shape "
                           f"(n, {_IMAGE_BYTES}), got {got}")
    try:
        labels = np.asarray(labels, dtype=np.int64)
    except (TypeError, ValueError, OverflowError):
        raise BadFileError(f"{path}: b'labels' must be a list of integers") from None
    if labels.shape != (data.shape[0],):
        raise BadFileError(f"{path}: b'labels' must hold one integer per image "
                           f"({data.shape[0]}), got shape {labels.shape}")
    _check_labels(path, labels)
    return _planes_to_images(data), labels


def _read_binary_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """One binary-version batch: records of 1 label byte + 3072 image bytes."""
    try:
        raw = np.frombuffer(path.read_bytes(), dtype=np.uint8)
    except OSError as e:
        raise BadFileError(f"{path}: cannot read the file: {e}") from None
    if raw.size == 0 or raw.size % _RECORD:
        raise BadFileError(f"{path}: expected a whole number of {_RECORD}-byte CIFAR-10 "
                           f"records (1 label byte + {_IMAGE_BYTES} image bytes), got "
                           f"{raw.size} bytes (truncated or not CIFAR-10?)")
    records = raw.reshape(-1, _RECORD)
    labels = records[:, 0].astype(np.int64)
    _check_labels(path, labels)
    return _planes_to_images(records[:, 1:]), labels


def _read_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    return _read_binary_batch(path) if path.suffix == ".bin" else _read_python_batch(path)


def _batch_files(folder: Path, include_test: bool) -> list[Path]:
    """The batch files of a CIFAR-10 folder (python version preferred over binary)."""
    names = [f"data_batch_{i}" for i in range(1, _N_BATCHES + 1)]
    if include_test:
        names.append("test_batch")
    for suffix in ("", ".bin"):
        files = [folder / f"{n}{suffix}" for n in names]
        present = [f.is_file() for f in files]
        if present[0]:
            missing = [f.name for f, ok in zip(files, present, strict=True) if not ok]
            if missing:
                raise BadFileError(f"{folder}: incomplete CIFAR-10 folder: expected "
                                   f"{', '.join(f.name for f in files)}; missing "
                                   f"{', '.join(missing)}")
            return files
    for sub in ("cifar-10-batches-py", "cifar-10-batches-bin"):  # the unpacked archives
        if (folder / sub / "data_batch_1").is_file() or \
                (folder / sub / "data_batch_1.bin").is_file():
            return _batch_files(folder / sub, include_test)
    raise BadFileError(f"{folder}: no CIFAR-10 batches in this folder: expected "
                       "data_batch_1 ... data_batch_5 (python version) or "
                       "data_batch_1.bin ... data_batch_5.bin (binary version)")


def read_cifar10(path: str | os.PathLike[str], *, include_test: bool = False
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Read CIFAR-10 images and labels from the files the user has.

    path: a folder holding data_batch_1 ... data_batch_5 (python version) or
    data_batch_1.bin ... data_batch_5.bin (binary version), or the folder the archive
    unpacks into sits in; or a single batch file (``.bin`` suffix: binary version). All five
    training batches must be present; ``include_test`` adds test_batch(.bin).

    Returns images (n, 32, 32, 3) uint8 (RGB) and labels (n,) int64 in 0..9, batches in
    order. Missing, truncated or malformed files raise BadFileError naming the file; a
    pickle that asks for anything besides NumPy's array rebuilder is refused unrun.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise InvalidTypeError("path must be a str or os.PathLike naming a CIFAR-10 folder or "
                               f"batch file, got {type(path).__name__}")
    if not isinstance(include_test, bool):
        raise InvalidTypeError(f"include_test must be True or False, got {include_test!r}")
    path = Path(path)
    if path.is_file():
        files = [path]
    elif path.is_dir():
        files = _batch_files(path, include_test)
    else:
        raise BadFileError(f"{path}: no such file or folder (expected a CIFAR-10 folder or "
                           "batch file)")
    parts = [_read_batch(f) for f in files]
    return (np.concatenate([p[0] for p in parts]),
            np.concatenate([p[1] for p in parts]))
