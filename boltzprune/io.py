"""Files: atomic writes, and checkpoints as safetensors with a checksum and format version.

Nothing is ever unpickled: tensors are safetensors, everything else JSON. Readers refuse
anything but a regular file before reading it, so a FIFO or a device never blocks them.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import sys
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from boltzprune.errors import BadFileError, InvalidInputError, InvalidTypeError

if TYPE_CHECKING:
    import torch

    from boltzprune.models.dbm import DBM
    from boltzprune.models.rbm import RBM

# torch, safetensors and the models are imported by the checkpoint functions only, so that
# the JSON and file helpers (which the command line uses) load no torch.

__all__ = ["atomic_write_bytes", "atomic_write_text", "write_json", "read_json", "read_bytes",
           "save_model", "load_model",
           "save_checkpoint", "load_checkpoint", "save_rbm", "load_rbm", "FORMAT_VERSION"]

FORMAT = "boltzprune-checkpoint"
FORMAT_VERSION = "2"  # 2: the checksum covers the metadata too; 1: the tensors only
_READABLE_VERSIONS = ("1", "2")
MAX_READ_BYTES = 256 * 1024 ** 2  # read_bytes' default limit
_MAX_HEADER_BYTES = 100_000_000  # safetensors' own limit on the JSON header


# --------------------------------------------------------------------------- writing

_umask_lock = threading.Lock()


def _umask() -> int:
    """The process's umask, read without changing it where the system shows it."""
    # Read at each write rather than cached at import, so that files follow the umask in
    # force when they are written (a program may set it after importing boltzprune). Linux
    # shows it in /proc/self/status; elsewhere os.umask is the only reader and it sets the
    # umask too, so: the lock keeps two writers here from interleaving their set-and-restore
    # (which could leave the wrong umask behind), and setting 0o077, not 0, means a file
    # another thread creates in that instant gets a stricter mode, never a looser one.
    with contextlib.suppress(OSError, ValueError, IndexError):
        with open("/proc/self/status", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    with _umask_lock:
        mask = os.umask(0o077)
        os.umask(mask)
    return mask


def _reason(e: OSError) -> str:
    """The error in words (e.g. 'Read-only file system'), without the file name."""
    return e.strerror or (os.strerror(e.errno) if e.errno else "") or str(e) or type(e).__name__


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, fsync, then rename over it, so a
    crash or a full disk never leaves a half-written file at ``path``. The file gets the
    mode the umask gives a new file (0o666 & ~umask), not mkstemp's 0o600."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise BadFileError(f"could not write {path}: could not create the folder "
                           f"{path.parent}: a file is in the way") from None
    except OSError as e:
        raise BadFileError(f"could not write {path}: could not create the folder "
                           f"{path.parent}: {_reason(e)}") from None
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as f:
            if hasattr(os, "fchmod"):
                # best effort: a file system without modes (FAT) may refuse, and then the
                # mode does not matter
                with contextlib.suppress(OSError):
                    os.fchmod(f.fileno(), 0o666 & ~_umask())
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:  # the message names path, never the temporary file
        _remove(tmp)
        raise BadFileError(f"could not write {path}: {_reason(e)}") from None
    except BaseException:
        _remove(tmp)
        raise


def _remove(tmp: str | None) -> None:
    if tmp is not None:
        with contextlib.suppress(OSError):
            Path(tmp).unlink(missing_ok=True)


def atomic_write_text(path: str | Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def write_json(path: str | Path, obj: Any) -> None:
    atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=False, default=_json_default)
                      + "\n")


def _json_default(x: Any) -> Any:
    torch = sys.modules.get("torch")  # not imported: x cannot be a tensor
    if torch is not None and isinstance(x, torch.Tensor):
        return x.tolist()
    if hasattr(x, "tolist"):
        return x.tolist()
    if isinstance(x, Path):
        return str(x)
    raise InvalidTypeError(f"cannot store {type(x).__name__} as JSON")


# --------------------------------------------------------------------------- reading

_KINDS = ((stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"))


def _a(what: str) -> str:
    return f"{'an' if what[:1].lower() in 'aeiou' else 'a'} {what}"


def _check_regular(path: Path, mode: int, what: str) -> None:
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        raise BadFileError(f"{path}: is a folder, not {_a(what)}")
    kind = next((k for test, k in _KINDS if test(mode)), "of an unknown kind")
    raise BadFileError(f"{path}: not a regular file ({kind}); expected {_a(what)}")


def _open_regular(path: Path, what: str) -> tuple[BinaryIO, int]:
    """The regular file at ``path``, open for reading, and its size. Anything else (a
    folder, FIFO, device, socket) is refused before it is opened, and opened without
    blocking in case it was swapped in since."""
    flags = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
             | getattr(os, "O_BINARY", 0))
    try:
        _check_regular(path, os.stat(path).st_mode, what)
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise BadFileError(f"{path}: {what} not found") from None
    except OSError as e:
        raise BadFileError(f"{path}: could not read the {what}: {_reason(e)}") from None
    try:
        st = os.fstat(fd)
        _check_regular(path, st.st_mode, what)
        if hasattr(os, "set_blocking"):  # a regular file after all: plain reads
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb"), st.st_size
    except OSError as e:
        os.close(fd)
        raise BadFileError(f"{path}: could not read the {what}: {_reason(e)}") from None
    except BaseException:
        os.close(fd)
        raise


def _size(n: int) -> str:
    """``n`` bytes in words: 300 bytes, 1.5 KiB, 256 MiB."""
    x, unit = float(n), 0
    while x >= 1024 and unit < 4:
        x, unit = x / 1024, unit + 1
    if unit == 0:
        return f"{n} bytes"
    return f"{x:.1f}".removesuffix(".0") + " " + ("KiB", "MiB", "GiB", "TiB")[unit - 1]


def read_bytes(path: str | Path, what: str = "file", max_bytes: int = MAX_READ_BYTES
               ) -> bytes:
    """The contents of the file at ``path``; BadFileError naming it, and ``what`` it should
    be, when it is missing, not a regular file, larger than ``max_bytes`` or unreadable."""
    path = Path(path)
    f, size = _open_regular(path, what)

    def too_large(size: int | None) -> BadFileError:
        limit = _size(max_bytes)
        if size is None:  # it grew while read, or a file of no stated size (/proc)
            return BadFileError(f"{path}: the {what} is over the {limit} limit")
        if _size(size) == limit:  # too close to tell apart when rounded
            return BadFileError(f"{path}: the {what} is {size} bytes, over the "
                                f"{max_bytes} bytes limit")
        return BadFileError(f"{path}: the {what} is {_size(size)}, over the {limit} limit")

    if size > max_bytes:
        f.close()
        raise too_large(size)
    with f:
        try:
            parts = [f.read(size)]
            n = len(parts[0])
            while chunk := f.read(min(1 << 20, max_bytes + 1 - n)):  # more than stated
                parts.append(chunk)
                n += len(chunk)
                if n > max_bytes:
                    raise too_large(None)
        except OSError as e:
            raise BadFileError(f"{path}: could not read the {what}: {_reason(e)}") from None
    return b"".join(parts)


def read_json(path: str | Path) -> Any:
    path = Path(path)
    raw = read_bytes(path, "JSON file")
    try:
        return json.loads(raw.decode("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise BadFileError(f"{path}: not valid JSON ({e})") from None


# --------------------------------------------------------------------------- checkpoints

def _digest(tensors: dict[str, torch.Tensor], header: dict[str, Any] | None = None) -> str:
    """SHA-256 of the tensors (format 1), and with ``header`` (format 2) of its format,
    format_version and meta strings too."""
    import torch

    h = hashlib.sha256()
    if header is not None:
        for key in ("format", "format_version", "meta"):
            value = str(header.get(key, "")).encode()
            h.update(f"{key}|{len(value)}|".encode())
            h.update(value)
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(t.view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()


def _canonical(raw: bytes) -> bytes:
    """Safetensors bytes with the JSON header rewritten with sorted keys and no spaces, so
    that they depend on the tensors and metadata only (safetensors writes the metadata in
    an order that differs between processes). The header is padded with spaces to a
    multiple of 8 bytes, as safetensors does, so the tensor data stays 8-byte aligned; the
    data bytes do not move, so the offsets in the header stay right."""
    n = int.from_bytes(raw[:8], "little")
    text = json.dumps(json.loads(raw[8:8 + n]), sort_keys=True, separators=(",", ":"))
    header = text.encode("ascii")  # json.dumps escapes anything else
    header += b" " * (-len(header) % 8)
    return len(header).to_bytes(8, "little") + header + raw[8 + n:]


def save_checkpoint(path: str | Path, tensors: dict[str, torch.Tensor],
                    meta: dict[str, Any] | None = None) -> None:
    """Save tensors with JSON metadata, the format version and a SHA-256 of all of them;
    the file's bytes depend only on the tensors and the metadata."""
    from safetensors.torch import save as st_save

    tensors = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
    header = {"format": FORMAT, "format_version": FORMAT_VERSION,
              "meta": json.dumps(meta or {}, sort_keys=True, default=_json_default)}
    header["sha256"] = _digest(tensors, header)
    atomic_write_bytes(path, _canonical(st_save(tensors, metadata=header)))


def _read_safetensors(path: Path, f: BinaryIO, size: int) -> tuple[bytes, dict[str, Any]]:
    """The bytes of the safetensors file ``f`` and its parsed header, the header's sizes
    checked against the file's ``size`` before the tensor data is read."""
    def bad(why: str) -> BadFileError:
        return BadFileError(f"{path}: not a readable safetensors checkpoint (truncated or "
                            f"corrupted?): {why}")

    head = f.read(8)  # safetensors: u64 little-endian header size, JSON header, data
    if len(head) < 8:
        raise bad(f"the file is {len(head)} bytes, too short for the 8-byte header size")
    n = int.from_bytes(head, "little")
    if n > _MAX_HEADER_BYTES:
        raise bad(f"it declares a header of {n} bytes, over the {_MAX_HEADER_BYTES}-byte "
                  "limit")
    if 8 + n > size:
        raise bad(f"it declares a header of {n} bytes, but the file is {size} bytes")
    try:
        header = json.loads(f.read(n))
    except ValueError:  # JSONDecodeError and UnicodeDecodeError
        raise bad("the header is not valid JSON") from None
    if not isinstance(header, dict):
        raise bad("the header is not a JSON object")
    end = 0
    for name, info in header.items():
        if name == "__metadata__":
            continue
        offsets = info.get("data_offsets") if isinstance(info, dict) else None
        if not (isinstance(offsets, list) and len(offsets) == 2
                and all(type(o) is int for o in offsets) and 0 <= offsets[0] <= offsets[1]):
            raise bad(f"tensor {name!r} has no valid data_offsets")
        end = max(end, offsets[1])
    if end != size - 8 - n:
        raise bad(f"the header describes {end} bytes of tensor data, the file holds "
                  f"{size - 8 - n}")
    f.seek(0)
    raw = f.read(size)
    if len(raw) != size:
        raise bad("the file changed while it was read")
    return raw, header


def load_checkpoint(path: str | Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Load and verify a checkpoint written by ``save_checkpoint`` (format 1 or 2).

    Raises BadFileError naming the file when it is missing, not a regular file, truncated,
    altered, of another format or of an unknown format version.
    """
    from safetensors import SafetensorError
    from safetensors.torch import load as st_load

    path = Path(path)
    f, size = _open_regular(path, "checkpoint")
    with f:
        try:
            raw, header = _read_safetensors(path, f, size)
        except OSError as e:
            raise BadFileError(f"{path}: could not read the checkpoint: {_reason(e)}"
                               ) from None
    try:
        tensors = st_load(raw)
    except (SafetensorError, ValueError, RuntimeError) as e:
        raise BadFileError(f"{path}: not a readable safetensors checkpoint "
                           f"(truncated or corrupted?): {e}") from None
    header = header.get("__metadata__") or {}
    if header.get("format") != FORMAT:
        raise BadFileError(f"{path}: not a boltzprune checkpoint")
    version = header.get("format_version")
    if version not in _READABLE_VERSIONS:
        raise BadFileError(f"{path}: checkpoint format version {version!r}, this boltzprune "
                           f"reads {' and '.join(map(repr, _READABLE_VERSIONS))}")
    if _digest(tensors, header if version != "1" else None) != header.get("sha256"):
        raise BadFileError(f"{path}: checksum mismatch, the checkpoint was altered or "
                           "damaged; if it is part of a run directory, delete it and resume "
                           "the run to recompute it")
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
    from boltzprune.models.rbm import RBM

    kind = "rbm" if isinstance(model, RBM) else "dbm"
    meta = {k: v for k, v in (meta or {}).items() if k != "kind"}  # the model says what it is
    save_checkpoint(path, model.tensors(), {"kind": kind, **meta})


def load_model(path: str | Path, device: str | torch.device | None = None
               ) -> tuple[RBM | DBM, dict[str, Any]]:
    """An RBM or a DBM written by ``save_model`` (or ``save_rbm``), on ``device``."""
    from boltzprune.models.dbm import DBM
    from boltzprune.models.rbm import RBM

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
    from boltzprune.models.rbm import RBM

    tensors, meta = load_checkpoint(path)
    if meta.get("kind") != "rbm":
        raise BadFileError(f"{path}: holds a {meta.get('kind')!r}, not an RBM")
    try:
        return RBM.from_tensors(tensors), meta
    except InvalidInputError as e:  # tensors of the wrong names or shapes
        raise BadFileError(f"{path}: {e}") from None
