import os
import pickle

import pytest
import torch
from safetensors.torch import save_file

from boltzprune.errors import BadFileError
from boltzprune.io import load_checkpoint, load_rbm, save_checkpoint, save_rbm


def test_roundtrip(tmp_path, tiny_rbm):
    save_rbm(tmp_path / "m.safetensors", tiny_rbm, {"stage": "trained"})
    rbm, meta = load_rbm(tmp_path / "m.safetensors")
    assert meta["stage"] == "trained"
    for k, t in tiny_rbm.tensors().items():
        assert torch.equal(rbm.tensors()[k], t)
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]


def test_truncated_and_altered_files_are_detected(tmp_path, tiny_rbm):
    p = tmp_path / "m.safetensors"
    save_rbm(p, tiny_rbm)
    raw = p.read_bytes()
    p.write_bytes(raw[:-7])
    with pytest.raises(BadFileError, match=r"m\.safetensors: not a readable"):
        load_rbm(p)
    bad = bytearray(raw)
    bad[-2] ^= 0x40
    p.write_bytes(bytes(bad))
    with pytest.raises(BadFileError, match="checksum mismatch"):
        load_rbm(p)


def test_foreign_safetensors_is_refused(tmp_path):
    save_file({"x": torch.zeros(2)}, str(tmp_path / "f.safetensors"))
    with pytest.raises(BadFileError, match="not a boltzprune checkpoint"):
        load_checkpoint(tmp_path / "f.safetensors")


class _Payload:
    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return (os.system, (f"touch {self.target}",))


def test_pickle_payload_is_never_executed(tmp_path):
    marker = tmp_path / "pwned"
    p = tmp_path / "evil.safetensors"
    p.write_bytes(pickle.dumps({"W": _Payload(marker)}))
    with pytest.raises(BadFileError, match="evil.safetensors"):
        load_rbm(p)
    assert not marker.exists()


def test_missing_file(tmp_path):
    with pytest.raises(BadFileError, match="not found"):
        load_rbm(tmp_path / "none.safetensors")


def test_not_an_rbm(tmp_path):
    save_checkpoint(tmp_path / "x.safetensors", {"a": torch.zeros(1)}, {"kind": "other"})
    with pytest.raises(BadFileError, match="not an RBM"):
        load_rbm(tmp_path / "x.safetensors")


def test_checkpoint_with_wrong_shapes(tmp_path, tiny_rbm):
    t = tiny_rbm.tensors()
    t["hidden_index"] = t["hidden_index"][:-1]
    save_checkpoint(tmp_path / "x.safetensors", t, {"kind": "rbm"})
    with pytest.raises(BadFileError, match=r"x\.safetensors: hidden_index must have shape"):
        load_rbm(tmp_path / "x.safetensors")
