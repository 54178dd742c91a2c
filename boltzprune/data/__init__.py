"""Data: binarised natural-image patches and readers for user data files."""

from boltzprune.data.files import read_cifar10
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
    "PHOTOS",
    "SOURCES",
    "cifar_patches",
    "circle_offsets",
    "grid_patches",
    "load_photos",
    "make_patches",
    "pattern_stats",
    "photo_patches",
    "read_cifar10",
    "tile_patches",
]
