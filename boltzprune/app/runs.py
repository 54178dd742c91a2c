"""Run directories and the one driver every experiment runs through: a fresh folder per run
with its resolved config, versions and seed; resume of an interrupted run; the report and
its HTML page at the end."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

from boltzprune.errors import BoltzpruneError

__all__ = ["plan_run_dir", "default_run_dir", "create_run_dir", "open_run_dir",
           "claim_run_dir", "finished_report", "RunLock", "versions", "write_manifest",
           "run_experiment"]


LOCK_NAME = ".boltzprune.lock"  # held by the process writing the run, for the run's life


def _contents(path: Path) -> list[Path]:
    """What a run directory holds, its lock file aside."""
    return [p for p in path.iterdir() if p.name != LOCK_NAME]


def default_run_dir(label: str, config: dict) -> Path:
    """runs/<label>-<digest>: ``digest`` is the first 8 hex digits of the SHA-256 of the
    resolved config, so that rerunning the same settings reuses (resumes, or answers for)
    their folder and other settings get a folder of their own."""
    import hashlib

    text = json.dumps(config, sort_keys=True, default=str, separators=(",", ":"))
    return Path("runs") / f"{label}-{hashlib.sha256(text.encode()).hexdigest()[:8]}"


def plan_run_dir(out: str | Path) -> Path:
    """The run directory ``out``, checked but not created. An existing non-empty folder is
    refused so that nothing already written is overwritten."""
    out = Path(out)
    if out.exists() and (not out.is_dir() or _contents(out)):
        raise BoltzpruneError(f"{out} already exists and is not empty; choose another --out")
    return out


def create_run_dir(path: Path) -> Path:
    """Create a directory checked by ``plan_run_dir``."""
    plan_run_dir(path)
    _mkdir(path)
    return path


def _mkdir(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise BoltzpruneError(f"cannot create run directory {path}: "
                              f"{(e.strerror or str(e)).lower()}") from None


class RunLock:
    """An exclusive lock on a run directory (its ``.boltzprune.lock`` file holds the
    writer's PID). The operating system releases it when the process ends, however it ends,
    so the lock file of a killed run is taken over by the next writer; a live holder is
    refused with one line naming its PID."""

    def __init__(self, run_dir: Path):
        self.path = run_dir / LOCK_NAME
        self.fd: int | None = None

    def acquire(self) -> None:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as e:
            raise BoltzpruneError(f"cannot lock run directory {self.path.parent}: "
                                  f"{(e.strerror or str(e)).lower()}") from None
        if not _try_lock(fd):
            holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise BoltzpruneError(f"{self.path.parent} is in use by another boltzprune "
                                  f"process (PID {holder}); wait for it to finish or stop it, "
                                  "then rerun")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self.fd = fd

    def release(self) -> None:
        if self.fd is not None:
            self.path.unlink(missing_ok=True)  # still held: no other writer holds it now
            os.close(self.fd)  # closing releases the lock
            self.fd = None


def _try_lock(fd: int) -> bool:
    """Take the exclusive lock on ``fd`` without waiting; False when another process holds
    it."""
    if os.name == "nt":  # pragma: no cover - Windows
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _is_run_dir(path: Path) -> bool:
    """Whether ``path`` holds a run (its manifest, written first, or part of it)."""
    return (path / "config.json").is_file() or (path / "versions.json").is_file()


def _clear(path: Path) -> None:
    """Delete everything a run directory holds but its lock (for --restart)."""
    for p in _contents(path):
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)
        else:
            p.unlink()


@contextlib.contextmanager
def claim_run_dir(out: str | Path | None, name: str, config: dict,
                  config_type: type | None = None, *, restart: bool = False
                  ) -> Iterator[tuple[Path, bool]]:
    """The run directory, locked against other writers while the ``with`` block runs, and
    whether it resumes an earlier run (see ``open_run_dir``). A non-empty folder that is
    not a run directory is refused before anything is written into it. With ``restart`` a
    run directory is emptied and begins afresh."""
    path = Path(out) if out is not None else default_run_dir(name, config)
    if path.exists() and not path.is_dir():
        raise BoltzpruneError(f"{path} is a file, not a run directory; choose another --out")
    if path.is_dir() and _contents(path) and not _is_run_dir(path):
        raise BoltzpruneError(f"{path} already exists and is not empty; choose another --out"
                              + (" (--restart empties run directories only)" if restart
                                 else ""))
    _mkdir(path)
    lock = RunLock(path)
    lock.acquire()
    try:
        if restart:
            _clear(path)
        yield open_run_dir(path, name, config, config_type)
    finally:
        lock.release()


def open_run_dir(out: str | Path | None, name: str, config: dict,
                 config_type: type | None = None) -> tuple[Path, bool]:
    """Create a new run directory, or reopen one to resume it.

    A folder holding a ``config.json`` equal to ``config`` is resumed (returns True); one
    with a different configuration, or non-empty without a configuration, is refused so
    that nothing already written is overwritten. A new folder gets ``config.json`` and
    ``versions.json``. With ``config_type`` the stored config is rebuilt before it is
    compared: settings an earlier version named otherwise (``config_type.RENAMED``) or did
    not have yet (their defaults) compare under today's names, and config.json is rewritten
    so. ``claim_run_dir`` calls this with the directory locked.
    """
    path = Path(out) if out is not None else default_run_dir(name, config)
    stored_path = path / "config.json"
    if stored_path.is_file():
        from boltzprune.io import write_json

        original, stored, keys = _compare_stored(path, config, config_type)
        if keys:
            raise _other_settings(path, keys)
        for tmp in path.rglob(".*.tmp"):  # half-written files of an interrupted write
            tmp.unlink(missing_ok=True)
        if stored != original:  # stored under today's names
            write_json(stored_path, stored)
        return path, True
    create_run_dir(path)
    return path, False


def _compare_stored(path: Path, config: dict, config_type: type | None
                    ) -> tuple[dict, dict, list[str]]:
    """(config.json of the run in ``path`` as stored, as rebuilt under today's names and
    defaults, the top-level keys in which it differs from ``config``). With
    ``config_type`` the stored config is rebuilt before it is compared: settings an earlier
    version named otherwise (``config_type.RENAMED``) or did not have yet (their defaults)
    compare under today's names."""
    stored_path = path / "config.json"
    try:
        original = json.loads(stored_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise BoltzpruneError(f"{stored_path}: not a readable run configuration ({e}); "
                              "--restart starts the folder afresh") from None
    stored = original
    if config_type is not None:
        from boltzprune.app.configio import config_from_dict, config_to_dict

        stored = json.loads(json.dumps(config_to_dict(config_from_dict(
            config_type, original, str(stored_path))), default=str))
    fresh = json.loads(json.dumps(config, default=str))
    keys = sorted(k for k in set(stored) | set(fresh) if stored.get(k) != fresh.get(k))
    return original, stored, keys


def _other_settings(path: Path, keys: list[str]) -> BoltzpruneError:
    """The refusal of a run directory that holds a run with other settings, with the ways
    forward."""
    return BoltzpruneError(
        f"{path} holds a run with other settings (it differs in {', '.join(keys)}): to keep "
        f"it, give this run its own folder, e.g. --out {_free_sibling(path)} (or leave out "
        "--out: each configuration then gets its own folder); "
        f"--resume {path} continues the run that is there with its own settings; --restart "
        "deletes it and starts this one")


def _free_sibling(path: Path) -> Path:
    """``path`` with the first suffix -2, -3, ... that names no existing file or folder."""
    k = 2
    while path.with_name(f"{path.name}-{k}").exists():
        k += 1
    return path.with_name(f"{path.name}-{k}")


def finished_report(out: str | Path, config: dict, config_type: type | None = None
                    ) -> Path | None:
    """report.md of the finished run in ``out`` (report.html is written last, so its
    presence marks a finished run), or None when ``out`` holds no run or an unfinished one.
    A run with other settings than ``config`` is refused with the ways forward. Reads two
    small files: it answers a rerun at once."""
    path = Path(out)
    if not (path / "config.json").is_file():
        return None
    _, _, keys = _compare_stored(path, config, config_type)
    if keys:
        raise _other_settings(path, keys)
    finished = (path / "report.html").is_file() and (path / "report.md").is_file()
    return path / "report.md" if finished else None


def _report_headline(report: Path) -> str:
    """The first line of the report that states the run's wall time ("Wall time ..."), or
    its title."""
    lines = report.read_text(encoding="utf-8").splitlines()
    return next((x for x in lines if x.startswith("Wall time")),
                lines[0].lstrip("# ") if lines else "")


def _git_revision() -> str | None:
    try:
        here = Path(__file__).resolve().parent
        r = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True,
                           text=True, timeout=5)
        return r.stdout.strip() or None if r.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def versions() -> dict[str, str | None]:
    """Versions of Python, boltzprune, its main dependencies and the git revision."""
    out: dict[str, str | None] = {"python": sys.version.split()[0],
                                  "platform": platform.platform()}
    for pkg in ("boltzprune", "torch", "numpy", "scipy", "numba", "scikit-image", "matplotlib",
                "safetensors"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = None
    out["git_revision"] = _git_revision()
    return out


def write_manifest(run_dir: Path, config: dict, seed_info: dict) -> None:
    from boltzprune.io import write_json

    write_json(run_dir / "config.json", config)
    write_json(run_dir / "versions.json", {**versions(), **seed_info})


def run_experiment(experiment, cfg, out: str | Path | None = None, *,
                   progress: bool = True, restart: bool = False,
                   rewrite_report: bool = False, label: str | None = None) -> Path:
    """Run ``experiment`` (an ``app.experiment.Experiment``) with the built config ``cfg``
    and write its run directory: ``out``, or ``default_run_dir(label or the experiment's
    name, config)``. A finished run with the same settings is answered at once: its report
    is named and nothing is loaded or recomputed (``rewrite_report`` writes its report
    again from the stored results; ``restart`` runs it afresh). Otherwise: load the
    criteria plugins and check the criteria, load the data, create the run directory (or
    reopen it to resume: finished stages are read back), run, write the report and its HTML
    page. The run directory is locked for the run's life; ``restart`` empties an earlier
    run's directory first. Status lines go to stderr unless ``progress`` is False. Returns
    the path of report.md."""
    import time

    from boltzprune.app.configio import config_to_dict

    t0 = time.perf_counter()
    config = config_to_dict(cfg)
    out = Path(out) if out is not None else default_run_dir(label or experiment.name, config)
    say = _status if progress else (lambda _msg: None)
    if not restart:  # before anything slow: a finished run, or one with other settings
        done = finished_report(out, config, experiment.config_type)
        if done is not None and not rewrite_report:
            print(f"{out} holds this run, finished: {_report_headline(done)}\n"
                  f"(to write its report again from the stored results: boltzprune "
                  f"{experiment.name} --resume {out}; to run it again: add --restart)",
                  file=sys.stderr)
            return done

    from boltzprune.app.experiment import RunContext
    from boltzprune.app.html import write_run_html
    from boltzprune.pruning.criteria import registry

    registry.load_plugins(cfg.plugins)  # the run starts: plugin code may run now
    registry.check_names(cfg.criteria)
    say(f"loading the data on {cfg.device}")
    t = time.perf_counter()
    data = experiment.load_data(cfg)  # before the run directory exists
    say(f"data ready ({time.perf_counter() - t:.1f} s)")
    with claim_run_dir(out, experiment.name, config, experiment.config_type,
                       restart=restart) as (run_dir, resumed):
        if resumed:  # said even without progress: what is read back is not recomputed
            _status(f"resuming {run_dir}: finished stages are read back")
        else:
            say(f"new run directory {run_dir}")
            write_manifest(run_dir, config, {"seeds": list(cfg.seeds)})
        ctx = RunContext(run_dir, resumed, progress)
        results = experiment.run(cfg, data, ctx)
        say("writing the report")
        report = experiment.report(cfg, data, results, ctx, time.perf_counter() - t0)
        write_run_html(run_dir)  # report.html: the same, self-contained, for a browser
    return report


def _status(message: str) -> None:
    print(f"boltzprune: {message}", file=sys.stderr, flush=True)
