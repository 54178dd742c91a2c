"""IDX files (the format MNIST ships in): a reader, the MNIST and Fashion-MNIST file sets, a
check of which set a folder holds, and a verified download.

An IDX file is a 4-byte magic number ``00 00 TT ND`` (``TT`` the element type, ``ND`` the
number of dimensions), then ``ND`` big-endian uint32 sizes, then the elements, big-endian,
in row-major order. MNIST uses type 0x08 (uint8): images are (n, 28, 28), labels (n,).
Fashion-MNIST (Zalando's 28 x 28 grey images of clothing, 10 classes) uses the same four file
names and format; ``identify_idx_set`` tells the two apart by the SHA-256 of the gzipped files.

Files may be gzipped (as MNIST is distributed); the reader decompresses them itself.

Downloads are checked against SHA-256 sums before they are put in place: the file is written
to a temporary name in the destination folder, verified, then renamed with ``os.replace``, so
a failed or corrupted download never leaves a file under the final name.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import os
import tempfile
import urllib.error
import urllib.request
import zlib
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from boltzprune.errors import BadFileError, InvalidInputError, InvalidTypeError
from boltzprune.io import read_bytes

__all__ = [
    "FASHION_MNIST_FILES",
    "MNIST_BASE_URL",
    "MNIST_FILES",
    "download_file",
    "download_mnist",
    "identify_idx_set",
    "read_idx",
    "read_mnist_idx",
]

# Element type code -> big-endian NumPy dtype.
_IDX_TYPES: dict[int, str] = {
    0x08: ">u1",
    0x09: ">i1",
    0x0B: ">i2",
    0x0C: ">i4",
    0x0D: ">f4",
    0x0E: ">f8",
}
_GZIP_MAGIC = b"\x1f\x8b"

#: The TensorFlow mirror of the MNIST files (yann.lecun.com no longer serves them reliably).
MNIST_BASE_URL = "https://storage.googleapis.com/cvdf-datasets/mnist/"

#: The four standard MNIST files and the SHA-256 sums of their gzipped contents.
MNIST_FILES: dict[str, str] = {
    "train-images-idx3-ubyte.gz":
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz":
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz":
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz":
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}

#: The four Fashion-MNIST files (same names as MNIST's) and the SHA-256 sums of their gzipped
#: contents, as released by Zalando Research and packaged by Debian (dataset-fashion-mnist).
FASHION_MNIST_FILES: dict[str, str] = {
    "train-images-idx3-ubyte.gz":
        "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
    "train-labels-idx1-ubyte.gz":
        "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
    "t10k-images-idx3-ubyte.gz":
        "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
    "t10k-labels-idx1-ubyte.gz":
        "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
}

# The labels identify_idx_set returns: a known file set's name, or the generic one.
_KNOWN_SETS: dict[str, dict[str, str]] = {"MNIST": MNIST_FILES,
                                          "Fashion-MNIST": FASHION_MNIST_FILES}
_UNKNOWN_SET = "IDX files"

# (images, labels) stems of the two splits, without ".gz".
_SPLITS = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
_N_CLASSES = 10
_CHUNK = 1 << 20


def _check_path(name: str, value: object) -> Path:
    if not isinstance(value, (str, os.PathLike)):
        raise InvalidTypeError(f"{name} must be a str or os.PathLike, got {type(value).__name__}")
    return Path(value)


def _read_bytes(path: Path) -> bytes:
    """The file's contents, gunzipped when it is gzip data."""
    raw = read_bytes(path, "IDX file")
    if raw[:2] == _GZIP_MAGIC:
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as e:
            raise BadFileError(f"{path}: expected gzip-compressed IDX data, but the gzip "
                               f"stream is damaged or truncated ({e})") from None
    if path.suffix == ".gz":
        raise BadFileError(f"{path}: expected gzip data (the name ends in .gz), but the file "
                           f"does not start with the gzip magic 1f 8b")
    return raw


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read one IDX file, gzipped or not.

    path: the file; gzip data (by its magic bytes) is decompressed transparently.

    Returns an array of the shape the header gives, e.g. (n, 28, 28) for MNIST images or
    (n,) for labels, in native byte order: uint8 for type 0x08 (what MNIST uses); int8,
    int16, int32, float32 and float64 for types 0x09, 0x0B, 0x0C, 0x0D and 0x0E.

    A missing file, a wrong magic number, an unknown type code, or data shorter or longer
    than the header promises raise BadFileError naming the file.
    """
    path = _check_path("path", path)
    data = _read_bytes(path)
    if len(data) < 4:
        raise BadFileError(f"{path}: expected an IDX header (4-byte magic), got only "
                           f"{len(data)} bytes")
    zero, type_code, ndim = data[:2], data[2], data[3]
    if zero != b"\x00\x00" or type_code not in _IDX_TYPES:
        raise BadFileError(f"{path}: not an IDX file: expected the magic 00 00 TT ND with "
                           f"type TT in {', '.join(f'{t:02x}' for t in _IDX_TYPES)}, got "
                           f"{data[:4].hex(' ')}")
    if ndim == 0:
        raise BadFileError(f"{path}: expected an IDX file with at least 1 dimension, got 0")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise BadFileError(f"{path}: truncated IDX header: expected {header} bytes for "
                           f"{ndim} dimensions, got {len(data)}")
    shape = tuple(int(s) for s in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    dtype = np.dtype(_IDX_TYPES[type_code])
    expected = math.prod(shape) * dtype.itemsize
    got = len(data) - header
    if got != expected:
        kind = "truncated" if got < expected else "trailing bytes after the data"
        raise BadFileError(f"{path}: IDX data size mismatch ({kind}): the header gives shape "
                           f"{shape} of {dtype.itemsize}-byte elements, i.e. {expected} "
                           f"bytes, got {got}")
    arr = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return arr.astype(dtype.newbyteorder("="))  # a native-order, writable copy


def _find_file(folder: Path, stem: str) -> Path | None:
    """``stem``, ``stem.gz`` or the same with the older ``.idx3-`` spelling, if present."""
    dotted = stem.replace("-idx", ".idx")
    for name in (stem, f"{stem}.gz", dotted, f"{dotted}.gz"):
        if (folder / name).is_file():
            return folder / name
    return None


def _read_split(images_path: Path, labels_path: Path) -> tuple[np.ndarray, np.ndarray]:
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
        raise BadFileError(f"{images_path}: expected uint8 MNIST images of shape "
                           f"(n, 28, 28), got {images.dtype} of shape {images.shape}")
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise BadFileError(f"{labels_path}: expected uint8 MNIST labels of shape (n,), got "
                           f"{labels.dtype} of shape {labels.shape}")
    if len(labels) != len(images):
        raise BadFileError(f"{labels_path}: expected one label per image of {images_path} "
                           f"({len(images)}), got {len(labels)}")
    if labels.size and labels.max() >= _N_CLASSES:
        raise BadFileError(f"{labels_path}: expected labels in 0..{_N_CLASSES - 1}, found "
                           f"{int(labels.max())}")
    return images, labels.astype(np.int64)


def read_mnist_idx(folder: str | os.PathLike[str]
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Read the four standard MNIST files from ``folder``.

    The files may be gzipped (``train-images-idx3-ubyte.gz``) or not
    (``train-images-idx3-ubyte``, also ``train-images.idx3-ubyte``).

    Returns (x_train, y_train, x_test, y_test): x (n, 28, 28) uint8, y (n,) int64 in 0..9;
    n is 60,000 and 10,000 for the official files (smaller files are read as they are).
    A missing folder or files raise BadFileError listing what is missing.
    """
    folder = _check_path("folder", folder)
    if not folder.is_dir():
        raise BadFileError(f"{folder}: no such folder (expected a folder holding the MNIST "
                           "IDX files)")
    stems = [s for pair in _SPLITS.values() for s in pair]
    found = {s: _find_file(folder, s) for s in stems}
    missing = [s for s in stems if found[s] is None]
    if missing:
        raise BadFileError(f"{folder}: missing MNIST files: {', '.join(missing)} (each "
                           "may also end in .gz)")
    out: list[np.ndarray] = []
    for images_stem, labels_stem in _SPLITS.values():
        images_path, labels_path = found[images_stem], found[labels_stem]
        assert images_path is not None and labels_path is not None
        out.extend(_read_split(images_path, labels_path))
    x_train, y_train, x_test, y_test = out
    return x_train, y_train, x_test, y_test


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def identify_idx_set(folder: str | os.PathLike[str]) -> str:
    """Which known file set ``folder`` holds: "MNIST", "Fashion-MNIST" or "IDX files".

    folder: a folder with the four IDX files, named as ``read_mnist_idx`` finds them.

    A set is recognised when all four files are present and each one's SHA-256 equals the
    sum of the official gzipped file (``MNIST_FILES``, ``FASHION_MNIST_FILES``). Anything
    else (a file missing, uncompressed or recompressed files, other data, a mix of the two
    sets, no such folder) gives "IDX files". Never raises for the folder's contents; use
    ``read_mnist_idx`` to read and check them.
    """
    folder = _check_path("folder", folder)
    sums: dict[str, str] = {}
    for images_stem, labels_stem in _SPLITS.values():
        for stem in (images_stem, labels_stem):
            path = _find_file(folder, stem)
            if path is None:
                return _UNKNOWN_SET
            try:
                sums[f"{stem}.gz"] = _sha256(path)
            except OSError:  # unreadable: read_mnist_idx reports it
                return _UNKNOWN_SET
    for label, known in _KNOWN_SETS.items():
        if sums == known:
            return label
    return _UNKNOWN_SET


def _check_sha256(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise InvalidTypeError(f"{name} must be a hex SHA-256 string, got {type(value).__name__}")
    v = value.strip().lower()
    if len(v) != 64 or any(c not in "0123456789abcdef" for c in v):
        raise InvalidInputError(f"{name} must be 64 hex digits (a SHA-256), got {value!r}")
    return v


def download_file(url: str, path: str | os.PathLike[str], *, sha256: str,
                  timeout: float = 60.0) -> Path:
    """Download ``url`` to ``path``, keeping it only if its SHA-256 is ``sha256``.

    The data go to a temporary file in the same folder, are hashed, and the file is renamed
    to ``path`` (atomically, ``os.replace``) only when the hash matches. On a mismatch the
    temporary file is deleted and BadFileError names the file, the expected and the got
    hash; a network error raises BadFileError("could not download URL: reason"). The
    folder is created when missing. Returns ``path``.
    """
    if not isinstance(url, str) or not url:
        raise InvalidTypeError(f"url must be a non-empty str, got {url!r}")
    path = _check_path("path", path)
    expected = _check_sha256("sha256", sha256)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise InvalidTypeError(f"timeout must be a number of seconds > 0, got {timeout!r}")
    if not timeout > 0:
        raise InvalidInputError(f"timeout must be a number of seconds > 0, got {timeout}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise BadFileError(f"{path.parent}: cannot create the download folder: {e}") from None
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part",
                                        dir=path.parent)
    except OSError as e:
        raise BadFileError(f"{path.parent}: cannot write the download there: {e}") from None
    tmp = Path(tmp_name)
    try:
        h = hashlib.sha256()
        with os.fdopen(fd, "wb") as out:
            try:
                with urllib.request.urlopen(url, timeout=timeout) as resp:
                    while chunk := resp.read(_CHUNK):
                        h.update(chunk)
                        out.write(chunk)
            except urllib.error.HTTPError as e:
                raise BadFileError(f"could not download {url}: HTTP {e.code} {e.reason}"
                                   ) from None
            except urllib.error.URLError as e:
                raise BadFileError(f"could not download {url}: {e.reason}") from None
            except (OSError, ValueError) as e:  # timeouts, resets, malformed URLs
                raise BadFileError(f"could not download {url}: {e}") from None
        got = h.hexdigest()
        if got != expected:
            raise BadFileError(f"{path}: checksum mismatch for the download from {url}: "
                               f"expected SHA-256 {expected}, got {got}")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def download_mnist(dest_dir: str | os.PathLike[str], *, base_url: str = MNIST_BASE_URL,
                   checksums: Mapping[str, str] | None = None,
                   timeout: float = 60.0) -> dict[str, Path]:
    """Download the four MNIST files (``MNIST_FILES``) into ``dest_dir``, verified.

    base_url: where the files are; each is fetched from ``base_url + name`` (a missing
    trailing slash is added). ``file://`` URLs work, e.g. for a local mirror.
    checksums: name -> SHA-256 of the gzipped file. None (the default) uses the sums in
    ``MNIST_FILES``; a mapping replaces them, and every one of the four names must be in it,
    else the download refuses with "no checksum known for NAME; pass checksums=".

    A file already in ``dest_dir`` with the right checksum is kept and not downloaded again;
    one with a wrong checksum is downloaded again. Each download is written to a temporary
    file, verified and renamed into place (see ``download_file``).

    Returns {name: path} for the four files; read them with ``read_mnist_idx(dest_dir)``.
    """
    dest = _check_path("dest_dir", dest_dir)
    if not isinstance(base_url, str) or not base_url:
        raise InvalidTypeError(f"base_url must be a non-empty str, got {base_url!r}")
    if checksums is None:
        checksums = MNIST_FILES
    elif not isinstance(checksums, Mapping):
        raise InvalidTypeError(f"checksums must be a mapping of file name -> SHA-256 or None, got "
                               f"{type(checksums).__name__}")
    sums: dict[str, str] = {}
    for name in MNIST_FILES:
        value = checksums.get(name)
        if value is None:
            raise InvalidInputError(f"no checksum known for {name}; pass checksums= (a "
                                    f"SHA-256 for each of {', '.join(MNIST_FILES)})")
        sums[name] = _check_sha256(f"checksums[{name!r}]", value)
    if not base_url.endswith("/"):
        base_url += "/"
    paths: dict[str, Path] = {}
    for name, expected in sums.items():
        target = dest / name
        if not (target.is_file() and _sha256(target) == expected):
            download_file(base_url + name, target, sha256=expected, timeout=timeout)
        paths[name] = target
    return paths
