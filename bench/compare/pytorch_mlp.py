#!/usr/bin/python3
"""PyTorch CPU side of `make bench-compare` for mlp:784-512-512-10 on MNIST
(optional; the project never needs PyTorch). One round of, per thread count:

  BenchmarkTrainStep/mlp/S=<s>      one plain-SGD step (lr 0.01): gather the
                                    batch from memory, forward, backward,
                                    update; S = 32 and 128
  BenchmarkHVPCached/mlp/N=1024     one Hessian-vector product on a kept graph
                                    (torch.autograd.grad of the create_graph
                                    gradient), the first 1024 training images,
                                    at initialisation
  BenchmarkLambdaMaxPower/mlp/epoch1  lambda_max by PyHessian's power iteration
                                    (relative change < 1e-3, at most 100
                                    products, Gaussian start), on the kept
                                    graph, after one epoch of SGD
  BenchmarkTraceHutchinson/mlp/epoch1 Hutchinson's trace with 100 Rademacher
                                    probes on the same Hessian; reports the
                                    standard error (sample sd / 10)

The epoch (lr 0.1, batch 64, a seeded permutation, PyTorch's default init) is
trained once per process (unless --steps-only), on one thread, before the timings, as the Go
fixture does (core/curvature: lr 0.1, batch 64). Output lines are Go
benchmark lines ending in pytorch-<threads>, for bench/compare/table.py and
benchstat.

    /usr/bin/python3 bench/compare/pytorch_mlp.py --mnist DIR [--threads 1,2] [--min-time 1]
"""
import argparse
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from pytorch_cnn_step import blas, fashion_mnist, timed, train_step  # noqa: E402  (IDX reader, timer, step)


def mlp():
    return torch.nn.Sequential(torch.nn.Linear(784, 512), torch.nn.ReLU(), torch.nn.Linear(512, 512),
                               torch.nn.ReLU(), torch.nn.Linear(512, 10))


def train_epoch(model, X, Y, lr=0.1, s=64, seed=1):
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    order = torch.randperm(X.shape[0], generator=torch.Generator().manual_seed(seed))
    for lo in range(0, X.shape[0] - s + 1, s):
        idx = order[lo:lo + s]
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(X[idx]), Y[idx]).backward()
        opt.step()


class Kept:
    """The Hessian of the mean cross-entropy on (x, y) as products on one
    kept graph: the create_graph gradient is built once."""

    def __init__(self, model, x, y):
        model.eval()
        self.params = list(model.parameters())
        self.g = torch.autograd.grad(F.cross_entropy(model(x), y), self.params, create_graph=True)

    def __call__(self, vs):
        return torch.autograd.grad(self.g, self.params, grad_outputs=vs, retain_graph=True)


def dot(a, b):
    return sum((x * y).sum() for x, y in zip(a, b)).item()


def power_iteration(hv, params, seed, tol=1e-3, max_iter=100):
    g = torch.Generator().manual_seed(seed)
    v = [torch.randn(p.shape, generator=g) for p in params]
    n = dot(v, v) ** 0.5
    v = [x / n for x in v]
    eig, it = None, 0
    for it in range(1, max_iter + 1):
        w = hv(v)
        new = dot(w, v)
        n = dot(w, w) ** 0.5
        v = [x / n for x in w]
        if eig is not None and abs(new - eig) / (abs(eig) + 1e-6) < tol:
            eig = new
            break
        eig = new
    return eig, it


def hutchinson(hv, params, seed, probes=100):
    g = torch.Generator().manual_seed(seed)
    vals = []
    for _ in range(probes):
        v = [torch.randint(0, 2, p.shape, generator=g).float() * 2 - 1 for p in params]
        vals.append(dot(hv(v), v))
    t = torch.tensor(vals, dtype=torch.float64)
    return t.mean().item(), (t.std() / probes ** 0.5).item()


def main():
    ap = argparse.ArgumentParser(description="PyTorch CPU timings of the MLP step and curvature")
    ap.add_argument("--mnist", required=True, help="directory with train-images-idx3-ubyte.gz")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--min-time", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--steps-only", action="store_true", help="time the training steps only")
    ap.add_argument("--curvature-only", action="store_true", help="time the curvature only")
    ap.add_argument("--no-trace", action="store_true", help="leave out the trace (the slowest)")
    a = ap.parse_args()
    threads = [int(t) for t in a.threads.split(",")]
    lib, set_blas = blas()
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    print(f"# torch {torch.__version__}, BLAS {lib}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.2f}", flush=True)
    X, Y = fashion_mnist(a.mnist)  # any 28x28 IDX directory
    X = X.reshape(X.shape[0], 784)
    torch.manual_seed(a.seed)
    init = mlp()
    trained = mlp()
    trained.load_state_dict(init.state_dict())
    if not a.steps_only:
        train_epoch(trained, X, Y)
    hx, hy = X[:1024], Y[:1024]

    def set_threads(t):
        torch.set_num_threads(t)
        if set_blas:
            set_blas(t)

    for t in threads:
        set_threads(t)
        for s in () if a.curvature_only else (32, 128):
            m = mlp()
            m.load_state_dict(init.state_dict())
            r = timed(train_step(m, X, Y, s), s, 3, a.min_time, 10)
            print(f"BenchmarkTrainStep/mlp/S={s}/pytorch-{t} \t{r['n']}\t{r['ns']:.0f} ns/op\t"
                  f"{r['sps']:.1f} samples/s\t{r['spcpu']:.1f} samples/cpu-s", flush=True)
        if a.steps_only:
            continue
        hv = Kept(init, hx, hy)
        g0 = torch.Generator().manual_seed(3)
        vs = [torch.randn(p.shape, generator=g0) for p in hv.params]
        r = timed(lambda: hv(vs), 1, 1, a.min_time, 3)
        print(f"BenchmarkHVPCached/mlp/N=1024/pytorch-{t} \t{r['n']}\t{r['ns']:.0f} ns/op", flush=True)
        # Times include building the kept graph, as the Go side's do.
        t0 = time.perf_counter()
        hv = Kept(trained, hx, hy)
        eig, n = power_iteration(hv, hv.params, a.seed)
        dt = time.perf_counter() - t0
        print(f"BenchmarkLambdaMaxPower/mlp/epoch1/pytorch-{t} \t1\t{dt * 1e9:.0f} ns/op\t{n} hvps/op\t"
              f"{eig:.6g} lambda", flush=True)
        if a.no_trace:
            continue
        t0 = time.perf_counter()
        hv = Kept(trained, hx, hy)
        val, se = hutchinson(hv, hv.params, a.seed)
        dt = time.perf_counter() - t0
        print(f"BenchmarkTraceHutchinson/mlp/epoch1/pytorch-{t} \t1\t{dt * 1e9:.0f} ns/op\t100 hvps/op\t"
              f"{val:.6g} trace\t{se:.6g} stderr\t{se / val:.6g} relse", flush=True)
    print(f"# load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
