"""Regenerate docs/errors.md: every bad input we try and the one-line message it gets.

    python docs/make_error_table.py            # rewrite docs/errors.md
tests/test_error_table.py checks that the committed table matches what the code says.

Each command-line row must end in exactly one line on stderr (argparse's usage errors: its
usage and one error line) and each library row in a ``BoltzpruneError``; anything else (a
traceback, another exception) is a bug and stops the build.
"""

from __future__ import annotations

import contextlib
import io
import os
import pickle
import re
import sys
import tempfile
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent


class _Payload:
    def __reduce__(self):
        return (os.system, ("true",))


_STATUS = re.compile(r"boltzprune [a-z-]+: (checking the settings|reading )")


def _cli(args: list[str]) -> tuple[int, str]:
    from boltzprune.app.cli import main

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(args)
        except SystemExit as e:  # argparse errors
            code = e.code
    lines = [ln for ln in err.getvalue().strip().splitlines()
             if ln.strip() and not _STATUS.match(ln)]  # status lines say what is starting
    usage = bool(lines) and lines[0].startswith("usage:")  # argparse: usage, then one line
    if not lines or (not usage and len(lines) != 1):
        raise RuntimeError(f"boltzprune {' '.join(args)}: expected one line on stderr, got "
                           f"{len(lines)}:\n{err.getvalue()}")
    return code, lines[-1]


def _lib(fn) -> str:
    from boltzprune.errors import BoltzpruneError

    try:
        fn()
    except BoltzpruneError as e:  # anything else is a bug and stops the build
        if "\n" in str(e):
            raise RuntimeError(f"a message of more than one line: {e}") from None
        return f"{type(e).__name__}: {e}"
    return "(no error)"


def cases(tmp: Path) -> list[tuple[str, str, str]]:
    """(where, input, message) rows; ``tmp`` paths are shown as <tmp>."""
    import numpy as np

    from boltzprune import BoltzpruneError, init_rbm, prune_mask, train_rbm
    from boltzprune.data import read_array_data, read_cifar10, read_idx
    from boltzprune.io import load_rbm, save_rbm
    from boltzprune.pruning import remove_dead_hidden
    from boltzprune.training import TrainConfig

    assert issubclass(BoltzpruneError, ValueError)
    g = torch.Generator().manual_seed(0)
    rbm = init_rbm(4, 3, generator=g)
    rows: list[tuple[str, str, str]] = []
    small = ["--n-patches", "200", "--no-progress", "--out", str(tmp / "new")]
    for args in (["--fraction", "1.5"], ["--fraction", "0"], ["--criteria", "nope"],
                 ["--seeds", "1", "1"], ["--n-patches", "0"], ["--radius", "0"],
                 ["--iterations", "0"], ["--thin", "0"], ["--fi-samples", "-5"],
                 ["--data", "cifar"], ["--data", "cifar", "--cifar-dir", "/nonexistent"],
                 ["--device", "cuda"], ["--device", "gpu0"], ["--schedules", "fast"]):
        code, msg = _cli(["rbm-patches", *small, *args])
        rows.append(("`boltzprune rbm-patches`", " ".join(args), f"exit {code}: {msg}"))
    full = tmp / "full"
    full.mkdir()
    (full / "notes.txt").write_text("mine")
    code, msg = _cli(["rbm-patches", "--no-progress", "--n-patches", "200", "--out", str(full)])
    rows.append(("`boltzprune rbm-patches`", "--out DIR (non-empty, not a run)",
                 f"exit {code}: {msg}"))
    for name, text in (("typo.toml", "seeds = [0]\nfractoin = 0.5\n"),
                       ("nested.toml", "[sampling]\nthinning = 5\n"),
                       ("broken.toml", "seeds = [0,\n"),
                       ("types.toml", "iterations = \"three\"\n")):
        (tmp / name).write_text(text)
        code, msg = _cli(["rbm-patches", "--config", str(tmp / name), "--no-progress"])
        shown = text.strip().replace("\n", "; ")
        rows.append(("`boltzprune rbm-patches`", f"--config FILE ({shown})",
                     f"exit {code}: {msg}"))
    code, msg = _cli(["rbm-patches", "--config", str(tmp / "none.toml")])
    rows.append(("`boltzprune rbm-patches`", "--config FILE (missing)", f"exit {code}: {msg}"))
    for args in (["--config", "rbm-papr"], ["--config", "dbm-quick"]):
        code, msg = _cli(["rbm-patches", "--no-progress", "--out", str(tmp / "new"), *args])
        rows.append(("`boltzprune rbm-patches`", " ".join(args), f"exit {code}: {msg}"))
    for args in (["--set", "epochs=5"], ["--set", "training.paper.epochs=many"],
                 ["--set", "seeds"], ["--plugin", "no_such_module"],
                 ["--plugin", "missing.py"], ["--criteria", "mine"]):
        code, msg = _cli(["rbm-patches", *small, *args])
        rows.append(("`boltzprune rbm-patches`", " ".join(args), f"exit {code}: {msg}"))
    code, msg = _cli(["configs", "dbm-fast"])
    rows.append(("`boltzprune configs`", "dbm-fast", f"exit {code}: {msg}"))
    for name, text in (("exp.toml", 'experiment = "rbm"\n[grid]\nseeds = [1]\n'),
                       ("nogrid.toml", "workers = 2\n"),
                       ("scalar.toml", "[grid]\nseeds = 3\n"),
                       ("field.toml", "[grid]\nn_hiden = [35, 70]\n"),
                       ("value.toml", "[grid]\nfraction = [0.5, 1.5]\n")):
        (tmp / name).write_text(text)
        code, msg = _cli(["sweep", str(tmp / name), "--no-progress", "--out", str(tmp / "sw")])
        shown = text.strip().replace("\n", "; ")
        rows.append(("`boltzprune sweep`", f"SWEEP.toml ({shown})", f"exit {code}: {msg}"))
    code, msg = _cli(["rbm-patches", "--resume", str(tmp / "nothing")])
    rows.append(("`boltzprune rbm-patches`", "--resume DIR (no run there)", f"exit {code}: {msg}"))
    for args in (["--criteria", "nope"], ["--recipe", "paper"], ["--recipe", "full"],
                 ["--data", "idx"], ["--data", "fashion-mnist", "--idx-dir", "/nonexistent"],
                 ["--data", "idx", "--idx-dir", "/nonexistent"], ["--fraction", "1"],
                 ["--n-train", "3"]):
        code, msg = _cli(["dbm-mnist", *args, "--no-progress", "--out", str(tmp / "d")])
        rows.append(("`boltzprune dbm-mnist`", " ".join(args), f"exit {code}: {msg}"))
    for args in (["--set", "window=100"], ["--n-train", "1000000000"]):
        code, msg = _cli(["dbm-mnist", *args, "--no-progress", "--out", str(tmp / "d")])
        rows.append(("`boltzprune dbm-mnist`", " ".join(args), f"exit {code}: {msg}"))
    (tmp / "plugdir").mkdir()
    for args in (["--n-hidden", "1000000000"], ["--n-patches", "10000000000"],
                 ["--device", "meta"], ["--device", "mps"], ["--plugin", str(tmp / "plugdir")]):
        code, msg = _cli(["rbm-patches", *small, *args])
        rows.append(("`boltzprune rbm-patches`", " ".join(args).replace(str(tmp), "<tmp>"),
                     f"exit {code}: {msg}"))
    code, msg = _cli(["rbm-patches", "--config", "rbm-demo", "--seeds", "0"])
    rows.append(("`boltzprune rbm-patches`", "--config rbm-demo --seeds 0", f"exit {code}: {msg}"))
    (tmp / "afile").write_text("x")
    code, msg = _cli(["rbm-patches", "--resume", str(tmp / "afile")])
    rows.append(("`boltzprune rbm-patches`", "--resume FILE", f"exit {code}: {msg}"))
    # a run directory: its config, a lock held by a live writer, another experiment's resume
    from boltzprune.app.configio import config_to_dict
    from boltzprune.app.rbm_patches.config import RBMPatchesConfig
    from boltzprune.app.runs import RunLock, write_manifest

    run = tmp / "run"
    run.mkdir()
    write_manifest(run, config_to_dict(RBMPatchesConfig(n_patches=200)), {"seeds": [0, 1]})
    code, msg = _cli(["rbm-patches", "--n-patches", "300", "--no-progress", "--out", str(run)])
    rows.append(("`boltzprune rbm-patches`", "--out RUN (a run of other settings)",
                 f"exit {code}: {msg}"))
    code, msg = _cli(["rbm-patches", "--resume", str(run), "--seeds", "0"])
    rows.append(("`boltzprune rbm-patches`", "--resume RUN --seeds 0", f"exit {code}: {msg}"))
    code, msg = _cli(["dbm-mnist", "--resume", str(run)])
    rows.append(("`boltzprune dbm-mnist`", "--resume RUN (an rbm-patches run)",
                 f"exit {code}: {msg}"))
    lock = RunLock(run)
    lock.acquire()
    try:
        code, msg = _cli(["rbm-patches", "--n-patches", "200", "--no-progress", "--out",
                          str(run)])
    finally:
        lock.release()
    rows.append(("`boltzprune rbm-patches`", "--out RUN (another process writing it)",
                 f"exit {code}: {msg}"))

    lib = "library"
    rows += [
        (lib, "train_rbm(data with a 0.5)", _lib(lambda: train_rbm(
            rbm, torch.full((2, 4), 0.5), generator=g))),
        (lib, "train_rbm(data with NaN)", _lib(lambda: train_rbm(
            rbm, torch.full((2, 4), float("nan")), generator=g))),
        (lib, "train_rbm(data of 5 columns)", _lib(lambda: train_rbm(
            rbm, torch.zeros(2, 5), generator=g))),
        (lib, "train_rbm(empty data)", _lib(lambda: train_rbm(
            rbm, torch.zeros(0, 4), generator=g))),
        (lib, "train_rbm(lr 1e6, momentum 0.99)", _lib(lambda: train_rbm(
            rbm, torch.ones(50, 4), TrainConfig(lr_schedule="constant", lr_start=1e6,
                                                momentum=0.99, initial_momentum=0.99),
            generator=g))),
        (lib, "TrainConfig(epochs=0)", _lib(lambda: train_rbm(
            rbm, torch.ones(2, 4), TrainConfig(epochs=0), generator=g))),
        (lib, "init_rbm(mask of the wrong shape)", _lib(lambda: init_rbm(
            4, 3, generator=g, mask=torch.ones(3, 4, dtype=torch.bool)))),
        (lib, "prune_mask(float mask)", _lib(lambda: prune_mask(
            torch.ones(2, 2), torch.zeros(2, 2), 0.5, generator=g))),
        (lib, "prune_mask(importance of another shape)", _lib(lambda: prune_mask(
            torch.ones(2, 2, dtype=torch.bool), torch.zeros(3, 2), 0.5, generator=g))),
        (lib, "prune_mask(fraction 1.0)", _lib(lambda: prune_mask(
            torch.ones(2, 2, dtype=torch.bool), torch.zeros(2, 2), 1.0, generator=g))),
        (lib, "prune_mask(1 weight left, fraction 0.5)", _lib(lambda: prune_mask(
            torch.tensor([[True, False]]), torch.zeros(1, 2), 0.5, generator=g))),
        (lib, "remove_dead_hidden(no weights left)", _lib(lambda: remove_dead_hidden(
            type(rbm)(rbm.W * 0, rbm.b_v, rbm.b_h, rbm.mask & False, rbm.hidden_index)))),
    ]
    from boltzprune import prune_rbm

    rows += [
        (lib, "init_rbm(weight_std=nan)", _lib(lambda: init_rbm(
            4, 3, generator=g, weight_std=float("nan")))),
        (lib, "init_rbm(visible_on_fraction 2.0)", _lib(lambda: init_rbm(
            4, 3, generator=g, visible_on_fraction=torch.full((4,), 2.0)))),
        (lib, "init_rbm(n_hidden=10**9)", _lib(lambda: init_rbm(
            100, 10**9, generator=g))),
        (lib, "train_rbm(generator=0)", _lib(lambda: train_rbm(
            rbm, torch.ones(2, 4), generator=0))),
        (lib, "prune_rbm(importance as a NumPy array)", _lib(lambda: prune_rbm(
            rbm, np.zeros((100, 100)), 0.5, generator=g))),
    ]
    ck = tmp / "model.safetensors"
    save_rbm(ck, rbm, {"criterion": "variance"})
    edited = ck.read_bytes().replace(b"variance", b"random__")
    (tmp / "edited.safetensors").write_bytes(edited)
    rows.append((lib, "load_rbm(metadata edited: criterion)",
                 _lib(lambda: load_rbm(tmp / "edited.safetensors"))))
    rows.append((lib, "load_rbm('/dev/zero')", _lib(lambda: load_rbm("/dev/zero"))))
    os.mkfifo(tmp / "fifo.safetensors")
    rows.append((lib, "load_rbm(a FIFO)", _lib(lambda: load_rbm(tmp / "fifo.safetensors"))))
    rows.append((lib, "save_rbm(into a path under a file)",
                 _lib(lambda: save_rbm(tmp / "afile" / "m.safetensors", rbm))))
    save_rbm(ck, rbm)
    raw = ck.read_bytes()
    ck.write_bytes(raw[:-9])
    rows.append((lib, "load_rbm(truncated checkpoint)", _lib(lambda: load_rbm(ck))))
    bad = bytearray(raw)
    bad[-3] ^= 1
    ck.write_bytes(bytes(bad))
    rows.append((lib, "load_rbm(one byte altered)", _lib(lambda: load_rbm(ck))))
    ck.write_bytes(pickle.dumps(_Payload()))
    rows.append((lib, "load_rbm(a pickle named .safetensors)", _lib(lambda: load_rbm(ck))))
    (tmp / "cifar").mkdir()
    (tmp / "cifar" / "data_batch_1").write_bytes(pickle.dumps({b"data": _Payload()}))
    rows.append((lib, "read_cifar10(batch that asks for os.system)",
                 _lib(lambda: read_cifar10(tmp / "cifar" / "data_batch_1"))))
    idx = tmp / "t.idx"
    idx.write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 9, 1, 2]))
    rows.append((lib, "read_idx(truncated IDX file)", _lib(lambda: read_idx(idx))))
    (tmp / "data.txt").write_text("0 1 1\n1 0 1\n")
    rows.append((lib, "read_array_data(data.txt)",
                 _lib(lambda: read_array_data(tmp / "data.txt"))))
    np.save(tmp / "objects.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    rows.append((lib, "read_array_data(.npy of Python objects)",
                 _lib(lambda: read_array_data(tmp / "objects.npy"))))
    np.save(tmp / "grey.npy", np.full((4, 3), 0.5))
    rows.append((lib, "read_array_data(values 0.5, binarize='none')",
                 _lib(lambda: read_array_data(tmp / "grey.npy", binarize="none"))))
    return rows


def render(rows: list[tuple[str, str, str]], tmp: Path) -> str:
    out = ["# Bad input and the message it gets", "",
           "Generated by `python docs/make_error_table.py`; `tests/test_error_table.py` keeps "
           "it in step with the code. The CLI prints one line and exits with status 2 "
           "(argparse usage errors also exit 2, after the usage); the library raises a "
           "`BoltzpruneError`: `InvalidInputError` for a value outside its allowed range, "
           "`InvalidTypeError` for a value of the wrong type, `BadFileError` for a missing, "
           "malformed or altered file and `DivergenceError` for a run that diverged. "
           "`BoltzpruneError` is a `ValueError` (and `InvalidTypeError` also a `TypeError`). "
           "Any other exception is a bug: the CLI shows its traceback and exits with "
           "status 1.", "",
           "| where | input | message |", "|---|---|---|"]
    for where, inp, msg in rows:
        msg = msg.replace(str(tmp), "<tmp>").replace("|", "\\|")
        # what depends on the machine and the process: the free memory, the lock holder's PID
        msg = re.sub(r"has [0-9.]+ [MGT]B free", "has <free memory> free", msg)
        msg = msg.replace(f"PID {os.getpid()}", "PID <pid>")
        out.append(f"| {where} | `{inp}` | {msg} |")
    return "\n".join(out) + "\n"


def build() -> str:
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d).resolve()
        cwd = os.getcwd()
        os.chdir(tmp)
        try:
            return render(cases(tmp), tmp)
        finally:
            os.chdir(cwd)


if __name__ == "__main__":
    text = build()
    (HERE / "errors.md").write_text(text)
    sys.stdout.write(text)
