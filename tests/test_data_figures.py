"""The data-preparation figure of each experiment's report: written for a tiny run, made by
the library's own preparation steps (the rows it shows are the run's), the same PNG bytes
for the same inputs, and a caption whose numbers are the data's."""

from __future__ import annotations

import pickle
import re

import numpy as np
import pytest

from boltzprune.app.cli import main
from boltzprune.app.figures import read_layout
from boltzprune.data.arrays import binarize_array, read_array_data, read_raw_array
from boltzprune.data.mnist import crop_and_binarize, load_digits, load_raw_digits
from boltzprune.data.patches import circle_offsets, make_patches, patch_preparation

FIGURE = "figures/fig_data_preparation.png"
RBM_ARGS = ["rbm-patches", "--seeds", "0", "--schedules", "authors_code", "--criteria",
            "variance", "--iterations", "1", "--n-patches", "600", "--fi-samples", "200",
            "--chains", "50", "--burn-in", "10", "--thin", "2", "--workers", "1",
            "--no-progress"]
PRUNE_TINY = ["--hidden", "8", "--iterations", "1", "--criteria", "variance",
              "--fi-samples", "100", "--set", "sampling.n_chains=50", "--set",
              "sampling.burn_in=5", "--set", "sampling.thin=2", "--workers", "1",
              "--no-progress"]


def _caption(report: str) -> str:
    text = report.split(f"]({FIGURE})", 1)[1]
    return text.strip().split("\n\n", 1)[0]


def _numbers(text: str) -> list[str]:
    return re.findall(r"-?\d[\d,]*\.?\d*", text)


def _check_png(path) -> None:
    layout = read_layout(path)
    assert layout is not None
    assert layout["width_px"] <= 9.5 * 110 and layout["min_font_px"] >= 9 * 110 / 72 - 0.01
    assert layout["legend_overlaps"] == []


# ---------------------------------------------------------------------------- library steps


@pytest.mark.parametrize("source", ["tiles", "photos"])
def test_patch_preparation_is_the_runs_data(source):
    x = make_patches(source, 500, 2.1, seed=3)
    prep = patch_preparation(source, 500, 2.1, seed=3)
    kept = prep.rows >= 0
    assert kept.any() and np.array_equal(x[prep.rows[kept]], prep.patches[kept])
    assert np.array_equal(prep.binary, (prep.intensity > prep.threshold).astype(np.uint8))
    offs = circle_offsets(2.1)
    for (cy, cx), patch in zip(prep.centres, prep.patches, strict=True):
        assert np.array_equal(prep.binary[cy + offs[:, 0], cx + offs[:, 1]], patch)
    # computed afresh (not from make_patches' last call) it is the same
    make_patches(source, 499, 2.1, seed=3)
    again = patch_preparation(source, 500, 2.1, seed=3)
    assert again.threshold == prep.threshold and np.array_equal(again.patches, prep.patches)


def test_cifar_preparation_keeps_track_of_the_subset(tmp_path):
    rng = np.random.default_rng(0)
    for i in range(1, 6):
        with open(tmp_path / f"data_batch_{i}", "wb") as f:
            pickle.dump({b"labels": [0, 1], b"data": rng.integers(0, 256, (2, 3072),
                                                                   dtype=np.uint8)}, f)
    x = make_patches("cifar", 100, 2.1, seed=1, cifar_dir=tmp_path)
    prep = patch_preparation("cifar", 100, 2.1, seed=1, cifar_dir=tmp_path)
    kept = prep.rows >= 0
    assert 0 < kept.sum() < len(prep.rows)
    assert np.array_equal(x[prep.rows[kept]], prep.patches[kept])


def test_raw_digits_are_what_load_digits_binarises():
    d = load_digits("bundled", seed=1)
    raw = load_raw_digits("bundled", seed=1)
    x, thr = crop_and_binarize(raw.x_train)
    assert thr == d.threshold and np.array_equal(x, d.x_train)
    assert np.array_equal(raw.y_test, d.y_test)


def test_raw_array_is_what_read_array_data_binarises(tmp_path):
    a = np.random.default_rng(0).random((20, 5)) * 3
    np.save(tmp_path / "a.npy", a)
    data = read_array_data(tmp_path / "a.npy", binarize="mean", max_rows=12)
    raw = read_raw_array(tmp_path / "a.npy", max_rows=12)
    assert np.array_equal(raw.values, a[:12]) and data.threshold == pytest.approx(a[:12].mean())
    assert np.array_equal(binarize_array(raw.values, data.threshold), data.x)


# ---------------------------------------------------------------------------- rbm-patches


def test_rbm_patches_data_figure(tmp_path):
    from boltzprune.app.rbm_patches.figures import plot_data_preparation

    out = tmp_path / "run"
    assert main([*RBM_ARGS, "--out", str(out)]) == 0
    png = out / FIGURE
    _check_png(png)
    prep = patch_preparation("tiles", 600, 2.1, seed=0)
    plot_data_preparation(tmp_path / "a.png", prep, "t")
    plot_data_preparation(tmp_path / "b.png", prep, "t")
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
    report = (out / "report.md").read_text()
    assert report.index(FIGURE) < report.index("## Schedule")  # near the top
    cap = _caption(report)
    assert f"tile {prep.index} of the {prep.n_images:,} tiles" in cap
    assert f"{prep.threshold:.3f} (of 3)" in cap
    assert f"on-fraction of the binarised image {prep.binary.mean():.3f}" in cap
    x = make_patches("tiles", 600, 2.1, seed=0)
    assert f"on-fraction {x.mean():.3f}." in cap
    assert f"rows {prep.rows.min()}-{prep.rows.max()}" in cap
    assert f"covers {len(circle_offsets(2.1))} pixels" in cap


def test_rbm_patches_data_figure_photos(tmp_path):
    out = tmp_path / "run"
    assert main([*RBM_ARGS, "--data", "photos", "--out", str(out)]) == 0
    _check_png(out / FIGURE)
    prep = patch_preparation("photos", 600, 2.1, seed=0)
    cap = _caption((out / "report.md").read_text())
    assert f"`{prep.photo}`" in cap and f"its own median, {prep.threshold:.3f}" in cap
    assert f"{prep.binary.mean():.3f}" in cap


# ---------------------------------------------------------------------------- dbm-mnist


def test_dbm_mnist_data_figure(tmp_path):
    from boltzprune.app.dbm_mnist.config import DBMMnistConfig
    from boltzprune.app.dbm_mnist.report import data_preparation
    from boltzprune.app.dbm_mnist.run import load_data

    out = tmp_path / "run"
    args = ["dbm-mnist", "--seeds", "0", "--n-train", "200", "--iterations", "1",
            "--criteria", "variance", "--n-generate", "200", "--workers", "1",
            "--no-progress", "--out", str(out), "--set", "log_likelihood=false"]
    assert main(args) == 0
    _check_png(out / FIGURE)
    cfg = DBMMnistConfig(n_train=200, seeds=(0,), criteria=("variance",), iterations=1)
    digits = load_data(cfg)
    prep = data_preparation(cfg, digits)
    assert np.array_equal(prep.binary, digits.x_train[prep.index])
    cap = _caption((out / "report.md").read_text())
    assert f"binarised at {digits.threshold:.1f} of 255" in cap
    assert "cropped to the central 20 x 20 (4 pixels off each side)" in cap
    assert f"on-fraction is {digits.x_train.mean():.3f}" in cap
    assert f"{prep.outside_share:.1%}" in cap
    for c, i in zip(prep.labels, prep.index, strict=True):
        assert digits.y_train[i] == c and (digits.y_train[:i] != c).all()


# ---------------------------------------------------------------------------- prune


def test_prune_data_figure_raster_and_images(tmp_path):
    rng = np.random.default_rng(0)
    flat = rng.random((120, 7)) * 4  # 7 units: not a square, a raster
    np.save(tmp_path / "flat.npy", flat)
    imgs = rng.random((120, 5, 5))
    np.save(tmp_path / "imgs.npy", imgs)
    for name, values, binarize in (("flat", flat, "mean"), ("imgs", imgs, "0.5")):
        out = tmp_path / name
        assert main(["prune", str(tmp_path / f"{name}.npy"), "--binarize", binarize,
                     *PRUNE_TINY, "--out", str(out)]) == 0
        _check_png(out / FIGURE)
        cap = _caption((out / "report.md").read_text())
        x = values.reshape(120, -1)
        thr = x.mean() if binarize == "mean" else 0.5
        b = (x > thr).astype(np.float32)
        assert f"binarised at {thr:.4g}" in cap
        assert f"values {x[:6].min():.4g} to {x[:6].max():.4g}" in cap
        assert f"these rows' on-fraction {b[:6].mean():.3f}" in cap
        on = b.mean(0)
        assert f"ranges from {on.min():.3f} to {on.max():.3f} (mean {on.mean():.3f})" in cap
        assert ("as 5 x 5 images" in cap) == (name == "imgs")
        assert ("as rows x units" in cap) == (name == "flat")


def test_prune_data_figure_bytes_are_deterministic(tmp_path):
    from boltzprune.app.prune.figures import plot_data_preparation

    rng = np.random.default_rng(1)
    raw = rng.random((6, 16))
    binary = (raw > 0.5).astype(np.float32)
    for shape in ((4, 4), None):
        for name in ("a", "b"):
            plot_data_preparation(tmp_path / f"{name}.png", raw, binary, binary.mean(0),
                                  shape, shape, None, "t")
        assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
        _check_png(tmp_path / "a.png")
