"""Data: binarised natural-image patches, MNIST digits (or Fashion-MNIST images), and readers
for user data files."""

from boltzprune.data.arrays import ArrayData, read_array_data
from boltzprune.data.files import read_cifar10
from boltzprune.data.idx import download_mnist, identify_idx_set, read_idx, read_mnist_idx
from boltzprune.data.mnist import (
    DIGIT_SOURCES,
    FASHION_MNIST_DIR,
    DigitData,
    crop_and_binarize,
    load_digits,
)
from boltzprune.data.patches import (
    PHOTOS,
    SOURCES,
    cifar_patches,
    circle_offsets,
    grid_patches,
    load_photos,
    make_patches,
    pattern_stats,
    photo_patches,
    tile_patches,
)

__all__ = [
    "ArrayData",
    "DIGIT_SOURCES",
    "DigitData",
    "FASHION_MNIST_DIR",
    "crop_and_binarize",
    "download_mnist",
    "identify_idx_set",
    "load_digits",
    "read_idx",
    "read_mnist_idx",
    "PHOTOS",
    "SOURCES",
    "cifar_patches",
    "circle_offsets",
    "grid_patches",
    "load_photos",
    "make_patches",
    "pattern_stats",
    "photo_patches",
    "read_array_data",
    "read_cifar10",
    "tile_patches",
]
