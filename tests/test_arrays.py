"""Tests of boltzprune.data.arrays.read_array_data: each format read back exactly, the
binarisation modes, and one pytest.raises per refusal."""

import gzip
import pickle
import struct
import zipfile

import numpy as np
import pytest

from boltzprune.data import arrays
from boltzprune.data.arrays import ArrayData, read_array_data
from boltzprune.errors import BadFileError, InvalidInputError, InvalidTypeError


def _rng() -> np.random.Generator:
    return np.random.default_rng(0)


def _binary(n: int = 6, d: int = 5) -> np.ndarray:
    return (_rng().random((n, d)) > 0.5).astype(np.uint8)


def _idx_bytes(images: np.ndarray) -> bytes:
    """An IDX file of uint8 images (n, h, w): magic 0x00000803, three big-endian sizes."""
    assert images.dtype == np.uint8 and images.ndim == 3
    return struct.pack(">I", 0x00000803) + struct.pack(">III", *images.shape) + images.tobytes()


def _write_csv(path, rows, header=None):
    lines = ([header] if header is not None else []) + [",".join(map(str, r)) for r in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


# --------------------------------------------------------------------------- formats


def test_npy_2d_binary_is_kept(tmp_path):
    x = _binary()
    np.save(tmp_path / "d.npy", x)
    data = read_array_data(tmp_path / "d.npy")
    assert isinstance(data, ArrayData)
    assert data.x.dtype == np.float32 and data.x.flags.c_contiguous and data.x.flags.writeable
    np.testing.assert_array_equal(data.x, x)
    assert data.labels is None and data.image_shape is None and data.threshold is None
    assert data.source == str(tmp_path / "d.npy")


def test_npy_3d_is_flattened_with_image_shape(tmp_path):
    x = (_rng().random((4, 3, 5)) > 0.5)  # bool
    with open(tmp_path / "img.NPY", "wb") as f:  # np.save would append ".npy"
        np.save(f, x)
    data = read_array_data(str(tmp_path / "img.NPY"))
    assert data.image_shape == (3, 5) and data.x.shape == (4, 15)
    np.testing.assert_array_equal(data.x, x.reshape(4, 15))
    assert data.source == str(tmp_path / "img.NPY")


def test_npy_fortran_order_is_read(tmp_path):
    x = np.asfortranarray(_binary(5, 4).astype(np.float64))
    np.save(tmp_path / "f.npy", x)
    np.testing.assert_array_equal(read_array_data(tmp_path / "f.npy").x, x)


def test_npz_with_labels(tmp_path):
    x, y = _binary(6, 4), np.arange(6) % 3
    np.savez(tmp_path / "d.npz", x=x, y=y)
    data = read_array_data(tmp_path / "d.npz")
    np.testing.assert_array_equal(data.x, x)
    assert data.labels.dtype == np.int64
    np.testing.assert_array_equal(data.labels, y)


def test_npz_only_array_key_data_and_float_labels(tmp_path):
    x = _binary(6, 4)
    np.savez_compressed(tmp_path / "one.npz", whatever=x)
    np.testing.assert_array_equal(read_array_data(tmp_path / "one.npz").x, x)
    np.savez(tmp_path / "two.npz", data=x, labels=np.arange(6.0), other=np.zeros(3))
    data = read_array_data(tmp_path / "two.npz")
    np.testing.assert_array_equal(data.x, x)
    np.testing.assert_array_equal(data.labels, np.arange(6))
    np.savez(tmp_path / "key.npz", a=x, b=1 - x)
    np.testing.assert_array_equal(read_array_data(tmp_path / "key.npz", key="b").x, 1 - x)


def test_npz_labels_ignored_when_length_or_values_do_not_fit(tmp_path):
    x = _binary(6, 4)
    np.savez(tmp_path / "a.npz", x=x, y=np.arange(5))
    assert read_array_data(tmp_path / "a.npz").labels is None
    np.savez(tmp_path / "b.npz", x=x, y=np.full(6, 0.5))
    assert read_array_data(tmp_path / "b.npz").labels is None
    np.savez(tmp_path / "c.npz", x=x, y=np.array(list("abcdef")))
    assert read_array_data(tmp_path / "c.npz").labels is None


def test_csv_without_and_with_header(tmp_path):
    x = _binary(5, 3)
    plain = read_array_data(_write_csv(tmp_path / "a.csv", x.tolist()))
    np.testing.assert_array_equal(plain.x, x)
    headed = read_array_data(_write_csv(tmp_path / "b.csv", x.tolist(), header="u1,u2,u3"))
    np.testing.assert_array_equal(headed.x, x)
    assert headed.image_shape is None and headed.labels is None
    (tmp_path / "c.csv").write_text("\n 1 , 0\r\n\n0,1\r\n")  # blanks, spaces, CRLF
    np.testing.assert_array_equal(read_array_data(tmp_path / "c.csv").x, [[1, 0], [0, 1]])


@pytest.mark.parametrize("name", ["t-images-idx3-ubyte", "t.idx", "t.idx3-ubyte",
                                  "t-images-idx3-ubyte.gz", "t.idx.gz"])
def test_idx_plain_and_gzipped(tmp_path, name):
    images = _rng().integers(0, 256, size=(4, 3, 2), dtype=np.uint8)
    raw = _idx_bytes(images)
    (tmp_path / name).write_bytes(gzip.compress(raw) if name.endswith(".gz") else raw)
    data = read_array_data(tmp_path / name, binarize="100")
    assert data.image_shape == (3, 2) and data.threshold == 100.0
    np.testing.assert_array_equal(data.x, (images > 100).reshape(4, 6))


def test_max_rows_keeps_the_first_rows(tmp_path):
    x = _binary(8, 3)
    np.savez(tmp_path / "d.npz", x=x, y=np.arange(8))
    data = read_array_data(tmp_path / "d.npz", max_rows=3)
    np.testing.assert_array_equal(data.x, x[:3])
    np.testing.assert_array_equal(data.labels, np.arange(3))
    csv = _write_csv(tmp_path / "d.csv", x.tolist() + [["a", "b", "c"]])
    np.testing.assert_array_equal(read_array_data(csv, max_rows=3).x, x[:3])  # bad line unread
    np.save(tmp_path / "d.npy", x)
    assert read_array_data(tmp_path / "d.npy", max_rows=100).x.shape == (8, 3)


# --------------------------------------------------------------------------- binarisation


def test_binarize_modes(tmp_path):
    a = np.array([[0, 10, 20], [30, 40, 50]], dtype=np.uint8)  # mean 25
    np.save(tmp_path / "g.npy", a)
    auto = read_array_data(tmp_path / "g.npy")
    assert auto.threshold == 25.0
    np.testing.assert_array_equal(auto.x, [[0, 0, 0], [1, 1, 1]])
    mean = read_array_data(tmp_path / "g.npy", binarize="mean")
    assert mean.threshold == 25.0
    np.testing.assert_array_equal(mean.x, auto.x)
    thr = read_array_data(tmp_path / "g.npy", binarize="10")  # strictly greater
    assert thr.threshold == 10.0
    np.testing.assert_array_equal(thr.x, [[0, 0, 1], [1, 1, 1]])


def test_binarize_on_binary_data(tmp_path):
    x = np.array([[0, 1, 1], [0, 0, 1]], dtype=np.float64)  # mean 0.5
    np.save(tmp_path / "b.npy", x)
    assert read_array_data(tmp_path / "b.npy", binarize="none").threshold is None
    mean = read_array_data(tmp_path / "b.npy", binarize="mean")
    assert mean.threshold == 0.5
    np.testing.assert_array_equal(mean.x, x)


def test_binarize_float16_threshold_is_exact(tmp_path):
    a = np.array([[0.1, 0.2], [0.3, 0.4]], dtype=np.float16)
    np.save(tmp_path / "h.npy", a)
    data = read_array_data(tmp_path / "h.npy")
    assert data.threshold == pytest.approx(float(a.astype(np.float64).mean()))
    np.testing.assert_array_equal(data.x, [[0, 0], [1, 1]])


def test_binarize_none_refuses_non_binary(tmp_path):
    np.save(tmp_path / "g.npy", np.array([[0, 1], [1, 7]]))
    with pytest.raises(InvalidInputError, match=r"found 7 at row 1, column 1"):
        read_array_data(tmp_path / "g.npy", binarize="none")


@pytest.mark.parametrize("value, error", [("median", InvalidInputError),
                                          ("nan", InvalidInputError),
                                          ("inf", InvalidInputError),
                                          ("", InvalidInputError),
                                          (0.5, InvalidTypeError)])
def test_binarize_validation(tmp_path, value, error):
    np.save(tmp_path / "b.npy", _binary())
    with pytest.raises(error, match="binarize must be"):
        read_array_data(tmp_path / "b.npy", binarize=value)


@pytest.mark.parametrize("value, error", [(1, InvalidInputError), (0, InvalidInputError),
                                          (2.0, InvalidTypeError), (True, InvalidTypeError)])
def test_max_rows_validation(tmp_path, value, error):
    np.save(tmp_path / "b.npy", _binary())
    with pytest.raises(error, match="max_rows must be"):
        read_array_data(tmp_path / "b.npy", max_rows=value)


def test_path_and_key_validation(tmp_path):
    np.save(tmp_path / "b.npy", _binary())
    with pytest.raises(InvalidTypeError, match="path must be"):
        read_array_data(3)
    with pytest.raises(InvalidTypeError, match="key must be"):
        read_array_data(tmp_path / "b.npy", key="")
    with pytest.raises(InvalidInputError, match="key applies only to .npz"):
        read_array_data(tmp_path / "b.npy", key="x")


# --------------------------------------------------------------------------- refusals


def _assert_one_line(excinfo, path=None):
    msg = str(excinfo.value)
    assert "\n" not in msg
    if path is not None:
        assert str(path) in msg


def test_refuses_missing_file_and_folder(tmp_path):
    with pytest.raises(BadFileError, match="no such file") as e:
        read_array_data(tmp_path / "nope.npy")
    _assert_one_line(e, tmp_path / "nope.npy")
    (tmp_path / "dir.npy").mkdir()
    with pytest.raises(BadFileError, match="is a folder"):
        read_array_data(tmp_path / "dir.npy")


def test_refuses_unknown_suffix(tmp_path):
    (tmp_path / "d.txt").write_text("1,0\n0,1\n")
    with pytest.raises(BadFileError, match=r"unknown file type.*\.npy, \.npz, \.csv") as e:
        read_array_data(tmp_path / "d.txt")
    _assert_one_line(e, tmp_path / "d.txt")


def test_refuses_pickles_and_object_arrays(tmp_path):
    (tmp_path / "p.npy").write_bytes(pickle.dumps([[0, 1], [1, 0]]))
    with pytest.raises(BadFileError, match="pickled Python data, which is never loaded"):
        read_array_data(tmp_path / "p.npy")
    (tmp_path / "q.npy").write_bytes(b"plain text")
    with pytest.raises(BadFileError, match="not a .npy array"):
        read_array_data(tmp_path / "q.npy")
    np.save(tmp_path / "o.npy", np.array([[0, 1], [1, None]], dtype=object), allow_pickle=True)
    with pytest.raises(BadFileError, match="Python objects") as e:
        read_array_data(tmp_path / "o.npy")
    _assert_one_line(e, tmp_path / "o.npy")
    np.savez(tmp_path / "o.npz", x=np.array([[0, 1], [1, None]], dtype=object))
    with pytest.raises(BadFileError, match="Python objects"):
        read_array_data(tmp_path / "o.npz")


def test_refuses_non_numeric_dtypes(tmp_path):
    np.save(tmp_path / "s.npy", np.array([["a", "b"], ["c", "d"]]))
    with pytest.raises(BadFileError, match="expected bool, integer or float"):
        read_array_data(tmp_path / "s.npy")
    np.save(tmp_path / "c.npy", np.ones((3, 2), dtype=np.complex64))
    with pytest.raises(BadFileError, match="expected bool, integer or float"):
        read_array_data(tmp_path / "c.npy")


def test_refuses_malformed_content(tmp_path):
    (tmp_path / "junk.npy").write_bytes(b"\x93NUMPY\x01\x00garbage")
    with pytest.raises(BadFileError, match="malformed .npy header") as e:
        read_array_data(tmp_path / "junk.npy")
    _assert_one_line(e)
    np.save(tmp_path / "t.npy", np.zeros((50, 4)))
    raw = (tmp_path / "t.npy").read_bytes()
    (tmp_path / "t.npy").write_bytes(raw[:-8])
    with pytest.raises(BadFileError, match="truncated"):
        read_array_data(tmp_path / "t.npy")
    (tmp_path / "z.npz").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(BadFileError, match="not a readable .npz"):
        read_array_data(tmp_path / "z.npz")
    np.savez(tmp_path / "real.npz", x=_binary())
    (tmp_path / "real.npy").write_bytes((tmp_path / "real.npz").read_bytes())
    with pytest.raises(BadFileError, match="is a .npz"):
        read_array_data(tmp_path / "real.npy")
    (tmp_path / "bad.idx").write_bytes(b"\x00\x00\x08\x03\x00\x00")
    with pytest.raises(BadFileError, match="truncated IDX header"):
        read_array_data(tmp_path / "bad.idx")
    (tmp_path / "bad.idx.gz").write_bytes(gzip.compress(b"x" * 100)[:20])
    with pytest.raises(BadFileError, match="gzip"):
        read_array_data(tmp_path / "bad.idx.gz")
    (tmp_path / "bin.csv").write_bytes(b"\xff\xfe\x00\x01")
    with pytest.raises(BadFileError, match="not valid UTF-8"):
        read_array_data(tmp_path / "bin.csv")


def test_refuses_npz_without_a_usable_array(tmp_path):
    with zipfile.ZipFile(tmp_path / "e.npz", "w"):
        pass
    with pytest.raises(BadFileError, match="holds no arrays"):
        read_array_data(tmp_path / "e.npz")
    np.savez(tmp_path / "m.npz", a=_binary(), b=_binary())
    with pytest.raises(InvalidInputError, match="pass key="):
        read_array_data(tmp_path / "m.npz")
    with pytest.raises(InvalidInputError, match=r"got 'c', the arrays are 'a', 'b'"):
        read_array_data(tmp_path / "m.npz", key="c")


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_refuses_non_finite(tmp_path, value):
    a = np.zeros((3, 4))
    a[2, 1] = value
    np.save(tmp_path / "n.npy", a)
    with pytest.raises(BadFileError, match=r"non-finite value .* at row 2, column 1"):
        read_array_data(tmp_path / "n.npy")
    _write_csv(tmp_path / "n.csv", a.tolist())
    with pytest.raises(BadFileError, match="non-finite"):
        read_array_data(tmp_path / "n.csv")


@pytest.mark.parametrize("shape, match", [((0, 4), "empty"), ((3, 0), "empty"),
                                          ((1, 4), "at least 2 rows"),
                                          ((5, 1), "single column"),
                                          ((4, 1, 1), "single column"),
                                          ((5,), "expected a 2-D"),
                                          ((2, 2, 2, 2), "expected a 2-D")])
def test_refuses_bad_shapes(tmp_path, shape, match):
    np.save(tmp_path / "s.npy", np.zeros(shape, dtype=np.uint8))
    with pytest.raises(BadFileError, match=match):
        read_array_data(tmp_path / "s.npy")


def test_refuses_idx_labels_file(tmp_path):
    (tmp_path / "l-idx1-ubyte").write_bytes(struct.pack(">II", 0x00000801, 3) + b"\x01\x02\x03")
    with pytest.raises(BadFileError, match=r"got shape \(3,\)"):
        read_array_data(tmp_path / "l-idx1-ubyte")


@pytest.mark.parametrize("text, match", [
    ("a,b\n1,0\n0,x\n", "line 3, column 2: 'x' is not a number"),
    ("1,0\n0,1\n1,,0\n", "line 3, column 2: an empty cell"),
    ("1,0,1\n0,1,0\n\n1,1\n", "line 4 has 2 values, but line 1 has 3"),
    ("h1,h2\n", "empty"),
    ("1,0\n", "at least 2 rows"),
    ("1\n0\n1\n", "single column"),
])
def test_refuses_bad_csv(tmp_path, text, match):
    (tmp_path / "bad.csv").write_text(text)
    with pytest.raises(BadFileError, match=match) as e:
        read_array_data(tmp_path / "bad.csv")
    _assert_one_line(e, tmp_path / "bad.csv")


def test_refuses_files_over_the_limit(tmp_path, monkeypatch):
    np.save(tmp_path / "big.npy", _binary(50, 8))
    monkeypatch.setattr(arrays, "MAX_BYTES", 200)
    with pytest.raises(BadFileError, match="more than the limit of 200 bytes"):
        read_array_data(tmp_path / "big.npy")
    images = np.zeros((40, 4, 4), dtype=np.uint8)
    (tmp_path / "big.idx.gz").write_bytes(gzip.compress(_idx_bytes(images)))  # compresses well
    with pytest.raises(BadFileError, match="decompresses to more than"):
        read_array_data(tmp_path / "big.idx.gz")
    np.savez_compressed(tmp_path / "big.npz", x=np.zeros((40, 8), dtype=np.uint8))
    monkeypatch.setattr(arrays, "MAX_BYTES", 300)  # the zip is smaller, the array larger
    with pytest.raises(BadFileError, match="uncompressed"):
        read_array_data(tmp_path / "big.npz")
    monkeypatch.setattr(arrays, "MAX_BYTES", 1000)
    np.save(tmp_path / "wide.npy", np.zeros((100, 4), dtype=np.bool_))  # 528 bytes on disk
    with pytest.raises(BadFileError, match=r"as float32.*pass max_rows <= 62"):
        read_array_data(tmp_path / "wide.npy")
    assert read_array_data(tmp_path / "wide.npy", max_rows=62).x.shape == (62, 4)
    monkeypatch.setattr(arrays, "MAX_CSV_BYTES", 10)
    _write_csv(tmp_path / "big.csv", _binary().tolist())
    with pytest.raises(BadFileError, match="more than the limit of 10 bytes"):
        read_array_data(tmp_path / "big.csv")
