"""Pruning during learning against the paper's offline loop, the final architecture from
scratch and a random mask of the final size (13 x 70 RBM on image patches): config, run,
summary, report and figures."""

from __future__ import annotations

import argparse
from typing import Any

from boltzprune.app.experiment import Experiment, run_settings
from boltzprune.app.online.config import OnlinePruningConfig
from boltzprune.fisher.config import RUNNING_PHASES

__all__ = ["EXPERIMENT", "add_arguments", "config_from_args"]


def add_arguments(p: argparse.ArgumentParser) -> None:
    d = OnlinePruningConfig()
    p.add_argument("--n-patches", type=int, default=d.n_patches, metavar="N",
                   help="training patches (default: %(default)s)")
    p.add_argument("--online-epochs", type=int, default=d.online_epochs, metavar="N",
                   help="training epochs of the variant that prunes while it learns "
                        "(default: %(default)s)")
    p.add_argument("--prune-every", type=int, default=d.prune_every, metavar="N",
                   help="updates between its pruning events (default: %(default)s)")
    p.add_argument("--prune-end-epoch", type=int, default=d.prune_end_epoch, metavar="E",
                   help="its last epoch with pruning events (default: %(default)s)")
    p.add_argument("--decay", type=float, default=d.decay,
                   help="decay of the running statistics (default: %(default)s)")
    p.add_argument("--phase", default=d.phase, choices=RUNNING_PHASES,
                   help="whose states the running statistics average (default: "
                        "%(default)s)")
    p.add_argument("--trace-every", type=int, default=d.trace_every, metavar="N",
                   help="updates between exact-FIM probes of the traces (default: "
                        "%(default)s)")
    p.add_argument("--fi-samples", type=int, default=d.sampling.n_samples, metavar="N",
                   help="model samples per importance estimate of the offline loop "
                        "(default: %(default)s)")


def config_from_args(a: argparse.Namespace) -> dict[str, Any]:
    """The settings the flags give (the command line builds the config with --set)."""
    import dataclasses

    d = OnlinePruningConfig()
    return dict(**run_settings(a), n_patches=a.n_patches, online_epochs=a.online_epochs,
                prune_every=a.prune_every, prune_end_epoch=a.prune_end_epoch, decay=a.decay,
                phase=a.phase, trace_every=a.trace_every,
                sampling=dataclasses.replace(d.sampling, n_samples=a.fi_samples))


EXPERIMENT = Experiment(
    name="online-pruning",
    help="pruning during learning against the offline loop, from scratch and random masks",
    description="Train the 13 x 70 RBM on image patches four ways to the same final weight "
                "count, per seed and criterion: the paper's offline prune-retrain loop, "
                "pruning during learning from running local Fisher information, the final "
                "architecture trained from scratch, and a random mask of the final size; "
                "evaluate each exactly, trace the exact FIM during training (critical "
                "periods) and write a run directory with every model, figures and report.md.",
    config_type=OnlinePruningConfig,
    package=__name__,
    parallel_over="seeds, then (seed, criterion) runs",
)
