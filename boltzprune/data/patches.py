"""Binarised circular patches of natural images (paper 2.2, Fig 1 A).

Three sources, one code path for cutting circles:
- "tiles" (default): the authors' CIFAR-10 preparation applied to the photographs that
  scikit-image ships: random square crops shrunk to 32 x 32 colour tiles, RGB summed,
  binarised at the global median, 36 non-overlapping circles per tile;
- "photos": the photographs at full resolution, grey, each binarised at its own median,
  circles at random positions;
- "cifar": real CIFAR-10 images (``files.read_cifar10``) through the tile preparation.
"""

from __future__ import annotations

import math

import numpy as np

from boltzprune._validate import check_choice, check_positive_float, check_positive_int

__all__ = ["PHOTOS", "SOURCES", "circle_offsets", "load_photos", "photo_patches",
           "grid_patches", "tile_patches", "cifar_patches", "pattern_stats", "make_patches"]

# Natural photographs that scikit-image ships (no download needed).
PHOTOS = ("astronaut", "camera", "coffee", "chelsea", "rocket", "grass", "gravel", "brick",
          "coins", "moon", "clock")
SOURCES = ("tiles", "photos", "cifar")


def circle_offsets(radius: float) -> np.ndarray:
    """Pixel offsets (dy, dx) with dy^2 + dx^2 <= radius^2, row-major: (n_pixels, 2) int.
    Radius 2.1 gives the paper's 13-pixel patch."""
    radius = check_positive_float("radius", radius)
    r = int(math.floor(radius))
    dy, dx = np.mgrid[-r:r + 1, -r:r + 1]
    keep = dy**2 + dx**2 <= radius**2 + 1e-9
    return np.stack([dy[keep], dx[keep]], axis=1).astype(np.int64)


def load_photos(names: tuple[str, ...] | list[str] = PHOTOS) -> list[np.ndarray]:
    """The named scikit-image photographs as float64 in [0, 1]: (H, W, 3) or (H, W)."""
    import skimage.data
    from skimage.util import img_as_float

    out = []
    for name in names:
        if name not in PHOTOS:
            raise ValueError(f"unknown photograph {name!r}; available: {', '.join(PHOTOS)}")
        img = img_as_float(getattr(skimage.data, name)())
        if img.ndim == 3:
            img = img[..., :3]
        out.append(img)
    return out


def _grey(img: np.ndarray) -> np.ndarray:
    from skimage.color import rgb2gray

    return rgb2gray(img) if img.ndim == 3 else img


def _cut(binary: np.ndarray, centres: np.ndarray, offs: np.ndarray) -> np.ndarray:
    """binary: (H, W) or (n, H, W); centres: (m, 2) or per-image (n, m, 2) -> uint8 patches."""
    ys = centres[..., 0, None] + offs[:, 0]
    xs = centres[..., 1, None] + offs[:, 1]
    if binary.ndim == 2:
        return binary[ys, xs].astype(np.uint8)
    n = binary.shape[0]
    return binary[np.arange(n)[:, None, None], ys, xs].reshape(-1, offs.shape[0]).astype(np.uint8)


def photo_patches(n_patches: int = 90_000, radius: float = 2.1, *, rng: np.random.Generator,
                  photos: tuple[str, ...] | list[str] = PHOTOS) -> np.ndarray:
    """Circles at random positions in grey photographs, each binarised at its own median
    (pixel > median -> 1), an equal share from every photograph: (n_patches, n_pixels)."""
    n_patches = check_positive_int("n_patches", n_patches)
    offs = circle_offsets(radius)
    r = int(offs.max())
    imgs = [_grey(im) for im in load_photos(photos)]
    share = [n_patches // len(imgs) + (i < n_patches % len(imgs)) for i in range(len(imgs))]
    parts = []
    for img, m in zip(imgs, share, strict=True):
        if min(img.shape) <= 2 * r:
            raise ValueError(f"radius {radius} is too large for a {img.shape} photograph")
        binary = img > np.median(img)
        cy = rng.integers(r, img.shape[0] - r, m)
        cx = rng.integers(r, img.shape[1] - r, m)
        parts.append(_cut(binary, np.stack([cy, cx], 1), offs))
    return np.concatenate(parts)


def _grid_centres(size: int, radius: float) -> np.ndarray:
    """Centres of non-overlapping circles on a regular grid centred in a size x size tile."""
    r = int(math.floor(radius))
    step = 2 * r + 1
    k = size // step
    if k == 0:
        raise ValueError(f"radius {radius} does not fit into a {size} x {size} tile")
    first = (size - k * step) // 2 + r
    c = first + step * np.arange(k)
    yy, xx = np.meshgrid(c, c, indexing="ij")
    return np.stack([yy.ravel(), xx.ravel()], 1)


def grid_patches(tiles: np.ndarray, radius: float = 2.1) -> np.ndarray:
    """Binarise tiles at the global median of their summed RGB intensity (> median -> 1) and
    cut the circles of a regular grid from each (32 x 32, radius 2.1: 36 circles at centres
    3, 8, ..., 28). tiles: (n, H, W, 3) or (n, H, W), H == W -> (n * circles, n_pixels)."""
    tiles = np.asarray(tiles)
    if tiles.ndim not in (3, 4) or tiles.shape[1] != tiles.shape[2] or tiles.shape[0] == 0:
        raise ValueError(f"tiles must be (n, S, S) or (n, S, S, 3) with n >= 1, got "
                         f"{tiles.shape}")
    intensity = tiles.astype(np.float64)
    if intensity.ndim == 4:
        intensity = intensity.sum(-1)
    binary = intensity > np.median(intensity)
    centres = _grid_centres(tiles.shape[1], radius)
    per = np.broadcast_to(centres, (tiles.shape[0], *centres.shape))
    return _cut(binary, per, circle_offsets(radius))


def tile_patches(n_patches: int = 90_000, radius: float = 2.1, *, rng: np.random.Generator,
                 photos: tuple[str, ...] | list[str] = PHOTOS, tile_size: int = 32,
                 crop_range: tuple[int, int] = (64, 256)) -> np.ndarray:
    """The authors' CIFAR-10 preparation on the bundled photographs: random square crops
    (side uniform in ``crop_range``) shrunk with anti-aliasing to tile_size x tile_size
    colour tiles, then ``grid_patches``: (n_patches, n_pixels)."""
    from skimage.transform import resize

    n_patches = check_positive_int("n_patches", n_patches)
    tile_size = check_positive_int("tile_size", tile_size)
    lo, hi = (check_positive_int("crop_range", c) for c in crop_range)
    if lo > hi:
        raise ValueError(f"crop_range must be (low, high) with low <= high, got {crop_range}")
    per_tile = len(_grid_centres(tile_size, radius))
    n_tiles = math.ceil(n_patches / per_tile)
    imgs = load_photos(photos)
    imgs = [im if im.ndim == 3 else np.repeat(im[..., None], 3, -1) for im in imgs]
    which = rng.integers(len(imgs), size=n_tiles)
    tiles = np.empty((n_tiles, tile_size, tile_size, 3))
    for t, i in enumerate(which):
        im = imgs[i]
        side = min(int(rng.integers(lo, hi + 1)), *im.shape[:2])
        y = int(rng.integers(0, im.shape[0] - side + 1))
        x = int(rng.integers(0, im.shape[1] - side + 1))
        tiles[t] = resize(im[y:y + side, x:x + side], (tile_size, tile_size),
                          anti_aliasing=True)
    return grid_patches(tiles, radius)[:n_patches]


def cifar_patches(images: np.ndarray, radius: float = 2.1, n_patches: int | None = None,
                  rng: np.random.Generator | None = None) -> np.ndarray:
    """Real CIFAR-10 images (n, 32, 32, 3) uint8 through ``grid_patches``; all patches, or a
    random subset of ``n_patches`` (needs ``rng``)."""
    patches = grid_patches(images, radius)
    if n_patches is None:
        return patches
    n_patches = check_positive_int("n_patches", n_patches)
    if n_patches > len(patches):
        raise ValueError(f"n_patches {n_patches} exceeds the {len(patches)} patches the "
                         "CIFAR-10 images give")
    if rng is None:
        raise ValueError("a random subset of CIFAR-10 patches needs rng")
    return patches[np.sort(rng.choice(len(patches), n_patches, replace=False))]


def pattern_stats(patches: np.ndarray) -> dict[str, float | int]:
    """Summary statistics of binary patches (n, n_pixels): on-fraction, fractions of
    all-on and all-off patches, distinct patterns and the entropy of their distribution."""
    x = np.asarray(patches)
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(f"patches must be 2-D and non-empty, got shape {x.shape}")
    rows = x.sum(1)
    _, counts = np.unique(x, axis=0, return_counts=True)
    p = counts / counts.sum()
    return {"n_patches": int(x.shape[0]), "n_pixels": int(x.shape[1]),
            "on_fraction": float(x.mean()),
            "all_on_fraction": float(np.mean(rows == x.shape[1])),
            "all_off_fraction": float(np.mean(rows == 0)),
            "n_distinct_patterns": int(len(counts)),
            "entropy_bits": float(-(p * np.log2(p)).sum())}


def make_patches(source: str = "tiles", n_patches: int = 90_000, radius: float = 2.1, *,
                 seed: int, cifar_dir: str | None = None) -> np.ndarray:
    """Training patches from ``source`` ("tiles", "photos" or "cifar"), seeded:
    (n_patches, n_pixels) uint8 0/1."""
    check_choice("source", source, SOURCES)
    check_positive_int("seed", seed, minimum=0)
    rng = np.random.default_rng(seed)
    if source == "tiles":
        return tile_patches(n_patches, radius, rng=rng)
    if source == "photos":
        return photo_patches(n_patches, radius, rng=rng)
    if not cifar_dir:
        raise ValueError("source 'cifar' needs cifar_dir, a folder with CIFAR-10 batches")
    from boltzprune.data.files import read_cifar10

    images, _ = read_cifar10(cifar_dir)
    return cifar_patches(images, radius, n_patches, rng)
