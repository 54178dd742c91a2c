"""Tests of boltzprune.data: circles, patch preparations, statistics, CIFAR-10 readers."""

import io
import os
import pickle
import struct

import numpy as np
import pytest
from skimage.color import rgb2gray

from boltzprune.data import (
    PHOTOS,
    cifar_patches,
    circle_offsets,
    grid_patches,
    load_photos,
    make_patches,
    pattern_stats,
    photo_patches,
    read_cifar10,
    tile_patches,
)
from boltzprune.errors import BadFileError, InvalidInputError, InvalidTypeError

GRID_32 = [3, 8, 13, 18, 23, 28]  # circle centres along each axis of a 32 x 32 tile, r = 2.1


# --------------------------------------------------------------------------- circles


def test_circle_of_radius_2_1_has_13_pixels_in_row_major_order():
    offs = circle_offsets(2.1)
    assert offs.shape == (13, 2) and np.issubdtype(offs.dtype, np.integer)
    assert offs.tolist() == [[-2, 0],
                             [-1, -1], [-1, 0], [-1, 1],
                             [0, -2], [0, -1], [0, 0], [0, 1], [0, 2],
                             [1, -1], [1, 0], [1, 1],
                             [2, 0]]
    assert len(circle_offsets(1.0)) == 5 and len(circle_offsets(0.5)) == 1
    assert len(circle_offsets(3.0)) == 29


@pytest.mark.parametrize("radius", [0, -1, float("nan"), float("inf")])
def test_bad_radius(radius):
    with pytest.raises(InvalidInputError, match="radius must be a finite number > 0"):
        circle_offsets(radius)


def test_radius_of_wrong_type():
    with pytest.raises(InvalidTypeError, match="radius must be a number, got '2'"):
        circle_offsets("2")


# --------------------------------------------------------------------------- photographs


def test_all_photos_load_offline_as_floats_in_unit_range():
    imgs = load_photos()
    assert len(imgs) == len(PHOTOS) == 11
    for name, img in zip(PHOTOS, imgs, strict=True):
        assert img.dtype == np.float64 and 0 <= img.min() and img.max() <= 1, name
        assert img.ndim == 2 or (img.ndim == 3 and img.shape[2] == 3), name
    shapes = dict(zip(PHOTOS, (im.shape for im in imgs), strict=True))
    assert shapes["astronaut"] == (512, 512, 3) and shapes["camera"] == (512, 512)


def test_photo_patches_shape_binary_and_half_on():
    x = photo_patches(2_200, 2.1, rng=np.random.default_rng(0))
    assert x.shape == (2_200, 13) and x.dtype == np.uint8
    assert set(np.unique(x).tolist()) <= {0, 1}
    assert 0.4 < x.mean() < 0.6  # each photograph binarised at its median: about half on


def test_photo_patches_cut_median_binarised_circles_inside_the_photo():
    # replay the draws: one photograph, centres uniform over the positions that fit
    n, r = 500, 2
    x = photo_patches(n, 2.1, rng=np.random.default_rng(5), photos=("coffee",))
    grey = rgb2gray(load_photos(["coffee"])[0])
    binary = grey > np.median(grey)
    rng = np.random.default_rng(5)
    cy = rng.integers(r, grey.shape[0] - r, n)
    cx = rng.integers(r, grey.shape[1] - r, n)
    offs = circle_offsets(2.1)
    want = binary[cy[:, None] + offs[:, 0], cx[:, None] + offs[:, 1]]
    assert np.array_equal(x, want.astype(np.uint8))


def test_photo_patches_give_equal_shares_remainder_first():
    # 7 patches from 2 photographs: 4 from camera (first), then 3 from moon
    both = photo_patches(7, 2.1, rng=np.random.default_rng(1), photos=("camera", "moon"))
    camera = photo_patches(4, 2.1, rng=np.random.default_rng(1), photos=("camera",))
    assert both.shape == (7, 13) and np.array_equal(both[:4], camera)


def test_photo_patches_radius_must_fit():
    with pytest.raises(InvalidInputError,
                       match="radius 200 does not fit into the photograph 'coins'"):
        photo_patches(10, 200, rng=np.random.default_rng(0), photos=("coins",))


# --------------------------------------------------------------------------- tiles


def test_grid_patches_cut_36_circles_at_the_grid_centres():
    # only the grid centres are bright: the global median is 0, so exactly the centres are on
    tile = np.zeros((1, 32, 32, 3), np.uint8)
    for cy in GRID_32:
        for cx in GRID_32:
            tile[0, cy, cx] = (10, 20, 30)
    p = grid_patches(tile, 2.1)
    assert p.shape == (36, 13) and p.dtype == np.uint8
    centre = circle_offsets(2.1).tolist().index([0, 0])
    want = np.zeros((36, 13), np.uint8)
    want[:, centre] = 1
    assert np.array_equal(p, want)


def test_grid_patches_exact_values_row_major_over_the_grid():
    # top half bright, one dark pixel inside the circle centred at (13, 3)
    tile = np.zeros((1, 32, 32, 3), np.uint8)
    tile[0, :16] = 200
    tile[0, 15, 3] = 0
    p = grid_patches(tile, 2.1)
    offs = circle_offsets(2.1)
    for k in range(36):
        cy, cx = GRID_32[k // 6], GRID_32[k % 6]
        want = ((cy + offs[:, 0]) < 16).astype(np.uint8)
        if (cy, cx) == (13, 3):
            want[offs.tolist().index([2, 0])] = 0
        assert p[k].tolist() == want.tolist(), (cy, cx)


def test_grid_patches_use_the_global_median_of_summed_rgb():
    dark = np.full((1, 32, 32, 3), 10.0)
    bright = np.full((1, 32, 32, 3), 20.0)
    p = grid_patches(np.concatenate([dark, bright]), 2.1)
    assert p.shape == (72, 13) and p[:36].sum() == 0 and p[36:].all()
    # RGB summed: (90, 0, 0) beats (20, 20, 20) even though every channel of the second is
    # brighter than two channels of the first
    red = np.zeros((1, 8, 8, 3))
    red[..., 0] = 90
    grey = np.full((1, 8, 8, 3), 20.0)
    mid = np.full((1, 8, 8, 3), 25.0)
    q = grid_patches(np.concatenate([red, grey, mid]), 2.1)
    # 8 x 8 with step 5: one circle per tile, centred at (3, 3) after centring the grid
    assert q.shape == (3, 13)
    assert q[0].all() and not q[1].any() and not q[2].any()  # median = 75 (the mid tile)


def test_grid_patches_on_a_ramp_binarise_above_the_median():
    tile = np.arange(32 * 32, dtype=np.float64).reshape(1, 32, 32)  # grey (n, H, W)
    p = grid_patches(tile, 2.1)
    offs = circle_offsets(2.1)
    for k in range(36):
        cy, cx = GRID_32[k // 6], GRID_32[k % 6]
        values = (cy + offs[:, 0]) * 32 + cx + offs[:, 1]
        assert p[k].tolist() == (values > 511.5).astype(int).tolist()


def test_grid_patches_rectangular_tiles_and_bad_input():
    p = grid_patches(np.arange(2 * 10 * 17).reshape(2, 10, 17), 2.1)
    assert p.shape == (2 * 2 * 3, 13)
    with pytest.raises(InvalidInputError, match=r"radius 2.1 needs tiles of at least 5 x 5 pixels"):
        grid_patches(np.zeros((1, 4, 4)), 2.1)
    with pytest.raises(InvalidInputError, match=r"tiles must be \(n, H, W\) or \(n, H, W, 3\)"):
        grid_patches(np.zeros((32, 32)), 2.1)
    with pytest.raises(InvalidInputError, match="NaN or infinite"):
        grid_patches(np.full((1, 8, 8), np.nan), 2.1)


def test_tile_patches_shape_binary_half_on_and_seeded():
    x = tile_patches(100, 2.1, rng=np.random.default_rng(0), photos=("astronaut", "camera"))
    assert x.shape == (100, 13) and x.dtype == np.uint8  # 3 tiles of 36, first 100 kept
    assert set(np.unique(x).tolist()) <= {0, 1}
    assert 0.35 < x.mean() < 0.65
    y = tile_patches(100, 2.1, rng=np.random.default_rng(0), photos=("astronaut", "camera"))
    assert np.array_equal(x, y)


def test_tile_patches_validation():
    rng = np.random.default_rng(0)
    with pytest.raises(InvalidInputError, match=r"crop_range must be \(low, high\) with 1 <= low"):
        tile_patches(10, rng=rng, crop_range=(100, 50))
    with pytest.raises(InvalidTypeError, match="crop_range must be a pair of integers"):
        tile_patches(10, rng=rng, crop_range=64)
    with pytest.raises(InvalidInputError, match="radius 20 needs tiles of at least 41 x 41"):
        tile_patches(10, 20, rng=rng)
    with pytest.raises(InvalidTypeError, match=r"rng must be a numpy.random.Generator .*got int"):
        tile_patches(10, rng=0)


def test_make_patches_is_seeded():
    a = make_patches("tiles", 500, seed=3)
    assert a.shape == (500, 13) and np.array_equal(a, make_patches("tiles", 500, seed=3))
    b = make_patches("photos", 500, seed=3)
    assert np.array_equal(b, make_patches("photos", 500, seed=3))
    assert not np.array_equal(b, make_patches("photos", 500, seed=4))


# --------------------------------------------------------------------------- statistics


def test_pattern_stats_by_hand():
    x = np.array([[1, 1], [0, 0], [0, 0], [1, 0]], np.uint8)
    s = pattern_stats(x)
    assert s == {"n_patches": 4, "n_pixels": 2, "on_fraction": 3 / 8,
                 "all_on_fraction": 0.25, "all_off_fraction": 0.5, "n_distinct_patterns": 3,
                 "entropy_bits": pytest.approx(1.5)}
    wide = np.zeros((3, 70), np.uint8)  # more pixels than fit into an int64 code
    wide[0] = 1
    w = pattern_stats(wide)
    assert w["n_distinct_patterns"] == 2 and w["all_on_fraction"] == pytest.approx(1 / 3)
    assert w["entropy_bits"] == pytest.approx(-(1 / 3) * np.log2(1 / 3) - (2 / 3) * np.log2(2 / 3))


def test_pattern_stats_rejects_bad_input():
    with pytest.raises(InvalidInputError, match="patches must be binary"):
        pattern_stats(np.array([[0, 2]]))
    with pytest.raises(InvalidInputError, match=r"patches must be 2-D .* got shape \(3,\)"):
        pattern_stats(np.array([0, 1, 1]))


# --------------------------------------------------------------------------- validation


def test_argument_validation_messages():
    with pytest.raises(InvalidInputError, match="source must be one of 'tiles', 'photos', 'cifar'"):
        make_patches("mnist", seed=0)
    with pytest.raises(InvalidInputError, match="cifar_dir must be a folder with CIFAR-10 batches"):
        make_patches("cifar", seed=0)
    with pytest.raises(InvalidInputError, match="n_patches must be an integer >= 1, got 0"):
        make_patches("photos", 0, seed=0)
    with pytest.raises(InvalidTypeError, match="n_patches must be an integer >= 1, got 2.5"):
        make_patches("photos", 2.5, seed=0)
    with pytest.raises(InvalidInputError, match="seed must be an integer >= 0, got -1"):
        make_patches("photos", 10, seed=-1)
    with pytest.raises(InvalidInputError,
                       match="unknown photograph 'lena'; valid names: astronaut"):
        load_photos(["lena"])
    with pytest.raises(InvalidTypeError, match="names must be a sequence of photograph names"):
        load_photos("camera")
    with pytest.raises(InvalidInputError, match="photos must name at least one photograph"):
        photo_patches(10, rng=np.random.default_rng(0), photos=())
    with pytest.raises(InvalidTypeError, match="rng must be a numpy.random.Generator"):
        photo_patches(10, rng=np.random.RandomState(0))


# --------------------------------------------------------------------------- CIFAR-10 files


def _images(n, seed):
    return np.random.default_rng(seed).integers(0, 256, (n, 3072), dtype=np.uint8)


def _write_python_batch(path, n=3, seed=0, labels=None):
    """A python-version batch as Python 3 writes it with protocol 2."""
    data = _images(n, seed)
    labels = list(range(n)) if labels is None else labels
    with open(path, "wb") as f:
        pickle.dump({b"batch_label": b"x", b"labels": labels, b"data": data}, f, protocol=2)
    return data, labels


class _Py2Pickler(pickle._Pickler):
    """Writes str and bytes as Python 2 strings (BINSTRING), as the real batches are."""

    dispatch = pickle._Pickler.dispatch.copy()

    def save_bytes(self, obj):
        n = len(obj)
        head = (pickle.SHORT_BINSTRING + bytes([n]) if n < 256
                else pickle.BINSTRING + struct.pack("<i", n))
        self.write(head + obj)
        self.memoize(obj)

    def save_str(self, obj):
        self.save_bytes(obj.encode("latin-1"))

    dispatch[bytes] = save_bytes
    dispatch[str] = save_str


def test_read_cifar10_python_batches(tmp_path):
    batches = [_write_python_batch(tmp_path / f"data_batch_{i}", 2, i) for i in range(1, 6)]
    _write_python_batch(tmp_path / "test_batch", 1, 9, labels=[9])
    images, labels = read_cifar10(tmp_path)
    assert images.shape == (10, 32, 32, 3) and images.dtype == np.uint8
    assert labels.dtype == np.int64 and labels.tolist() == [0, 1] * 5
    d1 = batches[0][0]
    # planes: R = values 0..1023, G = 1024..2047, B = 2048..3071, each row-major
    assert images[0, 0, 1, 0] == d1[0, 1] and images[0, 1, 0, 2] == d1[0, 2048 + 32]
    assert np.array_equal(images[1, :, :, 1].ravel(), d1[1, 1024:2048])
    with_test, with_test_labels = read_cifar10(tmp_path, include_test=True)
    assert len(with_test) == 11 and with_test_labels[-1] == 9
    one, one_labels = read_cifar10(tmp_path / "data_batch_2")
    assert one.shape == (2, 32, 32, 3) and one_labels.tolist() == [0, 1]
    patches = cifar_patches(images, 2.1)
    assert patches.shape == (10 * 36, 13)
    sub = cifar_patches(images, 2.1, 20, np.random.default_rng(0))
    assert sub.shape == (20, 13) and all(any((s == p).all() for p in patches) for s in sub)
    made = make_patches("cifar", 20, seed=0, cifar_dir=tmp_path)
    assert made.shape == (20, 13)


def test_read_cifar10_python_2_pickle(tmp_path):
    data = _images(2, 0)
    buf = io.BytesIO()
    _Py2Pickler(buf, protocol=2).dump({b"data": data, b"labels": [3, 4]})
    raw = buf.getvalue().replace(b"numpy._core.multiarray\n", b"numpy.core.multiarray\n")
    assert b"_codecs" not in raw and b"numpy.core.multiarray" in raw
    (tmp_path / "batch").write_bytes(raw)
    images, labels = read_cifar10(tmp_path / "batch")
    assert labels.tolist() == [3, 4] and images[1, 31, 31, 2] == data[1, 3071]


def test_read_cifar10_unpacked_archive_folder(tmp_path):
    sub = tmp_path / "cifar-10-batches-py"
    sub.mkdir()
    for i in range(1, 6):
        _write_python_batch(sub / f"data_batch_{i}", 1, i, labels=[i])
    assert read_cifar10(tmp_path)[1].tolist() == [1, 2, 3, 4, 5]


def test_read_cifar10_binary_batches(tmp_path):
    rec = np.zeros((2, 3073), np.uint8)
    rec[:, 0] = [7, 3]
    rec[1, 1] = 255  # second image, red channel, pixel (0, 0)
    rec[0, 1 + 1024 + 33] = 5  # first image, green channel, pixel (1, 1)
    for i in range(1, 6):
        (tmp_path / f"data_batch_{i}.bin").write_bytes(rec.tobytes())
    images, labels = read_cifar10(tmp_path)
    assert images.shape == (10, 32, 32, 3) and labels.tolist() == [7, 3] * 5
    assert images[1, 0, 0, 0] == 255 and images[0, 1, 1, 1] == 5 and images.sum() == 5 * 260
    (tmp_path / "data_batch_3.bin").write_bytes(rec.tobytes()[:-5])
    with pytest.raises(BadFileError, match=r"data_batch_3.bin: expected a whole number of "
                                              r"3073-byte .* got 6141 bytes \(truncated"):
        read_cifar10(tmp_path)
    rec[0, 0] = 12
    (tmp_path / "data_batch_3.bin").write_bytes(rec.tobytes())
    with pytest.raises(BadFileError, match=r"data_batch_3.bin: expected CIFAR-10 labels in "
                                              r"0..9, found 3..12"):
        read_cifar10(tmp_path)


class _Payload:
    def __init__(self, func, arg):
        self.func, self.arg = func, arg

    def __reduce__(self):
        return (self.func, (self.arg,))


@pytest.mark.parametrize("protocol", [0, 2, pickle.HIGHEST_PROTOCOL])
def test_pickle_payload_in_a_cifar_batch_is_refused_unrun(tmp_path, protocol):
    marker = tmp_path / "pwned"
    payload = {b"data": _Payload(os.system, f"touch {marker}"), b"labels": [0]}
    (tmp_path / "data_batch_1").write_bytes(pickle.dumps(payload, protocol=protocol))
    pattern = rf"read_cifar10 refuses to load .*data_batch_1: it asks for " \
              rf"{os.system.__module__}\.system"
    with pytest.raises(BadFileError, match=pattern):
        read_cifar10(tmp_path / "data_batch_1")
    assert not marker.exists()
    (tmp_path / "data_batch_1").write_bytes(pickle.dumps(_Payload(eval, "1 + 1"), protocol=2))
    with pytest.raises(BadFileError, match=r"it asks for (__builtin__|builtins)\.eval"):
        read_cifar10(tmp_path / "data_batch_1")


def test_cifar_file_errors(tmp_path):
    with pytest.raises(BadFileError, match="nope: no such file or folder"):
        read_cifar10(tmp_path / "nope")
    with pytest.raises(BadFileError, match="no CIFAR-10 batches in this folder: expected "
                                              "data_batch_1"):
        read_cifar10(tmp_path)
    _write_python_batch(tmp_path / "data_batch_1")
    with pytest.raises(BadFileError, match="incomplete CIFAR-10 folder: .* missing "
                                              "data_batch_2, data_batch_3"):
        read_cifar10(tmp_path)
    batch = tmp_path / "data_batch_1"
    raw = batch.read_bytes()
    batch.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(BadFileError, match="data_batch_1: not a readable CIFAR-10 python "
                                              r"batch \(truncated or corrupted\?\)"):
        read_cifar10(batch)
    batch.write_bytes(b"")
    with pytest.raises(BadFileError, match="truncated or corrupted"):
        read_cifar10(batch)
    with open(batch, "wb") as f:
        pickle.dump({b"data": np.zeros((2, 10), np.uint8), b"labels": [0, 1]}, f, protocol=2)
    with pytest.raises(BadFileError, match=r"b'data' must be a uint8 array of shape "
                                              r"\(n, 3072\), got uint8 array of shape \(2, 10\)"):
        read_cifar10(batch)
    with open(batch, "wb") as f:
        pickle.dump({b"images": np.zeros((2, 3072), np.uint8)}, f, protocol=2)
    with pytest.raises(BadFileError, match=r"expected keys b'data' and b'labels', got "
                                              r"b'images'"):
        read_cifar10(batch)
    _write_python_batch(batch, 2, labels=[0])
    with pytest.raises(BadFileError, match=r"one integer per image \(2\), got shape \(1,\)"):
        read_cifar10(batch)
    with open(batch, "wb") as f:
        pickle.dump([1, 2], f, protocol=2)
    with pytest.raises(BadFileError, match="expected a pickled dict .* got list"):
        read_cifar10(batch)
    with pytest.raises(InvalidTypeError, match="path must be a str or os.PathLike"):
        read_cifar10(3)


def test_cifar_patches_validation():
    images = np.zeros((2, 32, 32, 3), np.uint8)
    with pytest.raises(InvalidInputError, match=r"n_patches must be <= 72, .* got 100"):
        cifar_patches(images, 2.1, 100, np.random.default_rng(0))
    with pytest.raises(InvalidTypeError, match="rng .* is required when n_patches is given"):
        cifar_patches(images, 2.1, 10)
    with pytest.raises(InvalidInputError, match=r"images must be \(n, 32, 32, 3\)"):
        cifar_patches(np.zeros((2, 32, 32), np.uint8))
