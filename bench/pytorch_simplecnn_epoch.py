#!/usr/bin/python3
"""One epoch of simplecnn on Fashion-MNIST in PyTorch: the accuracy the Go
side's run of the same recipe should reach (issue 11). Optional; the project
never needs PyTorch.

Recipe (the Go run uses the same, with its own seeded init and order):
  model    simplecnn for 1x28x28, 10 classes (the contract's nn.Sequential),
           PyTorch's default initialisation, torch.manual_seed(seed)
  data     Fashion-MNIST IDX files, pixels float32(p)/255, no other
           normalisation, no augmentation
  split    train on the first 55,000 training rows; validation = the last
           5,000 training rows (55,000..59,999); test = the official 10,000
  order    one epoch in a seeded random order of the 55,000
           (torch.randperm, generator seeded with seed); the last partial
           batch is dropped (429 steps), as core/train does
  update   plain SGD: lr 0.05, batch 128, no momentum, no weight decay,
           mean cross-entropy loss
  report   mean training loss over the epoch's steps, accuracy and mean loss
           on the validation rows and on the test set (eval mode, no grad)

    /usr/bin/python3 bench/pytorch_simplecnn_epoch.py [--seeds 1,2] [--threads 1]

The Go side's validation split is a seeded Go permutation that cannot be
reproduced here, so its validation rows differ; the test set is the same for
both and is the figure to compare.
"""
import argparse
import gzip
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "core", "nn", "testdata", "torch"))
from make_fixtures import simplecnn  # noqa: E402  the contract's model, defined once

LR, BATCH, TRAIN_ROWS = 0.05, 128, 55000


def idx(d, stem):
    with gzip.open(os.path.join(d, f"{stem}-images-idx3-ubyte.gz")) as f:
        raw = f.read()
    with gzip.open(os.path.join(d, f"{stem}-labels-idx1-ubyte.gz")) as f:
        lab = f.read()
    magic, n, h, w = struct.unpack(">IIII", raw[:16])
    lmagic, ln = struct.unpack(">II", lab[:8])
    if magic != 2051 or lmagic != 2049 or n != ln or (h, w) != (28, 28) or len(raw) != 16 + n * 784:
        sys.exit(f"{d}/{stem}-*-idx*-ubyte.gz: not a matching pair of 28x28 IDX image and label files")
    x = np.frombuffer(raw[16:], np.uint8).reshape(n, 1, 28, 28).astype(np.float32) / np.float32(255)
    return torch.from_numpy(x), torch.from_numpy(np.frombuffer(lab[8:], np.uint8).astype(np.int64))


@torch.no_grad()
def evaluate(model, x, y):
    model.eval()
    loss, hits = 0.0, 0
    for i in range(0, len(y), 1000):
        out = model(x[i : i + 1000])
        loss += F.cross_entropy(out, y[i : i + 1000], reduction="sum").item()
        hits += (out.argmax(1) == y[i : i + 1000]).sum().item()
    return hits / len(y), loss / len(y)


def run(seed, train, val, test):
    torch.manual_seed(seed)
    model = simplecnn(1, 28, 10)
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    x, y = train
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))
    steps = len(y) // BATCH
    model.train()
    t0, total = time.perf_counter(), 0.0
    for s in range(steps):
        i = order[s * BATCH : (s + 1) * BATCH]
        loss = F.cross_entropy(model(x[i]), y[i])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        total += loss.item()
        if not np.isfinite(loss.item()):
            print(f"seed {seed}: diverged at step {s}")
            return None
    secs = time.perf_counter() - t0
    va, vl = evaluate(model, *val)
    ta, tl = evaluate(model, *test)
    print(f"seed {seed}: {steps} steps in {secs:.0f} s ({steps * BATCH / secs:.0f} samples/s); "
          f"train loss {total / steps:.4f}; validation (last 5,000 train rows) acc {va:.4f} loss {vl:.4f}; "
          f"test (10,000) acc {ta:.4f} loss {tl:.4f}", flush=True)
    return ta, va


def main():
    ap = argparse.ArgumentParser(description="one epoch of simplecnn on Fashion-MNIST, PyTorch reference")
    ap.add_argument("--seeds", default="1")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--data", default=os.environ.get("SGDCLAIMS_DATA", "/usr/share/datasets/fashion-mnist"))
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    xtr, ytr = idx(a.data, "train")
    xte, yte = idx(a.data, "t10k")
    train = (xtr[:TRAIN_ROWS], ytr[:TRAIN_ROWS])
    val = (xtr[TRAIN_ROWS:], ytr[TRAIN_ROWS:])
    print(f"# torch {torch.__version__}, {a.threads} thread(s); simplecnn, plain SGD lr {LR}, batch {BATCH}, "
          f"1 epoch on rows 0..{TRAIN_ROWS - 1}, default init", flush=True)
    res = [r for r in (run(int(s), train, val, (xte, yte)) for s in a.seeds.split(",")) if r]
    if len(res) > 1:
        t = np.array([r[0] for r in res])
        print(f"# test accuracy over {len(res)} seeds: mean {t.mean():.4f}, min {t.min():.4f}, max {t.max():.4f}")


if __name__ == "__main__":
    main()
