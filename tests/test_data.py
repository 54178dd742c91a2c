import os
import pickle

import numpy as np
import pytest

from boltzprune import BoltzpruneError
from boltzprune.data import (
    cifar_patches,
    circle_offsets,
    grid_patches,
    load_photos,
    make_patches,
    pattern_stats,
    photo_patches,
    read_cifar10,
)


def test_circle_of_radius_2_1_has_13_pixels():
    offs = circle_offsets(2.1)
    expect = {(0, 0), (0, 1), (1, 0), (0, -1), (-1, 0), (1, 1), (1, -1), (-1, 1), (-1, -1),
              (2, 0), (-2, 0), (0, 2), (0, -2)}
    assert len(offs) == 13 and set(map(tuple, offs.tolist())) == expect
    assert len(circle_offsets(1.0)) == 5 and len(circle_offsets(0.5)) == 1


@pytest.mark.parametrize("radius", [0, -1, float("nan"), float("inf")])
def test_bad_radius(radius):
    with pytest.raises(ValueError, match="radius must be a finite number > 0"):
        circle_offsets(radius)


def test_grid_patches_exact_values():
    # one 32 x 32 tile whose top half is bright: rows < 16 on, rows >= 16 off
    tile = np.zeros((1, 32, 32, 3), np.uint8)
    tile[0, :16] = 200
    tile[0, 15, 3] = 0  # one dark pixel inside the circle centred at (13, 3)
    p = grid_patches(tile, 2.1)
    assert p.shape == (36, 13) and p.dtype == np.uint8
    # centres 3, 8, 13, 18, 23, 28 in each direction; row-major over the grid
    rows = np.repeat([3, 8, 13, 18, 23, 28], 6)
    offs = circle_offsets(2.1)
    for k, cy in enumerate(rows):
        cx = [3, 8, 13, 18, 23, 28][k % 6]
        want = ((cy + offs[:, 0]) < 16).astype(np.uint8)
        if (cy, cx) == (13, 3):
            want[(offs[:, 0] == 2) & (offs[:, 1] == 0)] = 0
        assert p[k].tolist() == want.tolist()


def test_grid_patches_use_the_global_median():
    dark = np.full((1, 32, 32), 10.0)
    bright = np.full((1, 32, 32), 20.0)
    p = grid_patches(np.concatenate([dark, bright]), 2.1)
    assert p[:36].sum() == 0 and p[36:].all()


def test_photo_patches():
    x = photo_patches(2_200, 2.1, rng=np.random.default_rng(0))
    assert x.shape == (2_200, 13) and set(np.unique(x)) <= {0, 1}
    assert 0.35 < x.mean() < 0.65  # median binarisation: about half on


def test_make_patches_is_seeded():
    a = make_patches("tiles", 500, seed=3)
    assert np.array_equal(a, make_patches("tiles", 500, seed=3))
    assert a.shape == (500, 13)


def test_pattern_stats_by_hand():
    x = np.array([[1, 1], [0, 0], [0, 0], [1, 0]], np.uint8)
    s = pattern_stats(x)
    assert s["all_on_fraction"] == 0.25 and s["all_off_fraction"] == 0.5
    assert s["on_fraction"] == 3 / 8 and s["n_distinct_patterns"] == 3
    assert s["entropy_bits"] == pytest.approx(1.5)


def test_make_patches_validation():
    with pytest.raises(ValueError, match="source must be one of"):
        make_patches("mnist", seed=0)
    with pytest.raises(ValueError, match="needs cifar_dir"):
        make_patches("cifar", seed=0)
    with pytest.raises(ValueError, match="n_patches must be an integer >= 1"):
        make_patches("photos", 0, seed=0)
    with pytest.raises(ValueError, match="unknown photograph 'lena'"):
        load_photos(["lena"])
    with pytest.raises(ValueError, match="does not fit"):
        grid_patches(np.zeros((1, 4, 4)), 2.1)


def _cifar_python(path, n=3, seed=0):
    rng = np.random.default_rng(seed)
    data = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
    labels = list(range(n))
    with open(path, "wb") as f:
        pickle.dump({b"data": data, b"labels": labels, b"batch_label": b"x"}, f, protocol=2)
    return data, labels


def test_read_cifar10_python_batches(tmp_path):
    d1, l1 = _cifar_python(tmp_path / "data_batch_1", 3, 0)
    d2, l2 = _cifar_python(tmp_path / "data_batch_2", 2, 1)
    images, labels = read_cifar10(tmp_path)
    assert images.shape == (5, 32, 32, 3) and labels.tolist() == l1 + l2
    # channel planes: R = first 1024 values, row-major
    assert images[0, 0, 1, 0] == d1[0, 1] and images[0, 1, 0, 2] == d1[0, 2048 + 32]
    patches = cifar_patches(images, 2.1)
    assert patches.shape == (5 * 36, 13)
    sub = make_patches("cifar", 20, seed=0, cifar_dir=str(tmp_path))
    assert sub.shape == (20, 13)


def test_read_cifar10_binary_batches(tmp_path):
    rec = np.zeros((2, 3073), np.uint8)
    rec[:, 0] = [7, 3]
    rec[1, 1] = 255  # red channel, pixel (0, 0), second image
    (tmp_path / "data_batch_1.bin").write_bytes(rec.tobytes())
    images, labels = read_cifar10(tmp_path)
    assert labels.tolist() == [7, 3] and images[1, 0, 0, 0] == 255 and images.sum() == 255
    (tmp_path / "data_batch_1.bin").write_bytes(rec.tobytes()[:-5])
    with pytest.raises(BoltzpruneError, match="truncated"):
        read_cifar10(tmp_path)


class _Payload:
    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return (os.system, (f"touch {self.target}",))


def test_pickle_payload_in_a_cifar_batch_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    (tmp_path / "data_batch_1").write_bytes(pickle.dumps({b"data": _Payload(marker)}))
    with pytest.raises(BoltzpruneError, match="refused to load.*asks for posix.system"):
        read_cifar10(tmp_path)
    assert not marker.exists()


def test_cifar_file_errors(tmp_path):
    with pytest.raises(BoltzpruneError, match="no such file or folder"):
        read_cifar10(tmp_path / "nope")
    with pytest.raises(BoltzpruneError, match="no CIFAR-10 batches"):
        read_cifar10(tmp_path)
    _cifar_python(tmp_path / "data_batch_1")
    raw = (tmp_path / "data_batch_1").read_bytes()
    (tmp_path / "data_batch_1").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(BoltzpruneError, match="truncated or corrupted"):
        read_cifar10(tmp_path)
    with open(tmp_path / "data_batch_1", "wb") as f:
        pickle.dump({b"data": np.zeros((2, 10), np.uint8), b"labels": [0, 1]}, f, protocol=2)
    with pytest.raises(BoltzpruneError, match=r"shape \(n, 3072\)"):
        read_cifar10(tmp_path)
