"""Data: binarised natural-image patches, MNIST digits, and readers for user data files."""

from boltzprune.data.arrays import ArrayData, read_array_data
from boltzprune.data.files import read_cifar10
from boltzprune.data.idx import download_mnist, read_idx, read_mnist_idx
from boltzprune.data.mnist import DigitData, crop_and_binarize, load_digits
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
    "DigitData",
    "crop_and_binarize",
    "download_mnist",
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
