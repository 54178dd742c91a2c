"""Command line: ``boltzprune <experiment> ...``, ``sweep``, ``configs``, ``loglik``,
``patch-stats``.

Every experiment registered in ``app/experiments.py`` becomes a command with the options
all runs share (device, workers, output, config file, --set, plugins, resume) and its own.
Bad input (``BoltzpruneError``) is one line on stderr and exit status 2; anything else is a
bug and shows its traceback (exit 1).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from boltzprune import __version__

__all__ = ["main"]


def _run_options(p: argparse.ArgumentParser, experiment) -> None:
    """Options every experiment command shares: device, workers, output, config, resume."""
    defaults = experiment.config_type()
    p.add_argument("--device", default=None,
                   help=f"torch device, e.g. cpu, cuda, or auto (CUDA when torch sees a GPU) "
                        f"(default: {defaults.device}); also applies with --config")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help=f"parallel processes over {experiment.parallel_over} (default: "
                        f"{defaults.workers}); also applies with --config")
    p.add_argument("--out", default=None, metavar="DIR",
                   help=f"run directory (default: runs/{experiment.name}-<digest>, or "
                        "runs/<config>-<digest> with a shipped --config, <digest> naming the "
                        "settings: the same settings reuse their folder, others get their "
                        "own)")
    p.add_argument("--no-progress", action="store_true",
                   help="hide progress bars and status lines")
    p.add_argument("--config", default=None, metavar="NAME|FILE",
                   help="a config file shipped with boltzprune (list them with `boltzprune "
                        "configs`) or your own TOML file with the experiment's settings "
                        f"(field names as in {experiment.config_type.__name__}); with it, "
                        "only --device, --workers, --plugin and --set change settings (other "
                        "setting flags are refused: give them as --set)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="overrides",
                   help="override one setting, in TOML syntax, after the flags or --config, "
                        "e.g. --set iterations=2 or --set 'seeds=[0, 1]' (repeatable)")
    p.add_argument("--plugin", action="append", default=[], metavar="MODULE|FILE.py",
                   help="a module or .py file that registers custom criteria with "
                        "@register_criterion, so --criteria can name them; imported when the "
                        "run starts (repeatable)")
    p.add_argument("--resume", default=None, metavar="RUN_DIR",
                   help="continue an interrupted run with its stored configuration (no "
                        "setting flags with it); rerunning the same command with the same "
                        "--out resumes too")
    p.add_argument("--restart", action="store_true",
                   help="start the run directory --out afresh: delete what an earlier run "
                        "(a failed one, or one of another configuration) left there")


def _parser() -> argparse.ArgumentParser:
    from boltzprune.app.experiment import add_run_arguments
    from boltzprune.app.experiments import EXPERIMENTS

    p = argparse.ArgumentParser(
        prog="boltzprune",
        description="Train Boltzmann machines and prune them with local Fisher-information "
                    "rules (Scholl, Rule & Hennig 2020).")
    p.add_argument("--version", action="version", version=f"boltzprune {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for exp in EXPERIMENTS.values():
        e = sub.add_parser(exp.name, help=exp.help, description=exp.description)
        add_run_arguments(e, exp.config_type())  # seeds, criteria, rounds, fraction
        exp.add_arguments(e)
        _run_options(e, exp)

    st = sub.add_parser(
        "patch-stats", help="pattern statistics of each patch preparation",
        description="Print the statistics of the binarised patches each data source gives "
                    "(on-fraction, all-on and all-off shares, distinct patterns, entropy), to "
                    "compare the bundled preparations with real CIFAR-10.")
    st.add_argument("--cifar-dir", default=None, metavar="DIR",
                    help="also measure real CIFAR-10 batches in DIR")
    st.add_argument("--n-patches", type=int, default=90_000, metavar="N",
                    help="patches per source (default: %(default)s)")
    st.add_argument("--radius", type=float, default=2.1,
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
                    help="sweep directory (default: runs/sweep-<digest>, <digest> naming the "
                         "sweep: rerunning the same sweep reuses it and retries)")
    sw.add_argument("--scheduler", default=None, metavar="ADDRESS",
                    help="address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786 (its "
                         "workers must see --out); default: a local cluster")
    sw.add_argument("--workers", type=int, default=None, metavar="N",
                    help="local cluster workers (default: the sweep file's workers, or 2)")
    sw.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    ll = sub.add_parser(
        "loglik", help="estimate log Z and the test log-likelihood of a saved RBM or DBM",
        description="Estimate log Z and the mean test log-likelihood of a checkpoint "
                    "(trained.safetensors, iter<k>_retrained.safetensors, ...): exact by "
                    "enumeration for an RBM with a small layer, otherwise an interval from "
                    "forward AIS and reverse AIS (RAISE for an RBM; a DBM's is the mean-field "
                    "lower bound on log p(v)). See docs/likelihood.md.")
    ll.add_argument("checkpoint", metavar="CHECKPOINT", help="a model saved by boltzprune")
    ll.add_argument("--data", default="digits", metavar="digits|FILE",
                    help="test patterns: 'digits' (the bundled digits' test split, 20 x 20) "
                         "or a .npy/.npz/.csv/IDX file of binary rows (default: %(default)s)")
    ll.add_argument("--n-betas", type=int, default=14_500, metavar="K",
                    help="inverse temperatures (default: %(default)s, Salakhutdinov & Murray "
                         "2008)")
    ll.add_argument("--n-runs", type=int, default=100, metavar="N",
                    help="forward AIS runs (default: %(default)s)")
    ll.add_argument("--n-reverse", type=int, default=100, metavar="N",
                    help="reverse runs: test patterns (RBM) or model samples (DBM) "
                         "(default: %(default)s)")
    ll.add_argument("--device", default="cpu", help="torch device (default: %(default)s)")
    ll.add_argument("--seed", type=int, default=0, help="seed (default: %(default)s)")
    ll.add_argument("--no-progress", action="store_true", help="hide the progress bars")

    cf = sub.add_parser(
        "configs", help="list the config files shipped with boltzprune, or print one",
        description="Without NAME, list the experiment config files shipped with boltzprune; "
                    "with NAME, print that file (save it, edit it, and pass it to --config). "
                    "Any experiment command takes a shipped config by name: `boltzprune "
                    "rbm-patches --config rbm-paper`.")
    cf.add_argument("name", nargs="?", default=None, metavar="NAME", help="config to print")
    return p


def _configs(args: argparse.Namespace) -> int:
    from boltzprune.app.configio import shipped_names, shipped_summary, shipped_text

    if args.name:
        print(shipped_text(args.name), end="")
        return 0
    for name in shipped_names():
        experiment, about = shipped_summary(name)
        print(f"{name:<18} {experiment:<12} {about}")
    return 0


def _loglik(args: argparse.Namespace) -> int:
    from boltzprune.app.loglik import estimate_checkpoint, format_result
    from boltzprune.evaluate.config import AISConfig

    cfg = AISConfig(n_betas=args.n_betas, n_runs=args.n_runs, n_reverse=args.n_reverse)
    res = estimate_checkpoint(args.checkpoint, args.data, cfg, device=args.device,
                              seed=args.seed, progress=not args.no_progress)
    print(format_result(res))
    return 0


def _sweep(args: argparse.Namespace) -> int:
    if not args.no_progress:  # before the slow imports (Dask, the experiments)
        print(f"boltzprune sweep: reading {args.config}", file=sys.stderr, flush=True)
    import dataclasses

    from boltzprune._validate import check_positive_int
    from boltzprune.app.sweep.run import read_sweep_config, run_sweep

    sweep = read_sweep_config(args.config)
    if args.workers is not None:
        sweep = dataclasses.replace(sweep, workers=check_positive_int("--workers",
                                                                      args.workers))
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


def _experiment(args: argparse.Namespace) -> int:
    """Build the config (``_experiment_config``), answer at once for a finished run, or run
    the experiment and print the report's path."""
    from boltzprune.app.runs import run_experiment

    exp, cfg, out, label = _experiment_config(args)
    report = run_experiment(exp, cfg, out, progress=not args.no_progress,
                            restart=args.restart, rewrite_report=bool(args.resume),
                            label=label)
    print(f"report: {report}\n        {report.with_suffix('.html')} (self-contained, for a "
          "browser)")
    return 0


def _experiment_config(args: argparse.Namespace):
    """(experiment, config, --out, label of the default run folder) from --resume (the
    run's config.json), --config (a shipped config or a TOML file) or the flags, with
    --device, --workers, --plugin and --set. Nothing is run or written."""
    import dataclasses

    from boltzprune.app.configio import build_config, config_from_source, shipped_names
    from boltzprune.app.experiments import EXPERIMENTS
    from boltzprune.errors import InvalidInputError

    exp = EXPERIMENTS[args.command]
    plugins = [os.path.abspath(p) if p.endswith(".py") else p for p in args.plugin]
    given = args.given  # the options on the command line, by dest
    if args.resume:
        same_out = args.out is not None and os.path.abspath(args.out) == os.path.abspath(
            args.resume)
        extra = sorted(given - {"resume", "no_progress", *(("out",) if same_out else ())})
        if extra:
            raise InvalidInputError(f"--resume continues a run with its stored configuration: "
                                    f"drop {', '.join(_flag(args, d) for d in extra)}")
        return exp, _resumed_config(exp, args.resume), args.resume, exp.name
    settings = sorted(given - _NOT_SETTINGS) if args.config else []
    if settings:
        d = settings[0]
        hint = (f"--set {d}={_toml_value(getattr(args, d, None))}"
                if d in {f.name for f in dataclasses.fields(exp.config_type)}
                else "--set KEY=VALUE with the file's key for it")
        raise InvalidInputError(f"{_flag(args, d)} does not apply with --config (the file "
                                f"gives the settings): drop it or give it as {hint}")
    explicit = {k: v for k, v in (("device", args.device), ("workers", args.workers))
                if v is not None}
    if args.config:  # the file's settings, then --set (which may complete them)
        extra = {**explicit, **({"plugins": plugins} if plugins else {})}
        cfg = config_from_source(exp.name, exp.config_type, args.config, args.overrides,
                                 extra)
        label = args.config if args.config in shipped_names() else exp.name
    else:  # the flags' settings, then --set, then the config is built once
        args.plugins = tuple(plugins)
        cfg = build_config(exp.config_type, {**exp.config_from_args(args), **explicit},
                           args.overrides)
        label = exp.name
    return exp, cfg, args.out, label


# options that are not settings of the experiment's config
_NOT_SETTINGS = {"device", "workers", "out", "no_progress", "config", "overrides", "plugin",
                 "resume", "restart"}


def _toml_value(value: object) -> str:
    """A flag's value as --set takes it (TOML), or VALUE where it has no simple form."""
    import json

    if isinstance(value, tuple | list):
        value = list(value)
    try:
        text = json.dumps(value)
    except TypeError:
        return "VALUE"
    return "VALUE" if value is None or len(text) > 60 else text.replace(" ", "")


def _flag(args: argparse.Namespace, dest: str) -> str:
    """The option string of ``dest`` as the command's parser spells it."""
    return args.option_names.get(dest, "--" + dest.replace("_", "-"))


def _resumed_config(exp, run_dir: str):
    """The config stored in the run directory ``run_dir``, for ``exp``; a folder that is
    not a run, or a run of another experiment, is named as such."""
    from pathlib import Path

    from boltzprune.app.configio import config_from_dict
    from boltzprune.app.experiments import EXPERIMENTS
    from boltzprune.errors import BoltzpruneError, InvalidInputError
    from boltzprune.io import read_json

    path = Path(run_dir)
    if not path.is_dir():
        what = "no such folder" if not path.exists() else "not a folder"
        raise InvalidInputError(f"--resume {run_dir}: {what} (expected a run directory)")
    where = path / "config.json"
    if not where.is_file():
        raise InvalidInputError(f"--resume {run_dir}: no config.json there, not a run "
                                "directory (or one killed before it began)")
    stored = read_json(where)
    try:
        return config_from_dict(exp.config_type, stored, str(where))
    except BoltzpruneError:
        for other in EXPERIMENTS.values():
            if other is exp:
                continue
            try:
                config_from_dict(other.config_type, stored, str(where))
            except BoltzpruneError:
                continue
            raise InvalidInputError(f"{run_dir} holds a run of {other.name}: resume it with "
                                    f"boltzprune {other.name} --resume {run_dir}") from None
        raise


def _given_options(sub: argparse.ArgumentParser, argv: Sequence[str]) -> set[str]:
    """The dests of the options that ``argv`` (the command's own arguments) gives, found by
    parsing it again with every default suppressed."""
    saved = [(a, a.default) for a in sub._actions]
    try:
        for a, _ in saved:
            a.default = argparse.SUPPRESS
        ns, _ = sub.parse_known_args(argv)
    finally:
        for a, d in saved:
            a.default = d
    return set(vars(ns))


def _patch_stats(args: argparse.Namespace) -> int:
    sources = ["tiles", "photos"] + (["cifar"] if args.cifar_dir else [])
    cols = ("on_fraction", "all_on_fraction", "all_off_fraction", "n_distinct_patterns",
            "entropy_bits")
    print("source  " + "  ".join(f"{c:>19}" for c in cols), flush=True)  # before the imports
    from boltzprune.data import make_patches, pattern_stats

    for src in sources:
        s = pattern_stats(make_patches(src, args.n_patches, args.radius, seed=args.seed,
                                       cifar_dir=args.cifar_dir))
        print(f"{src:<6}  " + "  ".join(f"{s[c]:>19.4g}" for c in cols))
    return 0


def _subparser(parser: argparse.ArgumentParser, command: str) -> argparse.ArgumentParser:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices[command]


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The parsed command line, with the options it gives (``given``, by dest) and each
    option's spelling (``option_names``) for messages."""
    parser = _parser()
    args = parser.parse_args(argv)
    sub = _subparser(parser, args.command)
    args.given = _given_options(sub, argv[argv.index(args.command) + 1:])
    args.option_names = {a.dest: a.option_strings[-1] for a in sub._actions
                         if a.option_strings}
    return args


def main(argv: Sequence[str] | None = None) -> int:
    from boltzprune.errors import BoltzpruneError

    args = parse_args(list(sys.argv[1:] if argv is None else argv))
    commands = {"patch-stats": _patch_stats, "configs": _configs, "sweep": _sweep,
                "loglik": _loglik}
    if args.command not in commands and not args.no_progress:  # before any slow import
        print(f"boltzprune {args.command}: checking the settings", file=sys.stderr,
              flush=True)
    try:
        return commands.get(args.command, _experiment)(args)
    except BoltzpruneError as e:  # bad input, a bad file, a failed run: one line
        if os.environ.get("BOLTZPRUNE_DEBUG"):
            raise
        print(f"boltzprune: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("boltzprune: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
