import contextlib
import errno
import hashlib
import json
import os
import pickle
import re
import socket
import stat
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest
import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save
from safetensors.torch import save_file

from boltzprune.errors import BadFileError
from boltzprune.io import (
    FORMAT_VERSION,
    atomic_write_text,
    load_checkpoint,
    load_rbm,
    read_bytes,
    read_json,
    save_checkpoint,
    save_rbm,
    write_json,
)


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


# --------------------------------------------------------------------------- helpers

def _header(raw):
    n = int.from_bytes(raw[:8], "little")
    return n, json.loads(raw[8:8 + n])


def _with_header(raw, header):
    """``raw`` with its JSON header replaced (padded to 8 bytes), the data kept."""
    n = int.from_bytes(raw[:8], "little")
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    return len(text).to_bytes(8, "little") + text + raw[8 + n:]


def _edit_metadata(p, edit):
    raw = p.read_bytes()
    header = _header(raw)[1]
    edit(header["__metadata__"])
    p.write_bytes(_with_header(raw, header))


def _v1_digest(tensors):
    """The format-1 checksum, written out here so that the test does not lean on io.py."""
    h = hashlib.sha256()
    for name in sorted(tensors):
        t = tensors[name].contiguous()
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(t.view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def _promptly(fn, *args, timeout=20):
    """fn(*args)'s exception, failing (not hanging) when it takes over ``timeout`` s."""
    out = {}

    def target():
        try:
            fn(*args)
        except BaseException as e:  # noqa: BLE001 - handed to the test
            out["e"] = e

    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(timeout)
    assert not t.is_alive(), f"{fn.__name__} blocked for over {timeout} s"
    return out.get("e")


# --------------------------------------------------------------------------- determinism

_SAVE_SCRIPT = """
import sys, torch
from boltzprune.io import save_checkpoint
g = torch.Generator().manual_seed(3)
tensors = {name: torch.randn(3, 4, generator=g) for name in "qwertyuiopasdfgh"}
tensors["mask"] = torch.rand(3, 4, generator=g) < 0.5
tensors["index"] = torch.arange(7)
meta = {k: i for i, k in enumerate("zyxwvutsrqponmlk")}
meta |= {"kind": "rbm", "criterion": "variance", "nested": {"b": 1, "a": [1.5, None]}}
save_checkpoint(sys.argv[1], tensors, meta)
"""


def test_checkpoint_bytes_are_the_same_in_every_process(tmp_path):
    paths = []
    for seed in ("0", "12345", "random"):
        p = tmp_path / f"c{seed}.safetensors"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-c", _SAVE_SCRIPT, str(p)], env=env, check=True,
                       timeout=120)
        paths.append(p)
    raws = [p.read_bytes() for p in paths]
    assert raws[0] == raws[1] == raws[2]
    raw = raws[0]
    n, header = _header(raw)
    assert (8 + n) % 8 == 0 and raw[8:9] == b"{"  # safetensors' alignment and start
    text = raw[8:8 + n].decode().rstrip(" ")
    assert text == json.dumps(header, sort_keys=True, separators=(",", ":"))
    meta = header["__metadata__"]["meta"]
    assert meta == json.dumps(json.loads(meta), sort_keys=True)
    tensors = st_load(raw)  # still a valid safetensors file
    assert set(tensors) == set("qwertyuiopasdfgh") | {"mask", "index"}
    loaded, meta = load_checkpoint(paths[0])
    assert meta["kind"] == "rbm" and meta["nested"] == {"a": [1.5, None], "b": 1}
    assert torch.equal(loaded["index"], torch.arange(7))
    assert loaded["mask"].dtype == torch.bool


# --------------------------------------------------------------------------- checksum

@pytest.mark.parametrize("edit", [
    lambda m: m.update(meta=m["meta"].replace('"rbm"', '"dbm"')),
    lambda m: m.update(meta=m["meta"].replace('"variance"', '"random"')),
    lambda m: m.update(meta="{}"),
    lambda m: m.update(format_version="1"),  # a downgrade that would skip the meta
])
def test_edited_metadata_is_refused(tmp_path, tiny_rbm, edit):
    p = tmp_path / "m.safetensors"
    save_rbm(p, tiny_rbm, {"criterion": "variance"})
    _edit_metadata(p, edit)
    with pytest.raises(BadFileError, match=r"m\.safetensors: checksum mismatch, the "
                       r"checkpoint was altered or damaged; if it is part of a run "
                       r"directory, delete it and resume the run to recompute it$"):
        load_rbm(p)


def test_rewritten_header_with_the_same_metadata_still_loads(tmp_path, tiny_rbm):
    p = tmp_path / "m.safetensors"
    save_rbm(p, tiny_rbm, {"criterion": "variance"})
    _edit_metadata(p, lambda m: None)  # other key order and spacing, same content
    assert load_rbm(p)[1]["criterion"] == "variance"


def _save_v1(p, tensors, meta):
    header = {"format": "boltzprune-checkpoint", "format_version": "1",
              "sha256": _v1_digest(tensors), "meta": json.dumps(meta)}
    p.write_bytes(st_save(tensors, metadata=header))


def test_format_1_checkpoints_still_load(tmp_path, tiny_rbm):
    assert FORMAT_VERSION == "2"
    p = tmp_path / "old.safetensors"
    _save_v1(p, tiny_rbm.tensors(), {"kind": "rbm", "stage": "trained"})
    rbm, meta = load_rbm(p)
    assert meta == {"kind": "rbm", "stage": "trained"}
    for k, t in tiny_rbm.tensors().items():
        assert torch.equal(rbm.tensors()[k], t)
    bad = bytearray(p.read_bytes())
    bad[-2] ^= 0x40  # format 1's checksum still covers the tensors
    p.write_bytes(bytes(bad))
    with pytest.raises(BadFileError, match="checksum mismatch"):
        load_rbm(p)


def test_unknown_format_version_is_refused(tmp_path, tiny_rbm):
    p = tmp_path / "m.safetensors"
    save_rbm(p, tiny_rbm)
    _edit_metadata(p, lambda m: m.update(format_version="3"))
    with pytest.raises(BadFileError, match=r"m\.safetensors: checkpoint format version '3', "
                                           r"this boltzprune reads '1' and '2'$"):
        load_rbm(p)


# --------------------------------------------------------------------------- special files

def _fifo(tmp_path):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    p = tmp_path / "pipe.safetensors"
    os.mkfifo(p)
    return p


def _unblock(p):
    """Let a reader stuck opening the FIFO ``p`` go (a regression) so the test can end."""
    with contextlib.suppress(OSError):
        os.close(os.open(p, os.O_WRONLY | os.O_NONBLOCK))


@pytest.mark.parametrize("reader", [load_checkpoint, read_json, read_bytes])
def test_fifo_is_refused_without_blocking(tmp_path, reader):
    p = _fifo(tmp_path)
    try:
        e = _promptly(reader, p)
    finally:
        _unblock(p)
    assert isinstance(e, BadFileError)
    assert re.fullmatch(rf"{re.escape(str(p))}: not a regular file \(a FIFO\); expected "
                        r"a (checkpoint|JSON file|file)", str(e))


_READ_SCRIPT = """
import sys
from boltzprune import io
try:
    getattr(io, sys.argv[1])(sys.argv[2])
except io.BadFileError as e:
    print(e)
"""


@pytest.mark.parametrize("reader,what", [("load_checkpoint", "a checkpoint"),
                                         ("read_json", "a JSON file")])
def test_character_device_is_refused(reader, what):
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero here")
    # in a process of its own, killed at the timeout: a regression reading /dev/zero
    # would fill the memory
    out = subprocess.run([sys.executable, "-c", _READ_SCRIPT, reader, "/dev/zero"],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    assert out == f"/dev/zero: not a regular file (a character device); expected {what}\n"


def test_socket_is_refused(tmp_path):
    if not hasattr(socket, "AF_UNIX"):
        pytest.skip("no Unix sockets here")
    p = tmp_path / "s.safetensors"
    with socket.socket(socket.AF_UNIX) as s:
        try:
            s.bind(str(p))
        except OSError:
            pytest.skip("cannot bind a Unix socket here (path too long?)")
        with pytest.raises(BadFileError, match=r"not a regular file \(a socket\)"):
            load_checkpoint(p)


@pytest.mark.parametrize("reader,what", [(load_checkpoint, "checkpoint"),
                                         (read_json, "JSON file")])
def test_folder_is_refused(tmp_path, reader, what):
    (tmp_path / "d.x").mkdir()
    with pytest.raises(BadFileError, match=rf"d\.x: is a folder, not a {what}$"):
        reader(tmp_path / "d.x")


# --------------------------------------------------------------------------- malformed files

@pytest.mark.parametrize("content,why", [
    (b"", "the file is 0 bytes, too short for the 8-byte header size"),
    (b"\x01\x02\x03", "the file is 3 bytes, too short"),
    ((2 ** 63).to_bytes(8, "little") + b"{}",
     f"it declares a header of {2 ** 63} bytes, over the 100000000-byte limit"),
    ((100_000_001).to_bytes(8, "little"), "over the 100000000-byte limit"),
    ((1000).to_bytes(8, "little") + b"{}", "header of 1000 bytes, but the file is 10 bytes"),
    ((4).to_bytes(8, "little") + b"{{{{", "the header is not valid JSON"),
    ((2).to_bytes(8, "little") + b"[]", "the header is not a JSON object"),
    ((24).to_bytes(8, "little") + b'{"x":{"data_offsets":1}}', "'x' has no valid data_offsets"),
])
def test_malformed_header_is_refused_before_the_data_is_read(tmp_path, content, why):
    p = tmp_path / "bad.safetensors"
    p.write_bytes(content)
    with pytest.raises(BadFileError) as e:
        load_checkpoint(p)
    msg = str(e.value)
    assert msg.startswith(f"{p}: not a readable safetensors checkpoint (truncated or "
                          "corrupted?): ")
    assert why in msg and "\n" not in msg


def test_data_size_must_match_the_header(tmp_path, tiny_rbm):
    p = tmp_path / "m.safetensors"
    save_rbm(p, tiny_rbm)
    raw = p.read_bytes()
    n, header = _header(raw)
    size = max(t["data_offsets"][1] for k, t in header.items() if k != "__metadata__")
    p.write_bytes(raw[:-7])
    with pytest.raises(BadFileError, match=rf"the header describes {size} bytes of tensor "
                                           rf"data, the file holds {size - 7}$"):
        load_rbm(p)
    p.write_bytes(raw + b"extra")
    with pytest.raises(BadFileError, match=rf"the file holds {size + 5}$"):
        load_rbm(p)
    p.write_bytes(raw[:8 + n - 3])  # cut inside the header
    with pytest.raises(BadFileError, match=r"but the file is \d+ bytes$"):
        load_rbm(p)


def test_read_bytes_refuses_files_over_max_bytes(tmp_path):
    p = tmp_path / "big.json"
    p.write_bytes(b"[" + b"0," * 1500 + b"0]")
    assert read_bytes(p, "JSON file", max_bytes=3003) == p.read_bytes()
    with pytest.raises(BadFileError, match=r"big\.json: the JSON file is 2.9 KiB, over the "
                                           r"1000 bytes limit$"):
        read_bytes(p, "JSON file", max_bytes=1000)
    with pytest.raises(BadFileError, match=r"big\.json: the JSON file is 3003 bytes, over "
                                           r"the 3002 bytes limit$"):
        read_bytes(p, "JSON file", max_bytes=3002)
    assert read_json(p) == [0] * 1501  # well under the default limit


def test_read_bytes_limit_holds_for_files_of_no_stated_size():
    if not os.path.exists("/proc/self/status"):
        pytest.skip("no /proc here")
    assert b"Umask" in read_bytes("/proc/self/status")  # st_size 0, read to the end
    with pytest.raises(BadFileError, match=r"the file is over the 10 bytes limit$"):
        read_bytes("/proc/self/status", max_bytes=10)


# --------------------------------------------------------------------------- writing

@pytest.mark.parametrize("umask,mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_written_files_follow_the_umask(tmp_path, tiny_rbm, umask, mode):
    if os.name != "posix":
        pytest.skip("file modes are POSIX")
    old = os.umask(umask)
    try:
        write_json(tmp_path / "config.json", {"a": 1})
        save_rbm(tmp_path / "m.safetensors", tiny_rbm)
        atomic_write_text(tmp_path / "config.json", "{}")  # an overwrite, too
        assert os.umask(umask) == umask  # left as it was
    finally:
        os.umask(old)
    for name in ("config.json", "m.safetensors"):
        assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == mode


def _read_only(*args, **kwargs):
    raise OSError(errno.EROFS, os.strerror(errno.EROFS), "/x/.config.json.abc123.tmp")


@pytest.mark.parametrize("where", ["mkstemp", "replace"])
def test_write_errors_name_the_target_not_the_temporary_file(tmp_path, monkeypatch, where):
    target = tmp_path / "config.json"
    if where == "mkstemp":
        monkeypatch.setattr(tempfile, "mkstemp", _read_only)
    else:
        monkeypatch.setattr(os, "replace", _read_only)
    with pytest.raises(BadFileError) as e:
        write_json(target, {"a": 1})
    assert str(e.value) == f"could not write {target}: {os.strerror(errno.EROFS)}"
    assert list(tmp_path.iterdir()) == []  # no temporary file left behind


def test_unwritable_folder(tmp_path):
    if os.name != "posix" or os.geteuid() == 0:
        pytest.skip("needs POSIX permissions and a user they apply to")
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(BadFileError) as e:
            write_json(folder / "config.json", {})
    finally:
        folder.chmod(0o755)
    assert str(e.value) == f"could not write {folder / 'config.json'}: Permission denied"


def test_folder_that_cannot_be_created(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("")
    target = tmp_path / "file" / "sub" / "config.json"
    with pytest.raises(BadFileError) as e:
        write_json(target, {})
    assert str(e.value) == (f"could not write {target}: could not create the folder "
                            f"{target.parent}: a file is in the way")

    def no_permission(*args, **kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(tmp_path / "x"))

    monkeypatch.setattr(Path, "mkdir", no_permission)
    with pytest.raises(BadFileError) as e:
        write_json(tmp_path / "x" / "config.json", {})
    assert str(e.value) == (f"could not write {tmp_path / 'x' / 'config.json'}: could not "
                            f"create the folder {tmp_path / 'x'}: Permission denied")


def test_umask_is_read_without_proc_too(monkeypatch):
    import boltzprune.io as bio

    if os.name != "posix":
        pytest.skip("umasks are POSIX")

    def no_proc(*args, **kwargs):
        raise FileNotFoundError(errno.ENOENT, "no /proc here")

    monkeypatch.setattr(bio, "open", no_proc, raising=False)  # found before the builtin
    old = os.umask(0o027)
    try:
        assert bio._umask() == 0o027
        assert os.umask(0o027) == 0o027  # put back as it was
    finally:
        os.umask(old)
