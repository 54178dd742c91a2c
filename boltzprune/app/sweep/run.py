"""Sweeps: a grid of experiment runs (criteria x seeds x sizes x fractions, or any other
settings) fanned out over a Dask cluster, one run directory each, then aggregated.

A sweep directory holds ``sweep.json`` (the sweep and its runs), ``status.json`` (each run's
state and error), ``runs/<run id>/`` (ordinary run directories) and the summary written by
``boltzprune.app.sweep.report``. Rerunning a sweep skips finished runs and retries failed
ones; an interrupted run resumes from its checkpoints.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import logging
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from boltzprune._validate import check_positive_int
from boltzprune.app.configio import (
    _absolute_plugins,
    config_from_dict,
    config_from_source,
    config_to_dict,
    drop_none,
    plain,
    read_toml,
    set_value,
)
from boltzprune.app.experiments import EXPERIMENTS
from boltzprune.app.runs import RunLock, default_run_dir
from boltzprune.errors import BoltzpruneError, InvalidInputError
from boltzprune.io import read_json, write_json

__all__ = ["SweepConfig", "SweepPoint", "SweepOutcome", "sweep_config_from_dict",
           "read_sweep_config", "plan_points", "run_sweep"]


MAX_RUN_ID_BYTES = 200  # run ids name folders (file systems allow 255 bytes)


@dataclass(frozen=True)
class SweepConfig:
    """A grid of runs of one experiment."""

    experiment: str = "rbm-patches"  # a registered experiment: rbm-patches, dbm-mnist, prune
    base: str | None = None  # a shipped config or TOML file the runs start from (None: defaults)
    settings: dict[str, Any] = field(default_factory=dict)  # fixed overrides, key.path = value
    grid: dict[str, Any] = field(default_factory=dict)  # key.path = [values], one run per combo
    workers: int = 2  # Dask workers of the local cluster (ignored with a scheduler address)

    def __post_init__(self) -> None:
        if self.experiment not in EXPERIMENTS:
            raise InvalidInputError(f"experiment must be one of {', '.join(EXPERIMENTS)}, got "
                                    f"{self.experiment!r}")
        grid = _flatten(self.grid)
        if not grid:
            raise InvalidInputError("[grid] must name at least one setting to vary, e.g. "
                                    "criteria = [\"variance\", \"random\"]")
        for k, v in grid.items():
            if not isinstance(v, list) or not v:
                raise InvalidInputError(f"grid.{k} must be a non-empty list of values, got "
                                        f"{v!r}")
        check_positive_int("workers", self.workers)


def _flatten(d: dict, prefix: str = "") -> dict[str, Any]:
    """Nested tables to dotted keys: {"training": {"paper": {"epochs": [1]}}} ->
    {"training.paper.epochs": [1]}."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def sweep_config_from_dict(d: dict, where: str = "sweep", base_dir: Path | None = None
                           ) -> SweepConfig:
    """A checked SweepConfig; a relative ``base`` file is taken relative to ``base_dir``."""
    cfg = config_from_dict(SweepConfig, d, where)
    grid = _flatten(cfg.grid)
    base = cfg.base
    if base is not None and base_dir is not None and (base_dir / base).is_file():
        base = str((base_dir / base).resolve())
    settings = _flatten(cfg.settings)
    if "plugins" in settings:  # .py plugins relative to the sweep file, made absolute
        settings["plugins"] = _absolute_plugins(settings, base_dir or Path("."))["plugins"]
    return dataclasses.replace(cfg, base=base, settings=settings, grid=grid)


def read_sweep_config(path: str | Path) -> SweepConfig:
    """A sweep from its TOML file."""
    path = Path(path)
    return sweep_config_from_dict(read_toml(path), str(path), path.parent)


@dataclass(frozen=True)
class SweepPoint:
    """One run of the grid."""

    run_id: str  # folder name under runs/, e.g. "criteria=variance,seeds=0"
    values: dict[str, Any]  # grid key -> this run's value
    config: Any  # the experiment's config (RBMPatchesConfig or DBMMnistConfig)


def _get(d: Any, key: str) -> Any:
    for part in key.split("."):
        if isinstance(d, dict) and part in d:
            d = d[part]
        elif isinstance(d, list) and part.isdigit() and int(part) < len(d):
            d = d[int(part)]
        else:
            return None
    return d


def _run_id(values: dict[str, Any]) -> str:
    def fmt(v: Any) -> str:
        return "+".join(map(str, v)) if isinstance(v, list) else str(v)

    rid = ",".join(f"{k}={fmt(v)}" for k, v in values.items())
    return re.sub(r"[^A-Za-z0-9._=+,-]", "_", rid)


def plan_points(sweep: SweepConfig) -> list[SweepPoint]:
    """Every run of the grid with its checked config. A scalar grid value of a list setting
    (criteria, seeds) becomes a one-entry list; each run uses one worker process."""
    cls = EXPERIMENTS[sweep.experiment].config_type
    base_cfg = config_from_source(sweep.experiment, cls, sweep.base) if sweep.base else cls()
    base = plain(config_to_dict(base_cfg))
    for k, v in sweep.settings.items():
        set_value(base, k, v, "sweep settings:")
    points = []
    for combo in itertools.product(*sweep.grid.values()):
        values = dict(zip(sweep.grid, combo, strict=True))
        d = plain(base)
        for k, v in values.items():
            wrap = isinstance(_get(d, k), list) and not isinstance(v, list)
            set_value(d, k, [v] if wrap else v, "sweep grid:")
        set_value(d, "workers", 1)
        rid = _run_id(values)
        if len(rid.encode()) > MAX_RUN_ID_BYTES:
            raise BoltzpruneError(f"run id {rid[:60]}... is {len(rid.encode())} bytes, too long "
                                  f"for a folder name (at most {MAX_RUN_ID_BYTES}); vary fewer "
                                  "settings in one grid")
        points.append(SweepPoint(rid, values, config_from_dict(cls, drop_none(d),
                                                               f"sweep run {rid}")))
    ids = [p.run_id for p in points]
    if len(set(ids)) != len(ids):
        raise BoltzpruneError("the grid repeats a combination of values; make each list's "
                              "values distinct")
    return points


def _run_point(experiment: str, cfg: Any, run_dir: str) -> float:
    """Run one point (on a Dask worker); returns its wall time in seconds."""
    from boltzprune.app.runs import run_experiment

    t0 = time.perf_counter()
    run_experiment(EXPERIMENTS[experiment], cfg, run_dir, progress=False)
    return time.perf_counter() - t0


@dataclass
class SweepOutcome:
    sweep_dir: Path
    summary: Path | None  # summary.md (None when no run finished)
    done: list[str]
    failed: dict[str, str]  # run id -> error
    skipped: list[str]  # finished earlier, not rerun


def sweep_record(sweep: SweepConfig, points: list[SweepPoint]) -> dict:
    """What sweep.json holds and a rerun must match: the sweep without ``workers`` (it
    changes no result) and every run's resolved config, so that a changed base file or
    shipped config is noticed."""
    return {"sweep": {k: v for k, v in dataclasses.asdict(sweep).items() if k != "workers"},
            "runs": {p.run_id: config_to_dict(p.config) for p in points}}


def _open_sweep_dir(out: Path, record: dict) -> None:
    stored = out / "sweep.json"
    fresh = json.loads(json.dumps(record, default=str))
    if stored.is_file():
        old = read_json(stored)
        if old != fresh:
            keys = sorted(k for k in set(old.get("sweep", {})) | set(fresh["sweep"])
                          if old.get("sweep", {}).get(k) != fresh["sweep"].get(k))
            what = ", ".join(keys) or ("the runs' resolved configs (a changed base file or "
                                       "shipped config?)")
            raise BoltzpruneError(f"{out} holds another sweep (differs in {what}); choose "
                                  "another --out")
        return
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise BoltzpruneError(f"{out} already exists and is not a sweep; choose another --out")
    try:
        (out / "runs").mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise BoltzpruneError(f"cannot create sweep directory {out}: {e.strerror or e}") from None
    write_json(stored, fresh)


def _client(scheduler: str | None, n_workers: int):
    """A Dask client of the scheduler at ``scheduler``, or of a new local cluster."""
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            return Client(scheduler, timeout="15s"), None
        except (OSError, TimeoutError, ValueError) as e:
            raise BoltzpruneError(f"cannot reach the Dask scheduler at {scheduler} "
                                  f"({type(e).__name__}: {e})") from None
    cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                           dashboard_address=None, silence_logs=logging.ERROR)
    return Client(cluster), cluster


def _execute(sweep: SweepConfig, todo: list[SweepPoint], runs_dir: Path, status: dict,
             status_path: Path, scheduler: str | None, progress: bool,
             order: list[str]) -> None:
    """Run ``todo`` on Dask; ``status.json`` is rewritten as each run ends, its runs in
    the grid's ``order`` (not the order they happened to finish in)."""
    from distributed import as_completed
    from tqdm.auto import tqdm

    client, cluster = _client(scheduler, min(sweep.workers, len(todo)))
    token = uuid.uuid4().hex[:8]
    bar = tqdm(total=len(todo), desc="sweep", unit="run", disable=not progress)
    try:
        futures = {client.submit(_run_point, sweep.experiment, p.config,
                                 str(runs_dir / p.run_id), key=f"boltzprune-{p.run_id}-{token}",
                                 pure=False): p for p in todo}
        for fut in as_completed(futures):
            p = futures[fut]
            try:
                status[p.run_id] = {"state": "done", "seconds": round(fut.result(), 2)}
            except Exception as e:  # a failed run is recorded, the others go on
                status[p.run_id] = {"state": "failed", "error": f"{type(e).__name__}: {e}"}
            status[p.run_id]["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
            rank = {rid: i for i, rid in enumerate(order)}
            write_json(status_path, dict(sorted(status.items(),
                                                key=lambda kv: rank.get(kv[0], len(rank)))))
            bar.update(1)
    finally:
        bar.close()
        client.close()
        if cluster is not None:
            cluster.close()


def run_sweep(sweep: SweepConfig, out: str | Path | None = None, *,
              scheduler: str | None = None, progress: bool = True) -> SweepOutcome:
    """Run every point of the grid not finished before, on a local Dask cluster of
    ``sweep.workers`` processes or on the cluster whose scheduler is at ``scheduler`` (its
    workers must see ``out``: a shared filesystem), then write the summary."""
    points = plan_points(sweep)  # every config checked before anything starts
    record = sweep_record(sweep, points)
    if out is None:  # the same sweep reuses its folder (and so retries), others get theirs
        out = default_run_dir("sweep", record)
    out = Path(out).resolve()
    # every run's resolved config is compared on a rerun, so that a changed base file or
    # shipped config is noticed; the number of workers changes no result and may differ
    _open_sweep_dir(out, record)
    lock = RunLock(out)  # one sweep writes status.json; each run locks its own directory
    lock.acquire()
    try:
        return _sweep(sweep, points, out, scheduler, progress)
    finally:
        lock.release()


def _sweep(sweep: SweepConfig, points: list[SweepPoint], out: Path, scheduler: str | None,
           progress: bool) -> SweepOutcome:
    from boltzprune.app.sweep.report import write_sweep_report

    status_path = out / "status.json"
    status: dict[str, Any] = read_json(status_path) if status_path.is_file() else {}
    runs_dir = out / "runs"

    def finished(p: SweepPoint) -> bool:
        return (status.get(p.run_id, {}).get("state") == "done"
                and (runs_dir / p.run_id / "report.md").is_file())

    skipped = [p.run_id for p in points if finished(p)]
    todo = [p for p in points if not finished(p)]
    if todo:
        _execute(sweep, todo, runs_dir, status, status_path, scheduler, progress,
                 [p.run_id for p in points])
    done = [p.run_id for p in todo if status[p.run_id]["state"] == "done"]
    failed = {p.run_id: status[p.run_id]["error"] for p in todo
              if status[p.run_id]["state"] == "failed"}
    summary = write_sweep_report(out, sweep, [p for p in points if finished(p)], failed)
    return SweepOutcome(out, summary, done, failed, skipped)
