#!/usr/bin/python3
"""OpenBLAS side of `make bench-compare`: numpy's float32 matmul (OpenBLAS
sgemm, OPENBLAS_NUM_THREADS=1 set by the caller) at the shapes of
BenchmarkGemm and BenchmarkGemmTrans (bench/kernels_test.go), as Go
benchmark lines ending in /openblas. NT is A*B^T with B stored n x k, TN
A^T*B with A stored k x m: numpy passes the transposes to sgemm.

    /usr/bin/python3 bench/compare/openblas_gemm.py [--min-time 0.5]
"""
import argparse
import time

import numpy as np

SHAPES = [(128, 784, 512), (128, 512, 512), (512, 512, 128), (1024, 784, 512), (32, 784, 512), (512, 32, 784)]


def bench(name, f, flops, min_time):
    f()
    it, t0, c0 = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - t0 < min_time:
        f()
        it += 1
    t, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"{name}/openblas \t{it}\t{t / it * 1e9:.0f} ns/op\t{flops * it / cpu / 1e9:.2f} GFLOP/cpu-s\t"
          f"{flops * it / t / 1e9:.2f} GFLOP/s", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--min-time", type=float, default=0.5)
    a = ap.parse_args()
    r = np.random.default_rng(1)
    for m, k, n in SHAPES:
        flops = 2 * m * n * k
        a_ = r.standard_normal((m, k), dtype=np.float32)
        b_ = r.standard_normal((k, n), dtype=np.float32)
        bt = np.ascontiguousarray(b_.T)  # n x k
        at = np.ascontiguousarray(a_.T)  # k x m
        c = np.empty((m, n), np.float32)
        bench(f"BenchmarkGemm/{m}x{k}x{n}", lambda: np.matmul(a_, b_, out=c), flops, a.min_time)
        bench(f"BenchmarkGemmTrans/NT/{m}x{k}x{n}", lambda: np.matmul(a_, bt.T, out=c), flops, a.min_time)
        bench(f"BenchmarkGemmTrans/TN/{m}x{k}x{n}", lambda: np.matmul(at.T, b_, out=c), flops, a.min_time)


if __name__ == "__main__":
    main()
