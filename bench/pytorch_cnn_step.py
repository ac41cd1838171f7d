#!/usr/bin/python3
"""PyTorch CPU side by side with the Go CNN benchmarks (optional; the project
never needs PyTorch). Times, per thread count:

  BenchmarkTrainStep/simplecnn/S=128   one plain-SGD step (gather the batch
                                       from memory, forward, backward, update)
                                       of simplecnn on Fashion-MNIST 1x28x28
  BenchmarkTrainStep/resnet20/S=128    the same for resnet20 on 3x32x32
                                       (random inputs: CIFAR-10 is not on
                                       these machines; BN in train mode)
  BenchmarkHVP/simplecnn/N=1024/grad   loss and gradient on 1024 images
                            /hvp       one Hessian-vector product from
                                       scratch: forward, gradient with
                                       create_graph, second backward
                            /hvpcached the second backward only, on a kept
                                       graph (torch.autograd.grad twice)

and prints Go benchmark lines (the last name element is pytorch-<threads>, as
a Go name ends in <isa>-<GOMAXPROCS>), so they can be appended to `go test
-bench` output and read by benchstat, then a summary table of medians.

    /usr/bin/python3 bench/pytorch_cnn_step.py [--threads 1,2] [--rounds 2] [--min-time 2]

ns/op is the median wall time of the timed steps of a round (after warm-up),
samples/s is S / that median, samples/cpu-s divides by the process CPU time
instead. Rounds alternate the configurations so that each sees the same
machine conditions. torch.set_num_threads sets the intra-op threads (oneDNN
for float32 convolutions) and, when PyTorch's BLAS is OpenBLAS, the same
count is given to openblas_set_num_threads (Linear layers). Debian's PyTorch
uses whatever libblas.so.3 the alternatives system points to: with only
libblas3 installed that is the netlib reference BLAS, which makes the dense
layers several times slower; install libopenblas0-pthread for a fair
comparison. The BLAS in use is printed.
"""
import argparse
import ctypes
import gzip
import os
import resource
import statistics
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "core", "nn", "testdata", "torch"))
from make_fixtures import ResNet, simplecnn  # noqa: E402  the contract's models, defined once


def blas():
    """The BLAS library PyTorch loaded, and a setter for its thread count."""
    with open("/proc/self/maps") as f:
        libs = {line.split()[-1] for line in f if "blas" in line}
    for lib in sorted(libs):
        if "openblas" in lib:
            h = ctypes.CDLL(lib)
            if hasattr(h, "openblas_set_num_threads"):
                return lib, h.openblas_set_num_threads
    return (", ".join(sorted(libs)) or "none found"), None


def fashion_mnist(d):
    with gzip.open(os.path.join(d, "train-images-idx3-ubyte.gz")) as f:
        raw = f.read()
    with gzip.open(os.path.join(d, "train-labels-idx1-ubyte.gz")) as f:
        lab = f.read()
    magic, n, h, w = struct.unpack(">IIII", raw[:16])
    if magic != 2051 or (h, w) != (28, 28):
        sys.exit(f"{d}/train-images-idx3-ubyte.gz: not an IDX image file of 28x28 images")
    x = torch.from_numpy(np.frombuffer(raw[16:], np.uint8).reshape(n, 1, 28, 28).astype(np.float32) / np.float32(255))
    y = torch.from_numpy(np.frombuffer(lab[8:], np.uint8).astype(np.int64))
    return x, y


def timed(fn, samples, warmup, min_time, min_steps):
    for _ in range(warmup):
        fn()
    times = []
    c0, t0 = time.process_time(), time.perf_counter()
    while len(times) < min_steps or time.perf_counter() - t0 < min_time:
        s = time.perf_counter()
        fn()
        times.append(time.perf_counter() - s)
    cpu = time.process_time() - c0
    med = statistics.median(times)
    return {"n": len(times), "ns": med * 1e9, "sps": samples / med, "spcpu": samples * len(times) / cpu if cpu > 0 else 0}


def train_step(model, X, Y, s, lr=0.01, seed=1):
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    order = torch.randperm(X.shape[0], generator=torch.Generator().manual_seed(seed))
    pos = [0]
    model.train()

    def step():
        lo = pos[0]
        if lo + s > X.shape[0]:
            lo = 0
        pos[0] = lo + s
        idx = order[lo : lo + s]
        x, y = X.index_select(0, idx), Y.index_select(0, idx)
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        opt.step()

    return step


def hvp_fns(model, x, y):
    model.eval()
    params = list(model.parameters())
    g0 = torch.Generator().manual_seed(3)
    vs = [torch.randn(p.shape, generator=g0) for p in params]

    def grad():
        torch.autograd.grad(F.cross_entropy(model(x), y), params)

    def hvp():
        gs = torch.autograd.grad(F.cross_entropy(model(x), y), params, create_graph=True)
        torch.autograd.grad(gs, params, grad_outputs=vs)

    kept = {}

    def hvp_cached():
        if "g" not in kept:
            kept["g"] = torch.autograd.grad(F.cross_entropy(model(x), y), params, create_graph=True)
        torch.autograd.grad(kept["g"], params, grad_outputs=vs, retain_graph=True)

    return grad, hvp, hvp_cached


def main():
    ap = argparse.ArgumentParser(description="PyTorch CPU timings of the CNN training step and HVP")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--min-time", type=float, default=2.0, help="seconds of timed steps per configuration and round")
    ap.add_argument("--data", default=os.environ.get("SGDCLAIMS_DATA", "/usr/share/datasets/fashion-mnist"))
    ap.add_argument("--min-steps", type=int, default=0, help="override the per-benchmark minimum of timed steps")
    ap.add_argument("--skip-hvp", action="store_true")
    ap.add_argument("--models", default="simplecnn,resnet20", help="training-step models to time")
    a = ap.parse_args()
    threads = [int(t) for t in a.threads.split(",")]
    lib, set_blas = blas()
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    print(f"# torch {torch.__version__}, BLAS {lib}, oneDNN {torch.backends.mkldnn.is_available()}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}", flush=True)

    torch.manual_seed(1)
    fx, fy = fashion_mnist(a.data)
    g = torch.Generator().manual_seed(2)
    cx, cy = torch.randn(4096, 3, 32, 32, generator=g), torch.randint(0, 10, (4096,), generator=g)
    configs = [
        ("BenchmarkTrainStep/simplecnn/S=128", 128, lambda: train_step(simplecnn(1, 28, 10), fx, fy, 128), 3, 10),
        ("BenchmarkTrainStep/resnet20/S=128", 128, lambda: train_step(ResNet(3, 10, 3), cx, cy, 128), 2, 5),
    ]
    models = a.models.split(",")
    configs = [c for c in configs if c[0].split("/")[1] in models]
    if not a.skip_hvp:
        hm = simplecnn(1, 28, 10)
        hx, hy = fx[:1024], fy[:1024]
        fg, fh, fhc = hvp_fns(hm, hx, hy)
        configs += [
            ("BenchmarkHVP/simplecnn/N=1024/grad", 1024, lambda: fg, 1, 3),
            ("BenchmarkHVP/simplecnn/N=1024/hvp", 1024, lambda: fh, 1, 3),
            ("BenchmarkHVP/simplecnn/N=1024/hvpcached", 1024, lambda: fhc, 1, 3),
        ]
    results = {}
    for r in range(a.rounds):
        for name, samples, make, warmup, min_steps in configs:
            for t in threads:
                torch.set_num_threads(t)
                if set_blas:
                    set_blas(t)
                res = timed(make(), samples, warmup, a.min_time, a.min_steps or min_steps)
                results.setdefault((name, t), []).append(res)
                print(f"{name}/pytorch-{t} \t{res['n']}\t{res['ns']:.0f} ns/op\t"
                      f"{res['sps']:.1f} samples/s\t{res['spcpu']:.1f} samples/cpu-s", flush=True)
    print(f"# peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB, "
          f"load average {os.getloadavg()[0]:.2f}")
    print("\n| benchmark | threads | ms/op (median of rounds) | samples/s | samples/cpu-s |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for (name, t), rs in results.items():
        print(f"| {name.removeprefix('Benchmark')} | {t} | {statistics.median(x['ns'] for x in rs) / 1e6:.2f} | "
              f"{statistics.median(x['sps'] for x in rs):.0f} | {statistics.median(x['spcpu'] for x in rs):.0f} |")
    if not a.skip_hvp:
        for t in threads:
            gms = statistics.median(x["ns"] for x in results[("BenchmarkHVP/simplecnn/N=1024/grad", t)])
            for k in ("hvp", "hvpcached"):
                hms = statistics.median(x["ns"] for x in results[(f"BenchmarkHVP/simplecnn/N=1024/{k}", t)])
                print(f"# {t} thread(s): {k} / grad = {hms / gms:.2f}")


if __name__ == "__main__":
    main()
