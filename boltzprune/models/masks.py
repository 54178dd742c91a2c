"""Connectivity masks: receptive fields (paper 2.4, Fig 3 A)."""

from __future__ import annotations

import torch

__all__ = ["receptive_field_mask"]


def receptive_field_mask(image_shape: tuple[int, int], window: int | tuple[int, int] = 5,
                         stride: int | tuple[int, int] = 1) -> torch.Tensor:
    """Local connectivity (paper 2.4, Fig 3 A): one hidden unit per window position, centred
    on pixel (r, c) for r, c = 0, s, 2s, ...; the window is clipped at the image border.

    For a 20 x 20 image, a 5 x 5 window and stride 1: 400 hidden units and 8,836 weights.
    Returns (n_pixels, n_hidden) bool; pixel index = row * width + col.
    """
    from boltzprune._validate import check_positive_int
    from boltzprune.errors import InvalidInputError

    h, w = (check_positive_int("image_shape", n) for n in image_shape)
    wy, wx = (window, window) if isinstance(window, int) else window
    sy, sx = (stride, stride) if isinstance(stride, int) else stride
    for name, v, side in (("window", wy, h), ("window", wx, w), ("stride", sy, h),
                          ("stride", sx, w)):
        if check_positive_int(name, v) > side:
            raise InvalidInputError(f"{name} {v} is larger than the {h} x {w} image"
                                    + ("; such a window makes the layer fully connected"
                                       if name == "window" else ""))
    rows = torch.arange(h)
    cols = torch.arange(w)
    cy, cx = torch.arange(0, h, sy), torch.arange(0, w, sx)
    # pixel row r is inside the window centred on row c when c - wy//2 <= r <= c + (wy-1)//2
    in_y = (rows[:, None] >= cy[None, :] - wy // 2) & (rows[:, None] <= cy[None, :] + (wy - 1) // 2)
    in_x = (cols[:, None] >= cx[None, :] - wx // 2) & (cols[:, None] <= cx[None, :] + (wx - 1) // 2)
    # (h, w, n_cy, n_cx) -> (h*w, n_cy*n_cx)
    m = in_y[:, None, :, None] & in_x[None, :, None, :]
    return m.reshape(h * w, cy.numel() * cx.numel())
