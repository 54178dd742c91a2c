"""Property-based tests: random masks, fractions, shapes and byte strings never fail with
anything but the documented errors."""

import errno
import math
import os

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from boltzprune.data import pattern_stats, read_cifar10, read_idx
from boltzprune.errors import BadFileError, InvalidInputError
from boltzprune.io import load_checkpoint, save_rbm
from boltzprune.models import init_rbm
from boltzprune.pruning import n_to_remove, prune_mask

FAST = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])

shapes = st.tuples(st.integers(1, 8), st.integers(1, 8))


@FAST
@given(shape=shapes, data=st.data(), fraction=st.floats(0.01, 0.99),
       seed=st.integers(0, 2**31), zero_rule=st.booleans())
def test_prune_mask_properties(shape, data, fraction, seed, zero_rule):
    mask = torch.from_numpy(data.draw(arrays(np.bool_, shape)))
    imp = torch.from_numpy(data.draw(arrays(np.float32, shape,
                                            elements=st.sampled_from([0.0, 0.5, 1.0, -2.0]))))
    n = int(mask.sum())
    try:
        new = prune_mask(mask, imp, fraction, generator=torch.Generator().manual_seed(seed),
                         zero_rule=zero_rule)
    except ValueError as e:
        assert ("no weights left" in str(e) or "would remove all" in str(e)
                or "zero importance" in str(e))
        return
    assert not (new & ~mask).any()  # only existing weights are removed
    removed = n - int(new.sum())
    k = n_to_remove(n, fraction)
    if zero_rule and n and float(imp[mask].min()) >= 0:
        zeros = int((imp[mask] == 0).sum())
        assert removed == max(k, zeros)
    else:
        assert removed == k == n - math.floor(n * (1 - fraction) + 1e-9)
    kept_min = imp[new].min() if new.any() else None
    cut_max = imp[mask & ~new].max() if removed else None
    if kept_min is not None and cut_max is not None:
        assert cut_max <= kept_min  # nothing more important was cut before something less


@FAST
@given(fraction=st.one_of(st.floats(allow_nan=True), st.integers(-3, 3), st.text(max_size=3)))
def test_prune_mask_bad_fractions(fraction):
    mask = torch.ones(2, 2, dtype=torch.bool)
    try:
        prune_mask(mask, torch.zeros(2, 2), fraction, generator=torch.Generator())
    except (ValueError, TypeError) as e:
        assert "fraction" in str(e) or "would remove all" in str(e)


@FAST
@given(raw=st.binary(max_size=64))
def test_read_idx_random_bytes(raw, tmp_path):
    p = tmp_path / "x.idx"
    p.write_bytes(raw)
    try:
        out = read_idx(p)
    except BadFileError:
        return
    assert isinstance(out, np.ndarray)


@FAST
@given(raw=st.binary(max_size=128), binary=st.booleans())
def test_read_cifar_random_bytes(raw, binary, tmp_path):
    p = tmp_path / ("data_batch_1.bin" if binary else "data_batch_1")
    p.write_bytes(raw)
    with pytest.raises(BadFileError):
        read_cifar10(p)


@FAST
@given(raw=st.binary(max_size=256))
def test_load_checkpoint_random_bytes(raw, tmp_path):
    p = tmp_path / "c.safetensors"
    p.write_bytes(raw)
    with pytest.raises(BadFileError):
        load_checkpoint(p)


@FAST
@given(x=arrays(np.float64, st.tuples(st.integers(0, 5), st.integers(0, 5)),
                elements=st.sampled_from([0.0, 1.0, 0.5, np.nan])))
def test_pattern_stats_and_binary_validation(x):
    from boltzprune._validate import check_binary_matrix

    try:
        check_binary_matrix("x", x)
    except InvalidInputError as e:
        assert str(e).startswith("x ")
    try:
        pattern_stats(x.astype(np.uint8) if not np.isnan(x).any() else x)
    except InvalidInputError as e:
        assert "patches" in str(e)


def test_full_disk_stops_with_a_clear_error_and_keeps_earlier_files(tmp_path, monkeypatch):
    rbm = init_rbm(4, 3, generator=torch.Generator().manual_seed(0))
    good = tmp_path / "stage1.safetensors"
    save_rbm(good, rbm)
    before = good.read_bytes()

    def no_space(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(BadFileError, match=r"could not write .*stage2.*No space left"):
        save_rbm(tmp_path / "stage2.safetensors", rbm)
    with pytest.raises(BadFileError, match="No space left"):
        save_rbm(good, rbm)  # an overwrite that fails leaves the old file intact
    assert good.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stage1.safetensors"]
