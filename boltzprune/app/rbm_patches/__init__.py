"""The RBM experiment (paper 2.2-2.3): config, run, report and figures."""

from __future__ import annotations

import argparse
from typing import Any

from boltzprune.app.experiment import Experiment, run_settings
from boltzprune.app.rbm_patches.config import DATA_SOURCES, SCHEDULES, RBMPatchesConfig

__all__ = ["EXPERIMENT", "add_arguments", "config_from_args"]


def add_arguments(r: argparse.ArgumentParser) -> None:
    d = RBMPatchesConfig()
    r.add_argument("--schedules", nargs="+", default=list(d.schedules), choices=list(SCHEDULES),
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


def config_from_args(a: argparse.Namespace) -> dict[str, Any]:
    """The settings the flags give (the command line builds the config with --set)."""
    from boltzprune.sampling.config import SamplingConfig

    return dict(
        **run_settings(a), training={s: SCHEDULES[s] for s in dict.fromkeys(a.schedules)},
        data_source=a.data, cifar_dir=a.cifar_dir, n_patches=a.n_patches, radius=a.radius,
        n_hidden=a.n_hidden,
        sampling=SamplingConfig(n_samples=a.fi_samples, method=a.sampler, n_chains=a.chains,
                                burn_in=a.burn_in, thin=a.thin))


EXPERIMENT = Experiment(
    name="rbm-patches",
    help="the RBM experiment: Table 1, Figures 1-2 and a report",
    description="Train the 13 x 70 RBM on binarised natural-image patches, prune it by each "
                "criterion (50 % x 3 with retraining), evaluate every stage exactly and "
                "write a run directory with checkpoints, metrics, figures and report.md.",
    config_type=RBMPatchesConfig,
    package=__name__,
    parallel_over="(schedule, seed) runs and criteria",
)
