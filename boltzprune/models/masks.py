"""Unit removal: drop hidden units that have lost every weight, keeping an index map."""

from __future__ import annotations

import torch

from boltzprune.models.rbm import RBM

__all__ = ["remove_dead_hidden", "receptive_field_mask", "remove_dead_units_dbm"]


def remove_dead_hidden(rbm: RBM) -> tuple[RBM, torch.Tensor]:
    """Remove hidden units with no remaining weight (an all-False mask column).

    A hidden unit without weights only multiplies Z by (1 + e^{b_h}); removing it leaves
    p(v) unchanged. Returns the smaller RBM and the removed units' original indices.
    ``rbm.hidden_index`` of the result maps each kept unit to the original model.
    """
    alive = rbm.mask.any(dim=0)
    if alive.all():
        return rbm, torch.empty(0, dtype=torch.int64)
    if not alive.any():
        raise ValueError("pruning left no hidden unit with any weight; the RBM would be empty "
                         "(use a smaller fraction or fewer iterations)")
    removed = rbm.hidden_index[~alive].clone()
    small = RBM(rbm.W[:, alive].clone(), rbm.b_v.clone(), rbm.b_h[alive].clone(),
                rbm.mask[:, alive].clone(), rbm.hidden_index[alive].clone())
    return small, removed


def receptive_field_mask(image_shape: tuple[int, int], window: int | tuple[int, int] = 5,
                         stride: int | tuple[int, int] = 1) -> torch.Tensor:
    """Local connectivity (paper 2.4, Fig 3 A): one hidden unit per window position, centred
    on pixel (r, c) for r, c = 0, s, 2s, ...; the window is clipped at the image border.

    For a 20 x 20 image, a 5 x 5 window and stride 1: 400 hidden units and 8,836 weights.
    Returns (n_pixels, n_hidden) bool; pixel index = row * width + col.
    """
    from boltzprune._validate import check_positive_int

    h, w = (check_positive_int("image_shape", n) for n in image_shape)
    wy, wx = (window, window) if isinstance(window, int) else window
    sy, sx = (stride, stride) if isinstance(stride, int) else stride
    for name, v in (("window", wy), ("window", wx), ("stride", sy), ("stride", sx)):
        check_positive_int(name, v)
    rows = torch.arange(h)
    cols = torch.arange(w)
    cy, cx = torch.arange(0, h, sy), torch.arange(0, w, sx)
    # pixel row r is inside the window centred on row c when c - wy//2 <= r <= c + (wy-1)//2
    in_y = (rows[:, None] >= cy[None, :] - wy // 2) & (rows[:, None] <= cy[None, :] + (wy - 1) // 2)
    in_x = (cols[:, None] >= cx[None, :] - wx // 2) & (cols[:, None] <= cx[None, :] + (wx - 1) // 2)
    # (h, w, n_cy, n_cx) -> (h*w, n_cy*n_cx)
    m = in_y[:, None, :, None] & in_x[None, :, None, :]
    return m.reshape(h * w, cy.numel() * cx.numel())


def remove_dead_units_dbm(dbm):  # -> (DBM, list[Tensor], Tensor)
    """Remove hidden units of a DBM that pruning disconnected (paper 2.4).

    A unit of an intermediate hidden layer goes when it has lost every weight to the layer
    below or every weight to the layer above; a unit of the deepest layer when it has lost
    every weight to the layer below. Removal repeats until nothing changes (removing a unit
    can disconnect its neighbours). Visible units are never removed.

    Returns the smaller DBM, per hidden layer the original indices of removed units, and the
    original indices of visible units left without any weight.
    """
    from boltzprune.models.dbm import DBM

    dbm = dbm.clone()
    L = dbm.n_layers
    removed: list[list[torch.Tensor]] = [[] for _ in range(L)]
    while True:
        changed = False
        for l in range(1, L + 1):
            alive = dbm.masks[l - 1].any(0)
            if l < L:
                alive &= dbm.masks[l].any(1)
            if bool(alive.all()):
                continue
            if not bool(alive.any()):
                raise ValueError(f"pruning disconnected every unit of hidden layer {l}; "
                                 "use a smaller fraction or fewer iterations")
            removed[l - 1].append(dbm.hidden_index[l - 1][~alive])
            dbm.weights[l - 1] = dbm.weights[l - 1][:, alive]
            dbm.masks[l - 1] = dbm.masks[l - 1][:, alive]
            dbm.biases[l] = dbm.biases[l][alive]
            dbm.hidden_index[l - 1] = dbm.hidden_index[l - 1][alive]
            if l < L:
                dbm.weights[l] = dbm.weights[l][alive]
                dbm.masks[l] = dbm.masks[l][alive]
            changed = True
        if not changed:
            break
    dead_visible = (~dbm.masks[0].any(1)).nonzero().squeeze(1)
    out = [torch.cat(r) if r else torch.empty(0, dtype=torch.int64) for r in removed]
    return DBM(dbm.weights, dbm.masks, dbm.biases, dbm.hidden_index), out, dead_visible
