#!/usr/bin/python3
"""PyTorch CPU peer of GpuAe's built-in presets (src/GpuAe/Models/Presets.cs).

Trains the same autoencoders with the same recipe (layer sizes, activations, Keras/TensorFlow 'same'
padding, Glorot-uniform weights, zero biases, Adam/RMSprop hyper-parameters, batch size, shuffled
drop-last epochs) so that epoch times and losses can be put side by side with `gpuae train`.

Run with Debian's interpreter (python3-torch): /usr/bin/python3 benchmarks/compare/pytorch_ae.py --model dense32
"""
import argparse
import gzip
import json
import math
import os
import platform
import re
import sys
import time

import numpy as np


def _early_flag(name, default):
    """Reads one flag from argv before torch is imported (OpenMP/OpenBLAS read their env vars at load)."""
    for i, a in enumerate(sys.argv):
        if a == name and i + 1 < len(sys.argv):
            return sys.argv[i + 1]
        if a.startswith(name + "="):
            return a.split("=", 1)[1]
    return default


# On a shared machine, GNU OpenMP's default spin-waiting makes every parallel region wait for a
# descheduled sibling thread: measured here under load ~10 on 2 cores, dense32 took 14-25 s/epoch with
# 2 spinning threads vs 1.7 s with passive waiting. Default to passive (override with --omp-wait active,
# or by setting OMP_WAIT_POLICY yourself), and give Debian's OpenBLAS (its own pthread pool, not governed
# by torch.set_num_threads) the same thread count as torch.
if _early_flag("--omp-wait", "passive") != "default":
    os.environ.setdefault("OMP_WAIT_POLICY", _early_flag("--omp-wait", "passive").upper())
os.environ.setdefault("OPENBLAS_NUM_THREADS", _early_flag("--threads", "2"))

import torch  # noqa: E402  (after the environment above)
import torch.nn as nn
import torch.nn.functional as F

MNIST_FILES = {
    "train": "train-images-idx3-ubyte",
    "test": "t10k-images-idx3-ubyte",
}


# ----------------------------------------------------------------------------- data

def read_idx(path):
    """Reads an IDX file (optionally .gz) into a numpy array of its declared type and shape."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise ValueError(f"{path}: not an IDX file (bad magic)")
    dtypes = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
    if data[2] not in dtypes:
        raise ValueError(f"{path}: unknown IDX element type 0x{data[2]:02x}")
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    offset = 4 + 4 * ndim
    arr = np.frombuffer(data, dtype=dtypes[data[2]], offset=offset, count=int(np.prod(dims)))
    return arr.reshape(dims)


def find_file(directory, name):
    for candidate in (name, name + ".gz"):
        p = os.path.join(directory, candidate)
        if os.path.exists(p):
            return p
    raise FileNotFoundError(f"{name}(.gz) not found in {directory}")


def load_images(directory, split):
    """[N, 1, 28, 28] float32 in [0, 1] (pixel / 255, as GpuAe's Dataset)."""
    raw = read_idx(find_file(directory, MNIST_FILES[split]))
    x = torch.from_numpy(raw.astype(np.float32) / np.float32(255.0))
    return x.reshape(-1, 1, raw.shape[1], raw.shape[2]).contiguous()


# ----------------------------------------------------------------------------- layers

def same_pad(size, window, stride):
    """TensorFlow 'same' padding (before, after): the odd pixel goes after (GpuAe PaddingMath.Amount)."""
    out = (size + stride - 1) // stride
    total = max((out - 1) * stride + window - size, 0)
    return total // 2, total - total // 2


class Flatten(nn.Module):
    def forward(self, x):
        return x.reshape(x.shape[0], -1)


class Reshape(nn.Module):
    def __init__(self, *shape):
        super().__init__()
        self.shape = shape

    def forward(self, x):
        return x.reshape(x.shape[0], *self.shape)


class SameConv2d(nn.Conv2d):
    """3x3 stride-1 conv with Keras padding ('same' = symmetric 1 for odd kernels, or 'valid')."""
    def __init__(self, cin, cout, k, padding="same"):
        pad = (k - 1) // 2 if padding == "same" else 0
        if padding == "same" and k % 2 == 0:
            raise ValueError("even 'same' kernels would need asymmetric padding")
        super().__init__(cin, cout, k, stride=1, padding=pad)


class SameMaxPool2d(nn.Module):
    """2x2/2 max-pool with TensorFlow 'same' padding: 7x7 -> 4x4, padded bottom/right with -inf
    (padding never wins the max, exactly as TensorFlow and GpuAe ignore it)."""
    def __init__(self, size=2):
        super().__init__()
        self.size = size

    def forward(self, x):
        h, w = x.shape[-2], x.shape[-1]
        top, bottom = same_pad(h, self.size, self.size)
        left, right = same_pad(w, self.size, self.size)
        if top or bottom or left or right:
            x = F.pad(x, (left, right, top, bottom), value=float("-inf"))
        return F.max_pool2d(x, self.size, self.size)


class UpSample(nn.Module):
    def __init__(self, scale=2):
        super().__init__()
        self.scale = scale

    def forward(self, x):
        return F.interpolate(x, scale_factor=self.scale, mode="nearest")


def act(name):
    return {"relu": nn.ReLU(), "linear": nn.Identity()}[name]


# ----------------------------------------------------------------------------- presets

def mirrored(widths, hidden, code):
    """Dense encoder through widths (last = code) and mirrored decoder back to 784 outputs.
    The final sigmoid is not in the module: the loss applies it (BCE on logits) or the MSE path does."""
    layers, prev = [Flatten()], 784
    for i, w in enumerate(widths):
        layers += [nn.Linear(prev, w), act(code if i == len(widths) - 1 else hidden)]
        prev = w
    for w in reversed(widths[:-1]):
        layers += [nn.Linear(prev, w), act(hidden)]
        prev = w
    layers += [nn.Linear(prev, 784), Reshape(1, 28, 28)]
    return nn.Sequential(*layers)


def keras_conv():
    return nn.Sequential(
        SameConv2d(1, 16, 3), nn.ReLU(), SameMaxPool2d(),      # 16x14x14
        SameConv2d(16, 8, 3), nn.ReLU(), SameMaxPool2d(),      # 8x7x7
        SameConv2d(8, 8, 3), nn.ReLU(), SameMaxPool2d(),       # 8x4x4 code (TF 'same' pool)
        SameConv2d(8, 8, 3), nn.ReLU(), UpSample(),            # 8x8x8
        SameConv2d(8, 8, 3), nn.ReLU(), UpSample(),            # 8x16x16
        SameConv2d(8, 16, 3, "valid"), nn.ReLU(), UpSample(),  # 16x14x14 -> 16x28x28
        SameConv2d(16, 1, 3),                                  # 1x28x28 logits
    )


def conv_dense():
    return nn.Sequential(
        SameConv2d(1, 16, 3), nn.ReLU(), SameMaxPool2d(),      # 16x14x14
        SameConv2d(16, 8, 3), nn.ReLU(), SameMaxPool2d(),      # 8x7x7
        Flatten(), nn.Linear(392, 32), nn.ReLU(),              # code 32
        nn.Linear(32, 392), nn.ReLU(), Reshape(8, 7, 7),
        UpSample(), SameConv2d(8, 16, 3), nn.ReLU(),           # 16x14x14
        UpSample(), SameConv2d(16, 1, 3),                      # 1x28x28 logits
    )


# name -> (builder, loss, optimizer, lr, batch, preset epochs)
PRESETS = {
    "dense32":      (lambda: mirrored([32], "relu", "relu"), "bce", "adam", 1e-3, 256, 50),
    "deep":         (lambda: mirrored([128, 64, 32], "relu", "relu"), "bce", "adam", 1e-3, 256, 100),
    "mlp256":       (lambda: mirrored([256, 32], "relu", "relu"), "mse", "adam", 1e-3, 64, 20),
    "deep3":        (lambda: mirrored([256, 128, 64, 12, 3], "relu", "linear"), "bce", "adam", 1e-3, 256, 30),
    "deep-rmsprop": (lambda: mirrored([512, 256, 128, 64, 32], "relu", "relu"), "mse", "rmsprop", 1e-3, 256, 30),
    "conv":         (keras_conv, "bce", "adam", 1e-3, 128, 50),
    "conv-dense":   (conv_dense, "bce", "adam", 1e-3, 128, 30),
}


def glorot_zero(model):
    """Glorot-uniform weights (fan_in/fan_out include the kernel area for convs, as Keras), zero biases."""
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)


def recon_loss(kind, logits, x):
    """Per-pixel mean loss of the batch: BCE on logits (sigmoid output) or MSE of sigmoid(logits)."""
    if kind == "bce":
        return F.binary_cross_entropy_with_logits(logits, x)
    return F.mse_loss(torch.sigmoid(logits), x)


@torch.no_grad()
def evaluate(model, kind, data, batch):
    """Per-pixel mean loss and MSE over the whole set, in order, every sample."""
    model.eval()
    loss_sum = 0.0
    mse_sum = 0.0
    for start in range(0, data.shape[0], batch):
        x = data[start:start + batch]
        logits = model(x)
        n = x.numel()
        loss_sum += recon_loss(kind, logits, x).item() * n
        mse_sum += F.mse_loss(torch.sigmoid(logits), x).item() * n
    model.train()
    return loss_sum / data.numel(), mse_sum / data.numel()


def blas_info():
    cfg = torch.__config__.show()
    m = re.search(r"BLAS_INFO=([^,\s]+)", cfg)
    lapack = re.search(r"LAPACK_INFO=([^,\s]+)", cfg)
    mkldnn = "USE_MKLDNN=ON" in cfg or "USE_MKLDNN=1" in cfg
    return {"blas": m.group(1) if m else "unknown", "lapack": lapack.group(1) if lapack else "unknown",
            "mkldnn": mkldnn}


def load_average():
    try:
        return list(os.getloadavg())
    except OSError:
        return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="dense32", choices=sorted(PRESETS))
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--omp-wait", default="passive", choices=["passive", "active", "default"],
                    help="OMP_WAIT_POLICY to set before torch loads (default passive; 'default' leaves it unset)")
    ap.add_argument("--data", default=os.path.expanduser("~/.cache/gpuae/mnist"))
    ap.add_argument("--train-samples", type=int, default=0,
                    help="train on only the first N samples of each epoch's permutation (0 = all 60000); "
                         "for capping very slow epochs, say so when reporting")
    ap.add_argument("--json", default=None, help="write the run (config + per-epoch metrics) here")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    build, kind, opt_name, lr, batch, preset_epochs = PRESETS[args.model]

    train = load_images(args.data, "train")
    test = load_images(args.data, "test")
    model = build()
    glorot_zero(model)
    params = sum(p.numel() for p in model.parameters())
    if opt_name == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.999), eps=1e-7)
    else:
        opt = torch.optim.RMSprop(model.parameters(), lr=lr, alpha=0.9, eps=1e-7, momentum=0.0, centered=False)

    n_train = train.shape[0] if args.train_samples <= 0 else min(args.train_samples, train.shape[0])
    steps = n_train // batch   # drop-last
    gen = torch.Generator().manual_seed(args.seed)

    run = {
        "peer": "pytorch-cpu",
        "model": args.model, "loss": kind, "optimizer": opt_name, "lr": lr, "batch": batch,
        "preset_epochs": preset_epochs, "epochs": args.epochs, "threads": torch.get_num_threads(),
        "seed": args.seed, "parameters": params, "train_samples_per_epoch": steps * batch,
        "torch": torch.__version__, "python": platform.python_version(), **blas_info(),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
        "openblas_num_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
        "load_average_start": load_average(), "epochs_metrics": [],
    }
    print(f"# pytorch {torch.__version__} ({run['blas']}, mkldnn={run['mkldnn']}), threads {run['threads']} "
          f"(OMP_WAIT_POLICY={run['omp_wait_policy']}, OPENBLAS_NUM_THREADS={run['openblas_num_threads']}), "
          f"{args.model}: {params} parameters, {kind}, {opt_name} lr {lr}, batch {batch}, "
          f"{steps} steps/epoch, load {run['load_average_start']}", flush=True)

    for epoch in range(1, args.epochs + 1):
        t0 = time.perf_counter()
        order = torch.randperm(train.shape[0], generator=gen)
        acc = torch.zeros(())
        for s in range(steps):
            x = train.index_select(0, order[s * batch:(s + 1) * batch])
            loss = recon_loss(kind, model(x), x)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            acc += loss.detach()
        train_loss = acc.item() / steps
        seconds = time.perf_counter() - t0
        if not math.isfinite(train_loss):
            sys.exit(f"training loss became {train_loss} in epoch {epoch}")
        val_loss, val_mse = evaluate(model, kind, test, batch)
        m = {"epoch": epoch, "train_loss": train_loss, "val_loss": val_loss, "val_mse": val_mse,
             "epoch_seconds": seconds, "samples_per_second": steps * batch / seconds,
             "load_average": load_average()}
        run["epochs_metrics"].append(m)
        print(f"epoch {epoch}: train {kind} {train_loss:.4f}  val {kind} {val_loss:.4f}  val mse {val_mse:.5f}  "
              f"{seconds:.2f} s  {m['samples_per_second']:.0f} samples/s  load {m['load_average'][0]:.2f}",
              flush=True)

    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(run, f, indent=2)


if __name__ == "__main__":
    main()
