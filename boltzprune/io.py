"""Files: atomic writes, and checkpoints as safetensors with a checksum and format version.

Nothing is ever unpickled: tensors are safetensors, everything else JSON.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from boltzprune.errors import BadFileError, InvalidInputError, InvalidTypeError
from boltzprune.models.dbm import DBM
from boltzprune.models.rbm import RBM

__all__ = ["atomic_write_bytes", "atomic_write_text", "write_json", "read_json", "read_bytes",
           "save_model", "load_model",
           "save_checkpoint", "load_checkpoint", "save_rbm", "load_rbm", "FORMAT_VERSION"]

FORMAT = "boltzprune-checkpoint"
FORMAT_VERSION = "1"


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, fsync, then rename over it, so a
    crash or a full disk never leaves a half-written file at ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        raise BadFileError(f"could not write {path}: {e.strerror or e}") from e
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def write_json(path: str | Path, obj: Any) -> None:
    atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=False, default=_json_default)
                      + "\n")


def read_json(path: str | Path) -> Any:
    path = Path(path)
    raw = read_bytes(path, "JSON file")
    try:
        return json.loads(raw.decode("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise BadFileError(f"{path}: not valid JSON ({e})") from None


def _json_default(x: Any) -> Any:
    if isinstance(x, torch.Tensor):
        return x.tolist()
    if hasattr(x, "tolist"):
        return x.tolist()
    if isinstance(x, Path):
        return str(x)
    raise InvalidTypeError(f"cannot store {type(x).__name__} as JSON")


def _digest(tensors: dict[str, torch.Tensor]) -> str:
    h = hashlib.sha256()
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(t.view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()


def save_checkpoint(path: str | Path, tensors: dict[str, torch.Tensor],
                    meta: dict[str, Any] | None = None) -> None:
    """Save tensors with JSON metadata, a SHA-256 of the tensor data and the format version."""
    tensors = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
    header = {"format": FORMAT, "format_version": FORMAT_VERSION, "sha256": _digest(tensors),
              "meta": json.dumps(meta or {}, default=_json_default)}
    atomic_write_bytes(path, st_save(tensors, metadata=header))


def read_bytes(path: str | Path, what: str = "file") -> bytes:
    """The contents of the file at ``path``; BadFileError naming it, and ``what`` it should
    be, when it is missing, a folder or unreadable."""
    path = Path(path)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise BadFileError(f"{path}: {what} not found") from None
    except IsADirectoryError:
        raise BadFileError(f"{path}: is a folder, not a {what}") from None
    except OSError as e:
        raise BadFileError(f"{path}: could not read the {what}: {e.strerror or e}") from None


def load_checkpoint(path: str | Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Load and verify a checkpoint written by ``save_checkpoint``.

    Raises BadFileError naming the file when it is missing, truncated, altered, of
    another format or of an unknown format version.
    """
    path = Path(path)
    raw = read_bytes(path, "checkpoint")
    try:
        tensors = st_load(raw)
        n = int.from_bytes(raw[:8], "little")  # safetensors: u64 header size, JSON header
        header = json.loads(raw[8:8 + n]).get("__metadata__") or {}
    except (SafetensorError, ValueError, RuntimeError) as e:
        raise BadFileError(f"{path}: not a readable safetensors checkpoint "
                           f"(truncated or corrupted?): {e}") from None
    if header.get("format") != FORMAT:
        raise BadFileError(f"{path}: not a boltzprune checkpoint")
    if header.get("format_version") != FORMAT_VERSION:
        raise BadFileError(f"{path}: checkpoint format version "
                           f"{header.get('format_version')!r}, this boltzprune reads "
                           f"{FORMAT_VERSION!r}")
    if _digest(tensors) != header.get("sha256"):
        raise BadFileError(f"{path}: checksum mismatch, the checkpoint was altered or "
                           "damaged")
    try:
        meta = json.loads(header.get("meta", "{}"))
    except json.JSONDecodeError:
        raise BadFileError(f"{path}: checkpoint metadata is not valid JSON") from None
    return tensors, meta


def save_rbm(path: str | Path, rbm: RBM, meta: dict[str, Any] | None = None) -> None:
    save_checkpoint(path, rbm.tensors(), {"kind": "rbm", **(meta or {})})


def save_model(path: str | Path, model: RBM | DBM, meta: dict[str, Any] | None = None
               ) -> None:
    """A checkpoint of an RBM or a DBM, its kind in the metadata."""
    kind = "rbm" if isinstance(model, RBM) else "dbm"
    meta = {k: v for k, v in (meta or {}).items() if k != "kind"}  # the model says what it is
    save_checkpoint(path, model.tensors(), {"kind": kind, **meta})


def load_model(path: str | Path, device: str | torch.device | None = None
               ) -> tuple[RBM | DBM, dict[str, Any]]:
    """An RBM or a DBM written by ``save_model`` (or ``save_rbm``), on ``device``."""
    tensors, meta = load_checkpoint(path)
    cls = {"rbm": RBM, "dbm": DBM}.get(meta.get("kind"))
    if cls is None:
        raise BadFileError(f"{path}: holds a {meta.get('kind')!r}, not an RBM or a DBM")
    try:
        model = cls.from_tensors(tensors)
    except InvalidInputError as e:  # tensors of the wrong names or shapes
        raise BadFileError(f"{path}: {e}") from None
    return (model.to(device) if device is not None else model), meta


def load_rbm(path: str | Path) -> tuple[RBM, dict[str, Any]]:
    tensors, meta = load_checkpoint(path)
    if meta.get("kind") != "rbm":
        raise BadFileError(f"{path}: holds a {meta.get('kind')!r}, not an RBM")
    try:
        return RBM.from_tensors(tensors), meta
    except InvalidInputError as e:  # tensors of the wrong names or shapes
        raise BadFileError(f"{path}: {e}") from None
