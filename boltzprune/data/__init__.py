"""Data: binarised natural-image patches, MNIST digits (or Fashion-MNIST images), and readers
for user data files."""

from boltzprune._lazy import lazy_exports

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

# imported on first use (boltzprune._lazy)
__getattr__, __dir__ = lazy_exports(__name__, {
    "boltzprune.data.arrays": ["ArrayData", "read_array_data"],
    "boltzprune.data.files": ["read_cifar10"],
    "boltzprune.data.idx": ["download_mnist", "identify_idx_set", "read_idx",
                            "read_mnist_idx"],
    "boltzprune.data.mnist": ["DIGIT_SOURCES", "FASHION_MNIST_DIR", "DigitData",
                              "crop_and_binarize", "load_digits"],
    "boltzprune.data.patches": ["PHOTOS", "SOURCES", "cifar_patches", "circle_offsets",
                                "grid_patches", "load_photos", "make_patches",
                                "pattern_stats", "photo_patches", "tile_patches"],
})
