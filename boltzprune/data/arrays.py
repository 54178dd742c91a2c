"""Reading a user's own binary data set (``boltzprune prune DATA``) from a file.

Formats, chosen by the file name's suffix (case-insensitive):

- ``.npy``: one NumPy array, memory-mapped (``np.load(mmap_mode="r")``), so only the rows
  kept are read.
- ``.npz``: the array named ``key``; else the only array; else the one named ``x`` or
  ``data``. A second array named ``y`` or ``labels`` becomes the labels when it is 1-D, holds
  whole numbers and has one entry per row; otherwise (e.g. class names) labels is None.
- ``.csv``: numbers separated by commas, one row a line; blank lines are skipped, and a first
  line that is not all numbers is taken as a header and skipped.
- IDX (the format MNIST ships in): ``.idx``, ``-ubyte`` (``.idx3-ubyte``, ``-idx3-ubyte``), each
  also gzipped with ``.gz`` appended; read with ``boltzprune.data.idx.read_idx``.

An array of shape (n, h, w) is a stack of images: it is flattened row-major to (n, h*w) and
``image_shape`` is (h, w). A 2-D array (n, n_units) is kept as it is; other shapes are refused.

Nothing is ever unpickled: arrays are read with ``allow_pickle=False`` and a file holding
Python objects is refused. Files larger than ``MAX_BYTES`` (4 GiB; for gzipped IDX the
decompressed size, for ``.npz`` each array's uncompressed size) and CSV files larger than
``MAX_CSV_BYTES`` (1 GiB, as its text is parsed into float64) are refused before they are read,
and so is a data set whose float32 matrix would exceed ``MAX_BYTES`` (pass ``max_rows``).

Every refusal is one line naming the file: ``BadFileError`` for a file that is missing,
unreadable, malformed, too large or holds no usable 0/1 data; ``InvalidInputError`` (or
``InvalidTypeError``) for an argument outside its allowed values.
"""

from __future__ import annotations

import gzip
import math
import os
import warnings
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import numpy.lib.format as npy_format

from boltzprune.data.idx import read_idx
from boltzprune.errors import BadFileError, BoltzpruneError, InvalidInputError, InvalidTypeError

__all__ = ["MAX_BYTES", "MAX_CSV_BYTES", "SUFFIXES", "ArrayData", "RawArray", "read_array_data",
           "read_raw_array", "binarize_array", "parse_binarize"]

#: The largest file (decompressed, for gzipped IDX; per array, for .npz) and the largest
#: float32 result read_array_data accepts: 4 GiB.
MAX_BYTES = 4 * 2**30
#: The largest CSV file read_array_data accepts: 1 GiB (its text is parsed into float64).
MAX_CSV_BYTES = 2**30
#: The file name endings read_array_data understands, for messages and documentation.
SUFFIXES = (".npy", ".npz", ".csv", ".idx", "-ubyte (e.g. .idx3-ubyte)",
            ".idx.gz", "-ubyte.gz")

_GZIP_MAGIC = b"\x1f\x8b"
_DATA_NAMES = ("x", "data")
_LABEL_NAMES = ("y", "labels")
_MODES = ("auto", "none", "mean")
_CHUNK = 1 << 22  # elements per block when checking and binarising
_READ_CHUNK = 1 << 20  # bytes per read when measuring gzip data


@dataclass(frozen=True)
class ArrayData:
    """A user's binary data set, as read by ``read_array_data``."""

    # (n, n_units) float32 of 0/1, one sample a row; images flattened row-major.
    x: np.ndarray
    # (n,) int64 class labels (from a .npz "y"/"labels" array), or None.
    labels: np.ndarray | None
    # (h, w) when the file held images of shape (n, h, w), else None.
    image_shape: tuple[int, int] | None
    # The path as given.
    source: str
    # The binarisation threshold used (a value is 1 when > threshold), or None when the file
    # already held only 0 and 1 and was kept as it is.
    threshold: float | None


def _one_line(e: BaseException) -> str:
    return " ".join(str(e).split()) or type(e).__name__


def parse_binarize(binarize: object) -> tuple[str, float | None]:
    """("auto" | "none" | "mean", None) or ("threshold", t)."""
    allowed = "'auto', 'none', 'mean' or a number such as '0.5'"
    if not isinstance(binarize, str):
        raise InvalidTypeError(f"binarize must be a str: {allowed}; got {binarize!r}")
    if binarize in _MODES:
        return binarize, None
    try:
        t = float(binarize)
    except ValueError:
        raise InvalidInputError(f"binarize must be {allowed}; got {binarize!r}") from None
    if not math.isfinite(t):
        raise InvalidInputError(f"binarize must be {allowed} (a finite number); got {binarize!r}")
    return "threshold", t


def _format_of(path: Path) -> str:
    """"npy", "npz", "csv" or "idx" from the name, else BadFileError listing the suffixes."""
    name = path.name.lower()
    for suffix in (".npy", ".npz", ".csv"):
        if name.endswith(suffix):
            return suffix[1:]
    stem = name.removesuffix(".gz")
    if stem.endswith((".idx", "-ubyte")):
        return "idx"
    raise BadFileError(f"{path}: unknown file type; expected a name ending in "
                       f"{', '.join(SUFFIXES)}")


def _stat_file(path: Path) -> int:
    """The size of the file ``path``; BadFileError when it is missing or a folder."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise BadFileError(f"{path}: no such file") from None
    except OSError as e:
        raise BadFileError(f"{path}: cannot read the file: {_one_line(e)}") from None
    if path.is_dir():
        raise BadFileError(f"{path}: is a folder; expected a data file ({', '.join(SUFFIXES)})")
    return st.st_size


# --- .npy and .npz ---------------------------------------------------------------------------


def _npy_header(path: Path, f: IO[bytes], what: str) -> tuple[tuple[int, ...], np.dtype]:
    """Read a .npy header from ``f`` and check that it describes a plain numeric array."""
    try:
        version = npy_format.read_magic(f)
    except (ValueError, OSError, EOFError):
        raise BadFileError(f"{path}: {what} is not a .npy array (it does not start with the "
                           "magic \\x93NUMPY)") from None
    try:
        if version == (1, 0):
            shape, _, dtype = npy_format.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, _, dtype = npy_format.read_array_header_2_0(f)
        else:
            raise BadFileError(f"unsupported .npy format version {version[0]}.{version[1]} "
                               "(only 1.0 and 2.0 hold plain numeric arrays)")
    except (ValueError, OSError, EOFError, SyntaxError) as e:
        raise BadFileError(f"{path}: {what} has a malformed .npy header: {_one_line(e)}") from None
    if dtype.hasobject:
        raise BadFileError(f"{path}: {what} holds Python objects (pickled data), which are never "
                           "loaded; save a numeric array instead")
    if dtype.kind not in "biuf":
        raise BadFileError(f"{path}: {what} has dtype {dtype}; expected bool, integer or float "
                           "numbers")
    return tuple(int(s) for s in shape), dtype


def _read_npy(path: Path, size: int) -> np.ndarray:
    with path.open("rb") as f:
        start = f.read(4)
        if start == b"PK\x03\x04":
            raise BadFileError(f"{path}: is a .npz (zip) archive, not a .npy array; rename it to "
                               ".npz")
        if start[:1] == b"\x80":  # the PROTO opcode that starts a pickle
            raise BadFileError(f"{path}: holds pickled Python data, which is never loaded; save a "
                               "numeric array with np.save instead")
        f.seek(0)
        shape, dtype = _npy_header(path, f, "the file")
        offset = f.tell()
    expected = offset + math.prod(shape) * dtype.itemsize
    if size < expected:
        raise BadFileError(f"{path}: truncated: the header gives shape {shape} of {dtype}, "
                           f"{expected} bytes in all, but the file has {size}")
    if math.prod(shape) == 0:
        return np.empty(shape, dtype)  # refused as empty by the caller
    try:
        return np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError) as e:
        raise BadFileError(f"{path}: cannot read the array: {_one_line(e)}") from None


def _read_member(path: Path, zf: zipfile.ZipFile, member: str, name: str) -> np.ndarray:
    """One .npz member, checked to be a plain numeric array of at most MAX_BYTES."""
    info = zf.getinfo(member)
    if info.file_size > MAX_BYTES:
        raise BadFileError(f"{path}: array {name!r} is {info.file_size} bytes uncompressed, more "
                           f"than the limit of {MAX_BYTES} bytes")
    with zf.open(member) as raw:
        shape, dtype = _npy_header(path, raw, f"array {name!r}")
        raw.seek(0)
        arr = npy_format.read_array(raw, allow_pickle=False)
    assert arr.shape == shape and arr.dtype == dtype
    return arr


def _read_npz(path: Path, key: str | None) -> tuple[np.ndarray, np.ndarray | None]:
    """(data array, labels array or None) from a .npz archive."""
    try:
        with zipfile.ZipFile(path) as zf:
            members = {m[:-4]: m for m in zf.namelist() if m.endswith(".npy")}
            names = list(members)
            listed = ", ".join(map(repr, names)) or "none"
            if not names:
                raise BadFileError(f"{path}: the .npz archive holds no arrays")
            if key is not None:
                if key not in members:
                    raise InvalidInputError(f"key must name an array in {path}; got {key!r}, the "
                                            f"arrays are {listed}")
                data_name = key
            elif len(names) == 1:
                data_name = names[0]
            else:
                found = [n for n in _DATA_NAMES if n in members]
                if not found:
                    raise InvalidInputError(f"{path}: holds several arrays ({listed}) and none is "
                                            "named 'x' or 'data'; pass key= to choose one")
                data_name = found[0]
            data = _read_member(path, zf, members[data_name], data_name)
            labels = None
            for label_name in _LABEL_NAMES:
                if label_name in members and label_name != data_name:
                    try:
                        y = _read_member(path, zf, members[label_name], label_name)
                    except BadFileError:  # e.g. string class names: no labels, data still fine
                        continue
                    if data.ndim >= 1 and _usable_labels(y, data.shape[0]):
                        labels = y.astype(np.int64)
                        break
            return data, labels
    except BoltzpruneError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError,
            NotImplementedError) as e:
        raise BadFileError(f"{path}: not a readable .npz archive: {_one_line(e)}") from None


def _usable_labels(y: np.ndarray, n: int) -> bool:
    """Whether ``y`` is (n,) of whole numbers."""
    if y.ndim != 1 or len(y) != n:
        return False
    if y.dtype.kind == "f":
        return bool(np.all(np.isfinite(y)) and np.all(y == np.round(y)))
    return True


# --- CSV -------------------------------------------------------------------------------------


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _csv_header_lines(path: Path) -> int:
    """How many lines to skip: up to and including a non-numeric first line, else 0."""
    with path.open(encoding="utf-8-sig") as f:
        for i, line in enumerate(f):
            if line.strip():
                return 0 if all(_is_number(c) for c in line.split(",")) else i + 1
    return 0


def _csv_problem(path: Path, skip: int, max_rows: int | None) -> str | None:
    """A description of the first bad line after the header, or None when none is found."""
    n_cells = first_line = None
    rows = 0
    with path.open(encoding="utf-8-sig") as f:
        for lineno, line in enumerate(f, start=1):
            if lineno <= skip or not line.strip():
                continue
            cells = line.rstrip("\r\n").split(",")
            for j, cell in enumerate(cells, start=1):
                if not _is_number(cell):
                    what = "an empty cell" if not cell.strip() else f"{cell.strip()!r}"
                    return f"line {lineno}, column {j}: {what} is not a number"
            if n_cells is None:
                n_cells, first_line = len(cells), lineno
            elif len(cells) != n_cells:
                return (f"line {lineno} has {len(cells)} values, but line {first_line} has "
                        f"{n_cells}")
            rows += 1
            if max_rows is not None and rows >= max_rows:
                break
    return None


def _read_csv(path: Path, max_rows: int | None) -> np.ndarray:
    try:
        skip = _csv_header_lines(path)
    except UnicodeDecodeError:
        raise BadFileError(f"{path}: not a text CSV file (it is not valid UTF-8)") from None
    except OSError as e:
        raise BadFileError(f"{path}: cannot read the file: {_one_line(e)}") from None
    try:
        with warnings.catch_warnings():  # "input contained no data": refused below as empty
            warnings.simplefilter("ignore", UserWarning)
            return np.loadtxt(path, dtype=np.float64, delimiter=",", comments=None,
                              skiprows=skip, max_rows=max_rows, ndmin=2, encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise BadFileError(f"{path}: not a text CSV file (it is not valid UTF-8)") from None
    except OSError as e:
        raise BadFileError(f"{path}: cannot read the file: {_one_line(e)}") from None
    except ValueError as e:
        problem = _csv_problem(path, skip, max_rows) or _one_line(e)
        raise BadFileError(f"{path}: {problem}") from None


# --- IDX -------------------------------------------------------------------------------------


def _check_gzip_size(path: Path) -> None:
    """Refuse gzip data that decompresses to more than MAX_BYTES, without keeping it."""
    with path.open("rb") as f:
        if f.read(2) != _GZIP_MAGIC:
            return
    total = 0
    try:
        with gzip.open(path, "rb") as g:
            while chunk := g.read(_READ_CHUNK):
                total += len(chunk)
                if total > MAX_BYTES:
                    raise BadFileError(f"{path}: decompresses to more than the limit of "
                                       f"{MAX_BYTES} bytes")
    except (OSError, EOFError, zlib.error) as e:
        raise BadFileError(f"{path}: the gzip stream is damaged or truncated: "
                           f"{_one_line(e)}") from None


def _read_idx(path: Path) -> np.ndarray:
    _check_gzip_size(path)
    try:
        return read_idx(path)
    except BadFileError:
        raise
    except BoltzpruneError as e:
        raise BadFileError(_one_line(e)) from None


# --- checks and binarisation -------------------------------------------------------------------


def _blocks(n: int, d: int) -> Iterator[slice]:
    step = max(1, _CHUNK // max(d, 1))
    for i in range(0, n, step):
        yield slice(i, min(i + step, n))


def _first_where(bad: np.ndarray, offset: int) -> tuple[int, int] | None:
    """(row, column) of the first True in the 2-D ``bad``, rows offset by ``offset``."""
    if not bad.any():
        return None
    r, c = np.unravel_index(int(np.argmax(bad)), bad.shape)
    return offset + int(r), int(c)


def _check_finite(path: Path, a: np.ndarray) -> None:
    if a.dtype.kind != "f":
        return
    for s in _blocks(*a.shape):
        block = np.asarray(a[s])
        where = _first_where(~np.isfinite(block), s.start)
        if where is not None:
            r, c = where
            raise BadFileError(f"{path}: holds the non-finite value {block[r - s.start, c]} at "
                               f"row {r}, column {c}; expected finite numbers")


def _first_non_binary(a: np.ndarray) -> tuple[int, int, float] | None:
    """(row, column, value) of the first entry other than 0 and 1, or None."""
    if a.dtype.kind == "b":
        return None
    for s in _blocks(*a.shape):
        block = np.asarray(a[s])
        where = _first_where((block != 0) & (block != 1), s.start)
        if where is not None:
            r, c = where
            return r, c, block[r - s.start, c].item()
    return None


def binarize_array(a: np.ndarray, threshold: float | None) -> np.ndarray:
    """The binarisation step of ``read_array_data``: a (n, d) array of values to (n, d)
    float32, ``a`` itself as 0/1 when threshold is None (data already 0/1), else 1 where
    ``a > threshold`` and 0 elsewhere."""
    return _binarize(np.asarray(a), threshold)


def _binarize(a: np.ndarray, threshold: float | None) -> np.ndarray:
    """(n, d) float32: ``a`` itself as 0/1 (threshold None), else ``a > threshold``."""
    out = np.empty(a.shape, dtype=np.float32)
    t = np.float64(threshold) if threshold is not None else None
    for s in _blocks(*a.shape):
        block = np.asarray(a[s])
        out[s] = block if t is None else block > t
    return out


def _mean(a: np.ndarray) -> float:
    total = sum(float(np.asarray(a[s]).sum(dtype=np.float64)) for s in _blocks(*a.shape))
    return total / a.size


# --- the reader ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RawArray:
    """A data file's rows as ``read_raw_array`` reads them, before binarising."""

    # (n, n_units) values as the file holds them (any real dtype; a memory map for .npy),
    # images flattened row-major; finite
    values: np.ndarray
    labels: np.ndarray | None  # (n,) int64 class labels, or None
    image_shape: tuple[int, int] | None  # (h, w) for an (n, h, w) array, else None
    source: str  # the path as given


def read_array_data(path: str | os.PathLike[str], *, binarize: str = "auto",
                    key: str | None = None, max_rows: int | None = None) -> ArrayData:
    """Read a binary data set from a .npy, .npz, .csv or IDX file (see the module docstring).

    path: the file; its suffix gives the format.
    binarize: "auto" keeps data that is already 0/1 (threshold None) and otherwise binarises
        at the mean intensity over the whole array (the rows kept), as the paper does for
        MNIST; "none" requires 0/1 data; "mean" always binarises at the mean; a number as a
        string, e.g. "0.5", binarises at that threshold. A value becomes 1 when it is strictly
        greater than the threshold.
    key: for .npz only, the name of the array to read.
    max_rows: keep only the first max_rows rows (>= 2); only those are read from .npy and CSV
        files, and only they are checked and binarised.

    Returns ArrayData: x (n, n_units) float32 of 0/1; labels (n,) int64 or None;
    image_shape (h, w) for an (n, h, w) array, else None; source; threshold.

    Raises BadFileError (a missing file, a folder, an unknown suffix, a file too large,
    malformed or unreadable content, pickled or non-numeric arrays, NaN or inf, an empty data
    set, fewer than 2 rows, a single column, a non-numeric CSV cell with its line) and
    InvalidInputError / InvalidTypeError (a bad binarize, key or max_rows; binarize="none"
    with values other than 0 and 1; a .npz with several arrays and no key), each one line
    naming the file or the argument.
    """
    mode, threshold = parse_binarize(binarize)
    raw = read_raw_array(path, key=key, max_rows=max_rows)
    a, labels, image_shape, source, p = (raw.values, raw.labels, raw.image_shape, raw.source,
                                         Path(raw.source))
    if mode in ("auto", "none"):
        bad = _first_non_binary(a)
        if bad is None:
            return ArrayData(_binarize(a, None), labels, image_shape, source, None)
        if mode == "none":
            r, c, v = bad
            raise InvalidInputError(f"{p}: binarize='none' needs values 0 and 1 only, found {v} "
                                    f"at row {r}, column {c}; use binarize='auto', 'mean' or a "
                                    "threshold such as '0.5'")
    if mode != "threshold":
        threshold = _mean(a)
        if not math.isfinite(threshold):
            raise BadFileError(f"{p}: the mean of the values is not finite ({threshold}); pass "
                               "a threshold such as binarize='0.5'")
    assert threshold is not None
    return ArrayData(_binarize(a, threshold), labels, image_shape, source, threshold)


def read_raw_array(path: str | os.PathLike[str], *, key: str | None = None,
                   max_rows: int | None = None) -> RawArray:
    """The reading step of ``read_array_data``: the rows it binarises, as the file holds
    them (path, key and max_rows as there, with the same checks and errors; values checked
    to be finite). Returns RawArray: values (n, n_units), labels, image_shape, source."""
    if not isinstance(path, (str, os.PathLike)) or not isinstance(os.fspath(path), str):
        raise InvalidTypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    if key is not None and (not isinstance(key, str) or not key):
        raise InvalidTypeError(f"key must be a non-empty str or None, got {key!r}")
    if max_rows is not None and (isinstance(max_rows, bool)
                                 or not isinstance(max_rows, (int, np.integer))):
        raise InvalidTypeError(f"max_rows must be an integer >= 2 or None, got {max_rows!r}")
    if max_rows is not None and max_rows < 2:
        raise InvalidInputError(f"max_rows must be an integer >= 2 or None, got {max_rows}")
    source = os.fspath(path)
    p = Path(source)

    size = _stat_file(p)
    fmt = _format_of(p)
    if key is not None and fmt != "npz":
        raise InvalidInputError(f"key applies only to .npz files; got key={key!r} for {p}")
    limit = MAX_CSV_BYTES if fmt == "csv" else MAX_BYTES
    if size > limit:
        raise BadFileError(f"{p}: the file is {size} bytes, more than the limit of {limit} "
                           "bytes")

    labels: np.ndarray | None = None
    if fmt == "npy":
        a = _read_npy(p, size)
    elif fmt == "npz":
        a, labels = _read_npz(p, key)
    elif fmt == "csv":
        a = _read_csv(p, max_rows)
    else:
        a = _read_idx(p)

    if a.ndim not in (2, 3):
        raise BadFileError(f"{p}: expected a 2-D (n, n_units) or 3-D (n, h, w) array, got shape "
                           f"{a.shape}")
    if a.size == 0:
        raise BadFileError(f"{p}: the data set is empty (shape {a.shape})")
    image_shape = (int(a.shape[1]), int(a.shape[2])) if a.ndim == 3 else None
    n, d = a.shape[0], math.prod(a.shape[1:])
    if n < 2:
        raise BadFileError(f"{p}: expected at least 2 rows (samples), got {n}")
    if d < 2:
        raise BadFileError(f"{p}: expected at least 2 columns (units), got a single column")
    if max_rows is not None and max_rows < n:
        n = max_rows
        a = a[:n]
        labels = None if labels is None else labels[:n]
    a = a.reshape(n, d)  # a view, also for a memory map
    if n * d * 4 > MAX_BYTES:
        raise BadFileError(f"{p}: {n} rows of {d} units would take {n * d * 4} bytes as float32, "
                           f"more than the limit of {MAX_BYTES}; pass max_rows <= "
                           f"{MAX_BYTES // (4 * d)}")

    _check_finite(p, a)
    return RawArray(a, labels, image_shape, source)
