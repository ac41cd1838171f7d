#!/usr/bin/python3
"""Regenerate the PyTorch reference fixtures in this directory.

    /usr/bin/python3 core/nn/testdata/torch/make_fixtures.py [--out DIR] [--only NAME,...]

Needs python3-torch (1.13, CPU) and numpy, and Fashion-MNIST under
/usr/share/datasets/fashion-mnist (or $SGDCLAIMS_DATA) for the simplecnn inputs.
The Go tests never run this script; they read the files it wrote. README.md
beside it describes the file format.

For every model NAME it writes two safetensors files:

  NAME.weights.safetensors  the model's state_dict exactly as PyTorch's
                            safetensors.torch.save_file would write it: F32
                            parameters and BatchNorm buffers, I64
                            num_batches_tracked.
  NAME.ref.safetensors      the batch and what PyTorch computes on it in
                            float64 from those float32 weights (model.double()):
                            logits, mean cross-entropy loss, gradient,
                            Hessian-vector product of a stored probe vector,
                            top Hessian eigenvalues (BatchNorm in eval mode).

Every float64 computation starts from values that are exactly float32 (weights,
inputs, probe vector), so Go's float32 model and its float64 reference network
see the very same numbers PyTorch saw.
"""
import argparse
import copy
import gzip
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

FORMAT = "sgdclaims-torchref-1"

# ---------------------------------------------------------------------------
# safetensors, written by hand (the `safetensors` package is not in Debian 12)

_DTYPES = {np.dtype("float32"): "F32", np.dtype("float64"): "F64", np.dtype("int64"): "I64"}


def write_safetensors(path, tensors, meta):
    """tensors: list of (name, numpy array), written in that order; meta: str->str."""
    hdr = {"__metadata__": {k: str(v) for k, v in meta.items()}}
    pos, blobs = 0, []
    for name, a in tensors:
        a = np.ascontiguousarray(a)
        dt = _DTYPES[a.dtype]
        b = a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes()
        hdr[name] = {"dtype": dt, "shape": list(a.shape), "data_offsets": [pos, pos + len(b)]}
        pos += len(b)
        blobs.append(b)
    js = json.dumps(hdr, separators=(",", ":")).encode()
    js += b" " * ((8 - len(js) % 8) % 8)  # align the data buffer, as the reference writer does
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(js)))
        f.write(js)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def read_safetensors(path):
    """The inverse of write_safetensors, used to check every file written."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    hdr = json.loads(raw[8 : 8 + n])
    meta = hdr.pop("__metadata__", {})
    inv = {v: k for k, v in _DTYPES.items()}
    out = {}
    for name, e in hdr.items():
        b0, b1 = e["data_offsets"]
        out[name] = np.frombuffer(raw[8 + n + b0 : 8 + n + b1], dtype=inv[e["dtype"]].newbyteorder("<")).reshape(e["shape"])
    return out, meta


# ---------------------------------------------------------------------------
# Models: the shared CNN contract of TEAM.md (names are the state_dict keys).


def simplecnn(c=1, hw=28, classes=10):
    s = ((hw - 2) // 2 - 2) // 2  # conv same, conv valid, pool, conv same, conv valid, pool
    return nn.Sequential(
        nn.Conv2d(c, 32, 3, padding=1), nn.ReLU(),
        nn.Conv2d(32, 32, 3), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(),
        nn.Conv2d(64, 64, 3), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64 * s * s, 128), nn.ReLU(),
        nn.Linear(128, classes),
    )


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU()
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        sc = x if self.downsample is None else self.downsample(x)
        return self.relu(out + sc)


class ResNet(nn.Module):
    """He et al.'s CIFAR ResNet-(6n+2): 16/32/64 channels, n blocks per stage."""

    def __init__(self, n, classes=10, c=3):
        super().__init__()
        self.conv1 = nn.Conv2d(c, 16, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu = nn.ReLU()
        cin = 16
        for i, (cout, stride) in enumerate([(16, 1), (32, 2), (64, 2)]):
            blocks = []
            for j in range(n):
                blocks.append(BasicBlock(cin, cout, stride if j == 0 else 1))
                cin = cout
            setattr(self, f"layer{i + 1}", nn.Sequential(*blocks))
        self.fc = nn.Linear(64, classes)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc(x)


# Tiny nets, one layer kind each (plus a Linear head so there is a loss), small
# enough that the dense Hessian is stored. Input 2x6x5 (non-square, odd width)
# so that H/W mix-ups, stride-2 edges and the pooling remainder all show.
def tiny_conv():  # Conv2d stride 2, padding 1: 6x5 -> 3x3
    return nn.Sequential(nn.Conv2d(2, 3, 3, stride=2, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(27, 4))


def tiny_pool():  # MaxPool2d(2): 6x5 -> 3x2, the last column dropped
    return nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(18, 4))


def tiny_bn():  # BatchNorm2d after a bias-free conv; input 2x4x3
    return nn.Sequential(nn.Conv2d(2, 2, 3, padding=1, bias=False), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(), nn.Linear(24, 4))


def tiny_gap():  # global average pooling
    return nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(3, 4))


def tiny_block():  # one BasicBlock with a stride-2 downsampling shortcut: 2x6x5 -> 3x3x3
    return nn.Sequential(BasicBlock(2, 3, 2), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(3, 4))


# name: (constructor, input shape (C, H, W), classes, batch, dense Hessian?)
MODELS = {
    "simplecnn": (lambda: simplecnn(1, 28, 10), (1, 28, 28), 10, 8, False),
    "resnet20": (lambda: ResNet(3, 10, 3), (3, 32, 32), 10, 4, False),
    "tiny_conv": (tiny_conv, (2, 6, 5), 4, 3, True),
    "tiny_pool": (tiny_pool, (2, 6, 5), 4, 3, True),
    "tiny_bn": (tiny_bn, (2, 4, 3), 4, 3, True),
    "tiny_gap": (tiny_gap, (2, 6, 5), 4, 3, True),
    "tiny_block": (tiny_block, (2, 6, 5), 4, 3, True),
}

SEED = 20261202  # torch.manual_seed(SEED + model index) for the init; numpy PCG64([SEED, index, purpose]) for the rest


def rng(model_idx, purpose):
    return np.random.Generator(np.random.PCG64([SEED, model_idx, purpose]))


def set_bn_buffers(model, g):
    """Non-trivial BatchNorm state, so that eval-mode BN is not the identity."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                c = m.num_features
                m.weight.copy_(torch.from_numpy(g.uniform(0.5, 1.5, c).astype(np.float32)))
                m.bias.copy_(torch.from_numpy(g.normal(0, 0.2, c).astype(np.float32)))
                m.running_mean.copy_(torch.from_numpy(g.normal(0, 0.2, c).astype(np.float32)))
                m.running_var.copy_(torch.from_numpy(g.uniform(0.5, 2.0, c).astype(np.float32)))
                m.num_batches_tracked.fill_(int(g.integers(1, 1000)))


def fashion_mnist_batch(n):
    """The first n training images of Fashion-MNIST as float32(pixel)/255 and their labels."""
    d = os.environ.get("SGDCLAIMS_DATA", "/usr/share/datasets/fashion-mnist")
    with gzip.open(os.path.join(d, "train-images-idx3-ubyte.gz")) as f:
        raw = f.read(16 + n * 784)
    with gzip.open(os.path.join(d, "train-labels-idx1-ubyte.gz")) as f:
        lab = f.read(8 + n)
    assert struct.unpack(">IIII", raw[:16])[:2] == (2051, 60000), "not the Fashion-MNIST training images"
    px = np.frombuffer(raw[16:], np.uint8).reshape(n, 1, 28, 28)
    x = px.astype(np.float32) / np.float32(255)  # correctly rounded float32 division, as Go's float32(p)/255
    return x, np.frombuffer(lab[8:], np.uint8).astype(np.int64)


# ---------------------------------------------------------------------------
# Curvature in float64


class Curv:
    """Loss, gradient and Hessian-vector products of a float64 model on one batch.
    The gradient's graph is kept, so each HVP is one more backward pass."""

    def __init__(self, model, x, y):
        self.params = [p for p in model.parameters()]
        self.shapes = [p.shape for p in self.params]
        self.logits = model(x)
        self.loss = F.cross_entropy(self.logits, y)
        self.grads = torch.autograd.grad(self.loss, self.params, create_graph=True)
        self.grad = torch.cat([g.reshape(-1) for g in self.grads]).detach()
        self.n = self.grad.numel()
        self.count = 0

    def hvp(self, v):
        vs, o = [], 0
        for s in self.shapes:
            k = int(np.prod(s))
            vs.append(v[o : o + k].reshape(s))
            o += k
        hv = torch.autograd.grad(self.grads, self.params, grad_outputs=vs, retain_graph=True)
        self.count += 1
        return torch.cat([h.reshape(-1) for h in hv]).detach()

    def dense(self):
        eye = torch.eye(self.n, dtype=torch.float64)
        return torch.stack([self.hvp(eye[i]) for i in range(self.n)])


def lanczos(curv, q0, top=3, tol=1e-10, maxit=400):
    """Lanczos with full reorthogonalisation (twice, classical Gram-Schmidt) in
    float64. Stops when the Ritz residual |beta_j s_j| of each of the top Ritz
    pairs is below tol * |theta_1|. Returns the Ritz values, their Ritz
    residuals, the true residuals ||H y - theta y|| / ||y|| (one more HVP each)
    and the iteration count."""
    n = curv.n
    maxit = min(maxit, n)
    Q = torch.zeros(maxit + 1, n, dtype=torch.float64)
    Q[0] = q0 / q0.norm()
    alpha, beta = [], []
    for j in range(maxit):
        w = curv.hvp(Q[j])
        a = torch.dot(Q[j], w).item()
        w = w - a * Q[j] - (beta[-1] * Q[j - 1] if j > 0 else 0)
        for _ in range(2):
            w = w - Q[: j + 1].T @ (Q[: j + 1] @ w)
        b = w.norm().item()
        alpha.append(a)
        beta.append(b)
        T = np.diag(alpha) + np.diag(beta[:-1], 1) + np.diag(beta[:-1], -1)
        th, S = np.linalg.eigh(T)
        th, S = th[::-1], S[:, ::-1]
        k = min(top, j + 1)
        ritz_res = np.abs(b * S[-1, :k])
        if (k == top and np.all(ritz_res <= tol * abs(th[0]))) or b == 0:
            break
        Q[j + 1] = w / b
    m = len(alpha)
    Y = S[:, :top].T.copy() @ Q[:m].numpy()
    true_res = []
    for i in range(top):
        y = torch.from_numpy(Y[i])
        true_res.append((curv.hvp(y) - th[i] * y).norm().item() / y.norm().item())
    return th[:top].copy(), ritz_res, np.array(true_res), m


def margins(model, x):
    """How far each example is from a kink: the smallest |pre-activation| of
    any ReLU and the smallest non-zero gap between the two largest values of
    any max-pooling window, each relative to the largest |value| that layer
    sees over the whole batch. Where these are far above float32's 6e-8, Go's
    float32 model takes the same branches as PyTorch's float64 one. Returns
    per-example margins (the smaller of the two) and the count of exact ties
    with a positive maximum (identical receptive fields: harmless, the tied
    positions have identical derivatives, so either choice gives the same
    gradient and HVP)."""
    n = x.shape[0]
    relu = torch.full((n,), np.inf, dtype=torch.float64)
    pool = torch.full((n,), np.inf, dtype=torch.float64)
    ties = [0]

    def relu_hook(m, inp, out):
        a = inp[0].detach().abs().flatten(1)
        relu.copy_(torch.minimum(relu, a.min(1).values / a.max()))

    def pool_hook(m, inp, out):
        t = inp[0].detach()
        w = t.unfold(2, 2, 2).unfold(3, 2, 2).reshape(*t.shape[:2], t.shape[2] // 2, t.shape[3] // 2, 4)
        s = w.sort(-1, descending=True).values
        gap = (s[..., 0] - s[..., 1]).flatten(1)
        ties[0] += int(((gap == 0) & (s[..., 0].flatten(1) > 0)).sum())
        gap = torch.where(gap > 0, gap, torch.full_like(gap, np.inf))
        pool.copy_(torch.minimum(pool, gap.min(1).values / t.abs().max()))

    hs = []
    for m in model.modules():
        if isinstance(m, nn.ReLU):
            hs.append(m.register_forward_hook(relu_hook))
        if isinstance(m, nn.MaxPool2d):
            hs.append(m.register_forward_hook(pool_hook))
    with torch.no_grad():
        model(x)
    for h in hs:
        h.remove()
    return relu.numpy(), pool.numpy(), ties[0]


def flat(named):
    return torch.cat([t.detach().reshape(-1) for _, t in named])


# ---------------------------------------------------------------------------


def make(name, idx, out):
    ctor, (c, h, w), classes, batch, dense = MODELS[name]
    torch.manual_seed(SEED + idx)
    model = ctor()  # float32, PyTorch's default init
    set_bn_buffers(model, rng(idx, 2))
    model.eval()

    # Candidates, of which the batch keeps the examples farthest from any
    # ReLU kink or max-pool near-tie (in their original order), so that the
    # float32 paths of the Go tests take PyTorch's branches.
    cand = 8 * batch
    if name == "simplecnn":
        xs, ys = fashion_mnist_batch(cand)
    else:
        g = rng(idx, 1)
        xs = g.standard_normal((cand, c, h, w)).astype(np.float32)
        ys = g.integers(0, classes, cand).astype(np.int64)
    m64 = copy.deepcopy(model).double().eval()
    rm, pm, _ = margins(m64, torch.from_numpy(xs.astype(np.float64)))
    keep = np.sort(np.argsort(-np.minimum(rm, pm), kind="stable")[:batch])
    xs, ys = xs[keep], ys[keep]
    sd = model.state_dict()
    pnames = [n for n, _ in model.named_parameters()]
    assert pnames == [k for k in sd if not k.endswith(("running_mean", "running_var", "num_batches_tracked"))]
    layout = []
    off = 0
    for n, p in model.named_parameters():
        layout.append([n, list(p.shape), off])
        off += p.numel()
    P = off

    write_safetensors(
        os.path.join(out, f"{name}.weights.safetensors"),
        [(k, t.numpy()) for k, t in sd.items()],
        {"format": FORMAT, "model": name},
    )

    x = torch.from_numpy(xs.astype(np.float64))
    y = torch.from_numpy(ys)
    relu_m, pool_m, ties = margins(m64, x)
    relu_m, pool_m = relu_m.min(), pool_m.min()

    curv = Curv(m64, x, y)
    v32 = rng(idx, 3).standard_normal(P).astype(np.float32)
    v = torch.from_numpy(v32.astype(np.float64))
    hv = curv.hvp(v)
    q0 = torch.from_numpy(rng(idx, 4).standard_normal(P))
    eig, ritz_res, true_res, iters = lanczos(curv, q0)

    tensors = [
        ("input", xs.astype(np.float64)),
        ("labels", ys.astype(np.float64)),
        ("logits", curv.logits.detach().numpy()),
        ("loss", np.array([curv.loss.item()])),
        ("grad", curv.grad.numpy()),
        ("v", v32),
        ("hv", hv.numpy()),
        ("eigenvalues", eig),
        ("eig_residuals", true_res),
    ]
    meta = {
        "format": FORMAT,
        "model": name,
        "input_shape": f"{c}x{h}x{w}",
        "classes": classes,
        "batch": batch,
        "params": P,
        "param_layout": json.dumps(layout, separators=(",", ":")),
        "loss": repr(curv.loss.item()),
        "eigenvalues": json.dumps([float(e) for e in eig]),
        "eig_residuals": json.dumps([float(r) for r in true_res]),
        "eig_ritz_residuals": json.dumps([float(r) for r in ritz_res]),
        "lanczos_iterations": iters,
        "bn_mode": "eval",
        "relu_margin": f"{relu_m:.3g}",
        "maxpool_gap": f"{pool_m:.3g}",
        "maxpool_ties": ties,
        "seed": SEED,
        "torch": torch.__version__,
        "numpy": np.__version__,
        "script": "core/nn/testdata/torch/make_fixtures.py",
    }
    if name == "simplecnn":
        meta["input_source"] = "Fashion-MNIST training images (rows in examples), float32(pixel)/255, their labels"
    meta["examples"] = json.dumps([int(i) for i in keep])
    meta["candidates"] = cand

    # The same quantities in float32 PyTorch: how far a float32 path lands
    # from the float64 reference on this batch (a guide for the Go tolerances).
    c32 = Curv(model, torch.from_numpy(xs), y)
    hv32 = c32.hvp(torch.from_numpy(v32)).double()
    rel = lambda a, b: ((a - b).norm() / b.norm()).item()  # noqa: E731
    f32 = {"loss": abs(c32.loss.item() - curv.loss.item()) / abs(curv.loss.item()),
           "grad": rel(c32.grad.double(), curv.grad), "hv": rel(hv32, hv)}
    meta["float32_rel_err"] = json.dumps({k: float(f"{e:.3g}") for k, e in f32.items()})

    report = f"{name}: P={P} loss={curv.loss.item():.12g} |g|={curv.grad.norm():.6g} |Hv|={hv.norm():.6g} eig={eig} true_res={true_res} iters={iters} relu_margin={relu_m:.3g} pool_gap={pool_m:.3g} ties={ties} f32={f32}"

    if dense:
        H = curv.dense()
        asym = (H - H.T).abs().max().item()
        H = (H + H.T) / 2
        ev = np.linalg.eigvalsh(H.numpy())[::-1].copy()
        # The script's own Lanczos against the dense eigenvalues.
        assert np.allclose(eig, ev[:3], rtol=1e-9, atol=1e-12 * abs(ev[0])), (eig, ev[:3])
        assert torch.allclose(H @ v, hv, rtol=1e-10, atol=1e-12)
        tensors += [("hessian", H.numpy()), ("hessian_eigenvalues", ev)]
        meta["hessian_asymmetry"] = f"{asym:.3g}"
        report += f" dense: asym={asym:.3g} ev[:3]={ev[:3]} ev[-1]={ev[-1]:.6g}"

    bns = [(n, m) for n, m in m64.named_modules() if isinstance(m, nn.BatchNorm2d)]
    if bns:
        # Train mode: batch statistics, and the running statistics after this
        # one forward pass (momentum 0.1, unbiased batch variance).
        mt = copy.deepcopy(m64).train()
        logits_t = mt(x)
        loss_t = F.cross_entropy(logits_t, y)
        tensors += [("train_logits", logits_t.detach().numpy()), ("train_loss", np.array([loss_t.item()]))]
        if dense:
            gt = torch.autograd.grad(loss_t, list(mt.parameters()))
            tensors.append(("train_grad", torch.cat([t.reshape(-1) for t in gt]).numpy()))
        for n, m in mt.named_modules():
            if isinstance(m, nn.BatchNorm2d):
                tensors += [(f"train.{n}.running_mean", m.running_mean.numpy().copy()),
                            (f"train.{n}.running_var", m.running_var.numpy().copy())]
        meta["train_loss"] = repr(loss_t.item())
        report += f" train_loss={loss_t.item():.12g}"

    path = os.path.join(out, f"{name}.ref.safetensors")
    write_safetensors(path, tensors, meta)
    back, bm = read_safetensors(path)
    assert set(back) == {n for n, _ in tensors} and bm["model"] == name
    for n, a in tensors:
        assert np.array_equal(back[n], a), n
    wb, _ = read_safetensors(os.path.join(out, f"{name}.weights.safetensors"))
    assert np.array_equal(flat([(k, torch.from_numpy(wb[k].copy())) for k in pnames]).numpy(), flat(model.named_parameters()).numpy())
    print(report, file=sys.stderr, flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument("--only", default="", help="comma-separated model names (default: all)")
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    names = a.only.split(",") if a.only else list(MODELS)
    for n in names:
        if n not in MODELS:
            sys.exit(f"unknown model {n!r} (have {', '.join(MODELS)})")
    for n in names:
        make(n, list(MODELS).index(n), a.out)


if __name__ == "__main__":
    main()
