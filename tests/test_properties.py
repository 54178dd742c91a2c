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

# BOLTZPRUNE_EXAMPLES=5000 for a longer hunt than the default run's 60 examples a test
FAST = settings(max_examples=int(os.environ.get("BOLTZPRUNE_EXAMPLES", "60")), deadline=None,
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


# --- the configuration layer and the loaders: nothing but the package's errors ------------

def _setting_keys():
    from boltzprune.app.configio import _leaf_paths, config_to_dict
    from boltzprune.app.dbm_mnist.config import DBMMnistConfig
    from boltzprune.app.rbm_patches.config import RBMPatchesConfig

    return {cls: _leaf_paths(config_to_dict(cls())) for cls in (RBMPatchesConfig,
                                                                 DBMMnistConfig)}


_KEYS = _setting_keys()
# values as a user might type them after KEY=: numbers of any size and sign, NaN and inf,
# booleans, strings, lists and inline tables, and arbitrary text
_VALUE_TEXT = st.one_of(
    st.integers(-10**12, 10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(
        lambda x: {"nan": "nan", "inf": "inf", "-inf": "-inf"}.get(str(x), repr(x))),
    st.sampled_from(["true", "false", '"x"', "[]", "[0, 1]", "[1, 1]", "{}", '{ a = 1 }',
                     "[0.5, -1]", '""', "1e400", "-0", "0x10"]),
    st.text(max_size=12),
)


@FAST
@given(data=st.data(), n=st.integers(1, 4))
def test_random_set_overrides_give_a_config_or_a_package_error(data, n):
    """Random --set KEY=VALUE over the experiments' own keys (and random keys) build a
    valid config or raise a BoltzpruneError, never anything else."""
    from boltzprune.app.configio import build_config
    from boltzprune.errors import BoltzpruneError

    cls = data.draw(st.sampled_from(sorted(_KEYS, key=lambda c: c.__name__)))
    keys = st.one_of(st.sampled_from(_KEYS[cls]), st.text(max_size=10))
    overrides = [f"{data.draw(keys)}={data.draw(_VALUE_TEXT)}" for _ in range(n)]
    try:
        cfg = build_config(cls, {}, overrides)
    except BoltzpruneError:
        return
    assert isinstance(cfg, cls)


@FAST
@given(data=st.data(), n=st.integers(1, 4))
def test_random_config_files_give_a_config_or_a_package_error(data, n, tmp_path):
    """TOML files of random settings and values, and files of random text, build a valid
    config or raise a BoltzpruneError."""
    from boltzprune.app.configio import config_from_source
    from boltzprune.app.rbm_patches.config import RBMPatchesConfig
    from boltzprune.errors import BoltzpruneError

    keys = st.one_of(st.sampled_from(_KEYS[RBMPatchesConfig]),
                     st.from_regex(r"[a-z_]{1,8}", fullmatch=True))
    lines = [f"{data.draw(keys)} = {data.draw(_VALUE_TEXT)}" for _ in range(n)]
    text = data.draw(st.one_of(st.just("\n".join(lines)), st.text(max_size=60)))
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    try:
        cfg = config_from_source("rbm-patches", RBMPatchesConfig, str(path))
    except BoltzpruneError:
        return
    assert isinstance(cfg, RBMPatchesConfig)


@FAST
@given(data=st.data())
def test_damaged_checkpoints_are_refused_or_read_unchanged(data, tmp_path):
    """A real checkpoint with random bytes changed, cut or appended is refused with a
    BadFileError, or (a change in the header's padding) read back unchanged."""
    from boltzprune.io import load_rbm

    path = tmp_path / "m.safetensors"
    rbm = init_rbm(5, 3, generator=torch.Generator().manual_seed(0))
    save_rbm(path, rbm, {"criterion": "variance"})
    raw = bytearray(path.read_bytes())
    how = data.draw(st.sampled_from(["flip", "cut", "append"]))
    if how == "flip":
        for _ in range(data.draw(st.integers(1, 4))):
            i = data.draw(st.integers(0, len(raw) - 1))
            raw[i] ^= data.draw(st.integers(1, 255))
    elif how == "cut":
        raw = raw[:data.draw(st.integers(0, len(raw) - 1))]
    else:
        raw += data.draw(st.binary(min_size=1, max_size=32))
    path.write_bytes(bytes(raw))
    try:
        back, meta = load_rbm(path)
    except BadFileError:
        return
    assert torch.equal(back.W, rbm.W) and meta.get("criterion") == "variance"


@FAST
@given(raw=st.binary(max_size=200), suffix=st.sampled_from([".npy", ".npz", ".csv", ".json"]))
def test_data_and_json_loaders_on_random_bytes(raw, suffix, tmp_path):
    """Random bytes named as any file type the loaders read: a BadFileError, an
    InvalidInputError or data."""
    from boltzprune.data import read_array_data
    from boltzprune.errors import BoltzpruneError
    from boltzprune.io import read_json

    path = tmp_path / f"x{suffix}"
    path.write_bytes(raw)
    try:
        if suffix == ".json":
            read_json(path)
        else:
            read_array_data(path)
    except BoltzpruneError:
        pass
