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
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from boltzprune.errors import BoltzpruneError
from boltzprune.io import write_json

__all__ = ["plan_run_dir", "create_run_dir", "open_run_dir", "claim_run_dir", "RunLock",
           "versions", "write_manifest", "run_experiment"]


LOCK_NAME = ".boltzprune.lock"  # held by the process writing the run, for the run's life


def _contents(path: Path) -> list[Path]:
    """What a run directory holds, its lock file aside."""
    return [p for p in path.iterdir() if p.name != LOCK_NAME]


def plan_run_dir(out: str | Path | None, name: str) -> Path:
    """The run directory to use, checked but not created. ``out`` None ->
    runs/<name>-<UTC time>. An existing non-empty folder is refused so that nothing already
    written is overwritten."""
    if out is None:
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        out = Path("runs") / f"{name}-{stamp}"
    out = Path(out)
    if out.exists() and (not out.is_dir() or _contents(out)):
        raise BoltzpruneError(f"{out} already exists and is not empty; choose another --out")
    return out


def create_run_dir(path: Path) -> Path:
    """Create a directory checked by ``plan_run_dir``."""
    plan_run_dir(path, "")
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
    path = Path(out) if out is not None else plan_run_dir(None, name)
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
    path = Path(out) if out is not None else plan_run_dir(None, name)
    stored_path = path / "config.json"
    if stored_path.is_file():
        from boltzprune.app.configio import config_from_dict, config_to_dict
        from boltzprune.io import read_json

        original = read_json(stored_path)
        stored = original
        if config_type is not None:  # rebuilt: renamed settings and settings added since
            #                          the run began compare under today's names and defaults
            stored = json.loads(json.dumps(config_to_dict(config_from_dict(
                config_type, original, str(stored_path))), default=str))
        fresh = json.loads(json.dumps(config, default=str))
        if stored != fresh:
            keys = sorted(k for k in set(stored) | set(fresh) if stored.get(k) != fresh.get(k))
            raise BoltzpruneError(f"{path} holds a run with another configuration (differs in "
                                  f"{', '.join(keys)}); resume it with --resume {path}, start "
                                  "it afresh with --restart (deletes what it holds) or choose "
                                  "another --out")
        for tmp in path.rglob(".*.tmp"):  # half-written files of an interrupted write
            tmp.unlink(missing_ok=True)
        if stored != original:  # stored under today's names
            write_json(stored_path, fresh)
        return path, True
    create_run_dir(plan_run_dir(path, name))
    return path, False


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
    write_json(run_dir / "config.json", config)
    write_json(run_dir / "versions.json", {**versions(), **seed_info})


def run_experiment(experiment, cfg, out: str | Path | None = None, *,
                   progress: bool = True, restart: bool = False) -> Path:
    """Run ``experiment`` (an ``app.experiment.Experiment``) with the built config ``cfg``
    and write its run directory: load the criteria plugins and check the criteria, load the
    data, create the run directory (or reopen it to resume: finished stages are read back),
    run, write the report and its HTML page. The run directory is locked for the run's
    life; ``restart`` empties an earlier run's directory first. Returns the path of
    report.md."""
    import time

    from boltzprune.app.configio import config_to_dict
    from boltzprune.app.experiment import RunContext
    from boltzprune.app.html import write_run_html
    from boltzprune.pruning.criteria import registry

    t0 = time.perf_counter()
    registry.load_plugins(cfg.plugins)  # the run starts: plugin code may run now
    registry.check_names(cfg.criteria)
    data = experiment.load_data(cfg)  # before the run directory exists
    config = config_to_dict(cfg)
    with claim_run_dir(out, experiment.name, config, experiment.config_type,
                       restart=restart) as (run_dir, resumed):
        if resumed:
            print(f"resuming {run_dir}: finished stages are read back", file=sys.stderr)
        else:
            write_manifest(run_dir, config, {"seeds": list(cfg.seeds)})
        ctx = RunContext(run_dir, resumed, progress)
        results = experiment.run(cfg, data, ctx)
        report = experiment.report(cfg, data, results, ctx, time.perf_counter() - t0)
        write_run_html(run_dir)  # report.html: the same, self-contained, for a browser
    return report
