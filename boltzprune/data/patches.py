"""Binarised circular patches of natural images (paper 2.2 and 4.1, Fig 1 A).

Three sources, one code path for cutting circles on a grid:

- ``"tiles"`` (default): the authors' CIFAR-10 preparation applied to the photographs that
  scikit-image ships: random square crops shrunk to 32 x 32 colour tiles, RGB summed,
  binarised at the global median, 36 non-overlapping circles per tile (DESIGN.md 3);
- ``"photos"``: the photographs at full resolution, grey, each binarised at its own median,
  circles at uniformly random positions (the paper's text, 4.1);
- ``"cifar"``: real CIFAR-10 images (``files.read_cifar10``) through the tile preparation.

Every patch is a row of 0/1 ``uint8`` values, one per pixel of the circle, in the row-major
order of ``circle_offsets(radius)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from boltzprune._validate import (
    check_choice,
    check_memory,
    check_positive_float,
    check_positive_int,
)
from boltzprune.errors import InvalidInputError, InvalidTypeError

__all__ = [
    "PHOTOS",
    "SOURCES",
    "circle_offsets",
    "load_photos",
    "photo_patches",
    "grid_patches",
    "tile_patches",
    "cifar_patches",
    "pattern_stats",
    "make_patches",
    "PatchPreparation",
    "binarize_at_median",
    "grid_centres",
    "patch_preparation",
    "example_index",
]

# Natural photographs that scikit-image ships inside its wheel (no download needed).
PHOTOS: tuple[str, ...] = ("astronaut", "camera", "coffee", "chelsea", "rocket", "grass",
                           "gravel", "brick", "coins", "moon", "clock")
# Values of ``make_patches(source=...)``.
SOURCES: tuple[str, ...] = ("tiles", "photos", "cifar")


@dataclass(frozen=True, eq=False)
class PatchPreparation:
    """How ``make_patches`` prepared one source image (paper Fig 1 A): for "tiles" and
    "cifar" the first tile or image whose binarised on-fraction lies in 0.3..0.7 (else the
    one nearest 0.5; ``example_index``), for "photos" the first photograph.

    image: the source image as thresholded: (H, W, 3) colour tile or CIFAR image, or (H, W)
        grey photograph
    intensity: (H, W) what is compared with the threshold (RGB summed for "tiles" and
        "cifar", grey for "photos")
    binary: (H, W) uint8 0/1, intensity > threshold
    centres: (k, 2) int64 (y, x) of the circles cut from this image (a grid for "tiles"
        and "cifar", the random centres for "photos")
    patches: (k, n_pixels) uint8 0/1, the circle at each centre, pixels in
        ``circle_offsets(radius)`` order
    rows: (k,) int64 the row of make_patches' output holding each patch, -1 for a circle
        not among the training patches
    """

    source: str  # one of SOURCES
    radius: float
    image: np.ndarray
    intensity: np.ndarray
    threshold: float  # global median over all images ("tiles", "cifar"), or this photo's
    binary: np.ndarray
    centres: np.ndarray
    patches: np.ndarray
    rows: np.ndarray
    n_images: int  # source images the patches came from (tiles, photographs, CIFAR images)
    index: int = 0  # which of them this is (0-based, in the order they were made)
    photo: str | None = None  # the photograph the image is (from, for "tiles")
    photo_image: np.ndarray | None = None  # that photograph, in [0, 1] (not for "cifar")
    crop: tuple[int, int, int] | None = None  # (y, x, side) of a tile's square crop in it


# --------------------------------------------------------------------------- validators


def _check_rng(rng: object) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise InvalidTypeError("rng must be a numpy.random.Generator "
                               f"(np.random.default_rng(seed)), got {type(rng).__name__}")
    return rng


def _check_names(arg: str, names: object) -> tuple[str, ...]:
    if isinstance(names, str) or not isinstance(names, Sequence):
        raise InvalidTypeError(f"{arg} must be a sequence of photograph names such as ('camera',), "
                               f"got {names!r}")
    if len(names) == 0:
        raise InvalidInputError(f"{arg} must name at least one photograph, got an empty sequence")
    for name in names:
        if name not in PHOTOS:
            raise InvalidInputError(f"{arg}: unknown photograph {name!r}; valid names: "
                                    f"{', '.join(PHOTOS)}")
    return tuple(names)


def _radius_reach(radius: float) -> int:
    """floor(radius): how far a circle reaches from its centre pixel."""
    return int(math.floor(check_positive_float("radius", radius)))


# --------------------------------------------------------------------------- circles


def circle_offsets(radius: float) -> np.ndarray:
    """Pixel offsets of a digital circle.

    Returns (n_pixels, 2) int64 rows (dy, dx) with dy^2 + dx^2 <= radius^2, in row-major
    order (dy ascending, then dx). Radius 2.1 gives the paper's 13-pixel patch.
    """
    r = _radius_reach(radius)
    dy, dx = np.mgrid[-r:r + 1, -r:r + 1]
    keep = dy**2 + dx**2 <= radius**2 * (1 + 1e-12)
    return np.stack([dy[keep], dx[keep]], axis=1).astype(np.int64)


def _grid_centres(length: int, radius: float) -> np.ndarray:
    """Centres (k,) of non-overlapping circles along one axis of ``length`` pixels.

    step = 2 * floor(radius) + 1; as many circles as fit; the grid centred in the axis
    (32 pixels, radius 2.1: 3, 8, ..., 28).
    """
    r = _radius_reach(radius)
    step = 2 * r + 1
    k = length // step
    if k == 0:
        raise InvalidInputError(f"radius {radius} needs tiles of at least {step} x {step} pixels, "
                                f"got a side of {length}")
    first = (length - k * step) // 2 + r
    return first + step * np.arange(k)


def grid_centres(height: int, width: int, radius: float) -> np.ndarray:
    """Centres of the non-overlapping circles ``grid_patches`` cuts from an image of
    height x width pixels: (n_circles, 2) int64 rows (y, x) in row-major grid order
    (32 x 32, radius 2.1: 36 centres at 3, 8, ..., 28 on both axes)."""
    ys = _grid_centres(height, radius)
    xs = _grid_centres(width, radius)
    return np.stack([np.repeat(ys, len(xs)), np.tile(xs, len(ys))], axis=1).astype(np.int64)


# --------------------------------------------------------------------------- photographs


def load_photos(names: Sequence[str] = PHOTOS) -> list[np.ndarray]:
    """The named scikit-image photographs, float64 in [0, 1].

    Returns one array per name: (H, W, 3) for colour photographs (alpha dropped), (H, W)
    for grey ones. Unknown names raise InvalidInputError listing the valid ones (``PHOTOS``).
    """
    import skimage.data
    from skimage.util import img_as_float64

    out = []
    for name in _check_names("names", names):
        img = img_as_float64(getattr(skimage.data, name)())
        if img.ndim == 3:
            img = img[..., :3]
        out.append(np.ascontiguousarray(img))
    return out


def _grey(img: np.ndarray) -> np.ndarray:
    """(H, W, 3) or (H, W) in [0, 1] -> (H, W) luminance."""
    from skimage.color import rgb2gray

    return rgb2gray(img) if img.ndim == 3 else img


def photo_patches(n_patches: int = 90_000, radius: float = 2.1, *, rng: np.random.Generator,
                  photos: Sequence[str] = PHOTOS) -> np.ndarray:
    """Circles at random positions in the grey photographs (paper 4.1).

    Each photograph is converted to grey (``skimage.color.rgb2gray``) and binarised at its
    own median (pixel > median -> 1). Centres are uniform over the positions where the whole
    circle lies inside the photograph. Every photograph gives n_patches // len(photos)
    patches; the first n_patches % len(photos) photographs give one more. Patches are
    grouped by photograph, in the order of ``photos``.

    Returns (n_patches, n_pixels) uint8 0/1, n_pixels = len(circle_offsets(radius)).
    """
    return _photo_run(n_patches, radius, rng, photos)[0]


def _photo_run(n_patches: int, radius: float, rng: np.random.Generator,
               photos: Sequence[str]) -> tuple[np.ndarray, PatchPreparation]:
    """``photo_patches``' patches, and how it prepared the first photograph."""
    n_patches = check_positive_int("n_patches", n_patches)
    r = _radius_reach(radius)
    rng = _check_rng(rng)
    names = _check_names("photos", photos)
    colour = load_photos(names)
    imgs = [_grey(im) for im in colour]
    for name, img in zip(names, imgs, strict=True):
        if min(img.shape) < 2 * r + 1:
            raise InvalidInputError(f"radius {radius} does not fit into the photograph {name!r} of "
                                    f"shape {img.shape}")
    offs = circle_offsets(radius)
    base, extra = divmod(n_patches, len(imgs))
    parts = []
    prep = None
    for i, img in enumerate(imgs):
        m = base + (i < extra)
        threshold = float(np.median(img))
        binary = (img > threshold).astype(np.uint8)
        cy = rng.integers(r, img.shape[0] - r, size=m)
        cx = rng.integers(r, img.shape[1] - r, size=m)
        parts.append(binary[cy[:, None] + offs[:, 0], cx[:, None] + offs[:, 1]])
        if i == 0:
            prep = PatchPreparation(
                source="photos", radius=float(radius), image=img, intensity=img,
                threshold=threshold, binary=binary,
                centres=np.stack([cy, cx], axis=1).astype(np.int64), patches=parts[0],
                rows=np.arange(m, dtype=np.int64), n_images=len(imgs), photo=names[0],
                photo_image=colour[0], crop=None)
    assert prep is not None
    return np.concatenate(parts), prep


# --------------------------------------------------------------------------- tiles


def grid_patches(tiles: np.ndarray, radius: float = 2.1) -> np.ndarray:
    """Binarise tiles and cut the circles of a regular grid from each.

    tiles: (n, H, W, 3) colour or (n, H, W) grey intensities. Colour channels are summed;
    every pixel is set to 1 where its intensity exceeds the median over all tiles' pixels
    (the global median), else 0. Each tile then gives the non-overlapping circles of a grid
    with step 2 * floor(radius) + 1, as many per row and column as fit, centred in the tile
    (32 x 32, radius 2.1: 6 x 6 = 36 circles centred at 3, 8, ..., 28).

    Returns (n * circles_per_tile, n_pixels) uint8 0/1: tile by tile, the circles of a tile
    in row-major grid order, the pixels of a circle in ``circle_offsets`` order.
    """
    return _grid_run(tiles, radius)[0]


def _check_tiles(tiles: object) -> np.ndarray:
    tiles = np.asarray(tiles)
    shape_ok = tiles.ndim == 3 or (tiles.ndim == 4 and tiles.shape[-1] == 3)
    if not shape_ok or tiles.shape[0] == 0:
        raise InvalidInputError(f"tiles must be (n, H, W) or (n, H, W, 3) with n >= 1, got shape "
                                f"{tiles.shape}")
    if not (np.issubdtype(tiles.dtype, np.integer) or np.issubdtype(tiles.dtype, np.floating)):
        raise InvalidTypeError("tiles must hold integer or float intensities, got dtype "
                               f"{tiles.dtype}")
    return tiles


def _median_binarize(tiles: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """(intensity (n, H, W), binary (n, H, W) uint8, threshold) of checked tiles."""
    if np.issubdtype(tiles.dtype, np.integer):  # exact sums; int32 is ample for 8/16 bit
        acc = np.int32 if tiles.dtype.itemsize <= 2 else np.int64
    else:
        acc = np.float64
    intensity = tiles.sum(axis=-1, dtype=acc) if tiles.ndim == 4 else tiles.astype(acc)
    if acc is np.float64 and not np.isfinite(intensity).all():
        raise InvalidInputError("tiles contain NaN or infinite values; expected finite intensities")
    threshold = np.median(intensity)
    return intensity, (intensity > threshold).astype(np.uint8), float(threshold)


def binarize_at_median(tiles: np.ndarray) -> tuple[np.ndarray, float]:
    """The binarisation step of ``grid_patches``: colour channels summed, every pixel 1
    where its intensity exceeds the median over all tiles' pixels (the global median).

    tiles: (n, H, W, 3) colour or (n, H, W) grey intensities. Returns (binary (n, H, W)
    uint8 0/1, threshold), the threshold on the summed intensities' scale.
    """
    _, binary, threshold = _median_binarize(_check_tiles(tiles))
    return binary, threshold


def _grid_run(tiles: object, radius: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """``grid_patches``' patches, with the intensities, binary tiles and threshold."""
    tiles = _check_tiles(tiles)
    n, height, width = tiles.shape[:3]
    centres = grid_centres(height, width, radius)
    offs = circle_offsets(radius)
    intensity, binary, threshold = _median_binarize(tiles)
    # flat pixel index of every circle pixel: (n_circles, n_pixels)
    cy = centres[:, :1] + offs[:, 0]
    cx = centres[:, 1:] + offs[:, 1]
    flat = (cy * width + cx).ravel()
    patches = binary.reshape(n, height * width)[:, flat].reshape(-1, len(offs))
    return patches, intensity, binary, threshold


def _grid_preparation(source: str, image: np.ndarray, radius: float, intensity: np.ndarray,
                      binary: np.ndarray, threshold: float, patches: np.ndarray,
                      rows: np.ndarray, n_images: int, photo: str | None = None,
                      photo_image: np.ndarray | None = None,
                      crop: tuple[int, int, int] | None = None) -> PatchPreparation:
    """How the grid path prepared image ``example_index(binary)`` of the tiles or images;
    rows: (n_images, circles_per_image), the output row of every circle (-1: not kept)."""
    i = example_index(binary)
    centres = grid_centres(binary.shape[1], binary.shape[2], radius)
    k = len(centres)
    return PatchPreparation(source=source, radius=float(radius), image=image[i],
                            intensity=intensity[i], threshold=threshold, binary=binary[i],
                            centres=centres, patches=patches[i * k:(i + 1) * k], rows=rows[i],
                            n_images=n_images, index=i, photo=photo, photo_image=photo_image,
                            crop=crop)


def example_index(binary: np.ndarray) -> int:
    """The image ``PatchPreparation`` shows: the first of binary (n, H, W) whose on-fraction
    lies in 0.3..0.7, else the one nearest 0.5 (the first such)."""
    on = binary.reshape(len(binary), -1).mean(axis=1)
    mixed = np.flatnonzero((on >= 0.3) & (on <= 0.7))
    return int(mixed[0]) if len(mixed) else int(np.argmin(np.abs(on - 0.5)))


def tile_patches(n_patches: int = 90_000, radius: float = 2.1, *, rng: np.random.Generator,
                 photos: Sequence[str] = PHOTOS, tile_size: int = 32,
                 crop_range: tuple[int, int] = (64, 256)) -> np.ndarray:
    """The authors' CIFAR-10 preparation applied to the bundled photographs.

    ceil(n_patches / circles_per_tile) tiles are made, each from a photograph chosen
    uniformly at random: a square crop at a uniform position whose side is uniform in
    ``crop_range`` (inclusive, clipped to the photograph), shrunk with anti-aliasing
    (``skimage.transform.resize``) to a tile_size x tile_size colour tile (grey photographs
    replicated to 3 channels). The tiles go through ``grid_patches`` (RGB summed, global
    median, grid of circles) and the first n_patches patches are kept.

    Returns (n_patches, n_pixels) uint8 0/1.
    """
    return _tile_run(n_patches, radius, rng, photos, tile_size, crop_range)[0]


def _tile_run(n_patches: int, radius: float, rng: np.random.Generator,
              photos: Sequence[str], tile_size: int, crop_range: tuple[int, int]
              ) -> tuple[np.ndarray, PatchPreparation]:
    """``tile_patches``' patches, and how it prepared the first tile."""
    from skimage.transform import resize

    n_patches = check_positive_int("n_patches", n_patches)
    tile_size = check_positive_int("tile_size", tile_size)
    rng = _check_rng(rng)
    if (not isinstance(crop_range, Sequence) or len(crop_range) != 2
            or any(isinstance(c, bool) or not isinstance(c, (int, np.integer))
                   for c in crop_range)):
        raise InvalidTypeError("crop_range must be a pair of integers (low, high), got "
                               f"{crop_range!r}")
    lo, hi = int(crop_range[0]), int(crop_range[1])
    if not 1 <= lo <= hi:
        raise InvalidInputError(f"crop_range must be (low, high) with 1 <= low <= high, got "
                                f"{crop_range!r}")
    circles_per_tile = len(_grid_centres(tile_size, radius)) ** 2
    n_tiles = math.ceil(n_patches / circles_per_tile)
    names = _check_names("photos", photos)
    imgs = [im if im.ndim == 3 else np.repeat(im[..., None], 3, axis=-1)
            for im in load_photos(names)]
    which = rng.integers(len(imgs), size=n_tiles)
    tiles = np.empty((n_tiles, tile_size, tile_size, 3))
    crops = np.empty((n_tiles, 3), dtype=np.int64)
    for t, i in enumerate(which):
        im = imgs[i]
        side = min(int(rng.integers(lo, hi + 1)), *im.shape[:2])
        y = int(rng.integers(0, im.shape[0] - side + 1))
        x = int(rng.integers(0, im.shape[1] - side + 1))
        tiles[t] = resize(im[y:y + side, x:x + side], (tile_size, tile_size),
                          anti_aliasing=True)
        crops[t] = (y, x, side)
    patches, intensity, binary, threshold = _grid_run(tiles, radius)
    rows = np.arange(len(patches), dtype=np.int64)
    rows = np.where(rows < n_patches, rows, -1).reshape(n_tiles, circles_per_tile)
    e = example_index(binary)
    y, x, side = (int(c) for c in crops[e])
    prep = _grid_preparation("tiles", tiles, radius, intensity, binary, threshold, patches,
                             rows, n_tiles, names[int(which[e])], imgs[int(which[e])],
                             (y, x, side))
    return patches[:n_patches], prep


def cifar_patches(images: np.ndarray, radius: float = 2.1, n_patches: int | None = None,
                  rng: np.random.Generator | None = None) -> np.ndarray:
    """Real CIFAR-10 images through ``grid_patches`` (the authors' preparation).

    images: (n, 32, 32, 3) uint8, e.g. from ``read_cifar10``. Returns all
    n * circles_per_tile patches ((n * 36, 13) for radius 2.1), or, when ``n_patches`` is
    given, a random subset of that many (drawn without replacement with ``rng``, kept in
    their original order): (n_patches, n_pixels) uint8 0/1.
    """
    return _cifar_run(images, radius, n_patches, rng)[0]


def _cifar_run(images: np.ndarray, radius: float, n_patches: int | None,
               rng: np.random.Generator | None) -> tuple[np.ndarray, PatchPreparation]:
    """``cifar_patches``' patches, and how it prepared the first image."""
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[-1] != 3:
        raise InvalidInputError(f"images must be (n, 32, 32, 3) colour images, got shape "
                                f"{images.shape}")
    if n_patches is not None:
        n_patches = check_positive_int("n_patches", n_patches)
        if rng is None:
            raise InvalidTypeError("cifar_patches: rng (a numpy.random.Generator) is required when "
                                   "n_patches is given, got None")
        rng = _check_rng(rng)
    patches, intensity, binary, threshold = _grid_run(images, radius)
    n = images.shape[0]
    if n_patches is None:
        rows = np.arange(len(patches), dtype=np.int64)
        out = patches
    else:
        if n_patches > len(patches):
            raise InvalidInputError(f"n_patches must be <= {len(patches)}, the number of patches "
                                    f"{images.shape[0]} images give, got {n_patches}")
        assert rng is not None
        keep = np.sort(rng.choice(len(patches), n_patches, replace=False))
        out = patches[keep]
        every = np.arange(len(patches))
        pos = np.searchsorted(keep, every)  # the output row of each circle, if kept
        kept = (pos < len(keep)) & (keep[np.minimum(pos, len(keep) - 1)] == every)
        rows = np.where(kept, pos, -1).astype(np.int64)
    prep = _grid_preparation("cifar", images, radius, intensity, binary, threshold, patches,
                             rows.reshape(n, -1), n)
    return out, prep


# --------------------------------------------------------------------------- statistics


def pattern_stats(patches: np.ndarray) -> dict[str, float | int]:
    """Summary statistics of binary patches.

    patches: (n, n_pixels) of 0/1. Returns n_patches, n_pixels, on_fraction (mean pixel
    value), all_on_fraction and all_off_fraction (fractions of patches with every pixel on /
    off), n_distinct_patterns and entropy_bits (entropy of the empirical distribution of
    whole patterns, in bits).
    """
    x = np.asarray(patches)
    if x.ndim != 2 or x.shape[0] == 0 or x.shape[1] == 0:
        raise InvalidInputError("patches must be 2-D (n_patches, n_pixels) and non-empty, got "
                                f"shape {x.shape}")
    if not ((x == 0) | (x == 1)).all():
        raise InvalidInputError("patches must be binary (only 0 and 1), found other values")
    x = x.astype(np.uint8)
    n, n_pixels = x.shape
    if n_pixels <= 62:
        codes = x.astype(np.int64) @ (np.int64(1) << np.arange(n_pixels, dtype=np.int64))
        _, counts = np.unique(codes, return_counts=True)
    else:
        _, counts = np.unique(x, axis=0, return_counts=True)
    p = counts / n
    ones = x.sum(axis=1)
    return {"n_patches": int(n), "n_pixels": int(n_pixels),
            "on_fraction": float(x.mean()),
            "all_on_fraction": float(np.mean(ones == n_pixels)),
            "all_off_fraction": float(np.mean(ones == 0)),
            "n_distinct_patterns": int(len(counts)),
            "entropy_bits": float(-(p * np.log2(p)).sum())}


# --------------------------------------------------------------------------- entry point


def make_patches(source: str = "tiles", n_patches: int = 90_000, radius: float = 2.1, *,
                 seed: int, cifar_dir: str | Path | None = None) -> np.ndarray:
    """Training patches from one source, seeded.

    source: "tiles" (``tile_patches`` on the bundled photographs), "photos"
    (``photo_patches``) or "cifar" (``read_cifar10(cifar_dir)`` then ``cifar_patches``; needs
    ``cifar_dir``). ``cifar_dir`` is ignored by the other sources.

    Returns (n_patches, n_pixels) uint8 0/1. How the first source image was prepared is
    kept for ``patch_preparation`` with the same arguments (the last call's only).
    """
    x, prep = _prepare(source, n_patches, radius, seed, cifar_dir)
    _LAST_PREPARATION.clear()
    _LAST_PREPARATION[_key(source, n_patches, radius, seed, cifar_dir)] = prep
    return x


def _key(source: str, n_patches: int, radius: float, seed: int,
         cifar_dir: str | Path | None) -> tuple:
    return (source, int(n_patches), float(radius), int(seed),
            None if cifar_dir is None else str(cifar_dir))


# make_patches' last preparation record, by its arguments (at most one entry)
_LAST_PREPARATION: dict[tuple, PatchPreparation] = {}


def _prepare(source: str, n_patches: int, radius: float, seed: int,
             cifar_dir: str | Path | None) -> tuple[np.ndarray, PatchPreparation]:
    check_choice("source", source, SOURCES)
    seed = check_positive_int("seed", seed, minimum=0)
    n_patches = check_positive_int("n_patches", n_patches)
    check_positive_float("radius", radius)
    # measured peak of tile_patches: about 1.4 kB a patch at radius 2.1 (float64 tiles shared
    # by 36 circles, then the patches and their codes)
    n_pixels = len(circle_offsets(radius))
    per_patch = 2 * 8 * 3 * 32 * 32 / max(1, len(_grid_centres(32, radius)) ** 2) + 16 * n_pixels
    check_memory(f"n_patches={n_patches:,}", n_patches * per_patch)
    rng = np.random.default_rng(seed)
    if source == "tiles":
        return _tile_run(n_patches, radius, rng, PHOTOS, 32, (64, 256))
    if source == "photos":
        return _photo_run(n_patches, radius, rng, PHOTOS)
    if cifar_dir is None or cifar_dir == "":
        raise InvalidInputError("cifar_dir must be a folder with CIFAR-10 batches when source is "
                                "'cifar', got None")
    from boltzprune.data.files import read_cifar10

    images, _ = read_cifar10(cifar_dir)
    return _cifar_run(images, radius, n_patches, rng)


def patch_preparation(source: str = "tiles", n_patches: int = 90_000, radius: float = 2.1, *,
                      seed: int, cifar_dir: str | Path | None = None) -> PatchPreparation:
    """How ``make_patches`` with the same arguments prepares its first source image (the
    first tile, photograph or CIFAR-10 image; paper Fig 1 A). Read from make_patches' last
    call when its arguments were these, else computed by the same code path."""
    key = _key(source, n_patches, radius, seed, cifar_dir) if (
        isinstance(n_patches, (int, np.integer)) and isinstance(radius, (int, float))
        and isinstance(seed, (int, np.integer))) else None
    if key is not None and key in _LAST_PREPARATION:
        return _LAST_PREPARATION[key]
    return _prepare(source, n_patches, radius, seed, cifar_dir)[1]
