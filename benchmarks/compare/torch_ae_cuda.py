#!/usr/bin/env python3
"""One-epoch time of the GpuAe presets in PyTorch on the GPU: eager, and the whole step in a CUDA graph.

Same recipe as the presets (MNIST 60k train, dataset on the GPU, per-epoch shuffle by a device randperm,
a batch gathered by index, BCE on logits = sigmoid folded into the loss, Adam 1e-3, Keras-style Glorot
init), dropping the last partial batch like GpuAe. The graph variant captures forward + loss + backward +
optimizer.step (capturable Adam) with static input tensors, copying each batch into them by index_select
inside the graph from a device-side step counter, so the epoch has no host sync except the final loss read.

    python3 benchmarks/compare/torch_ae_cuda.py --mnist DIR [--presets dense32,deep,conv] [--epochs 3] [--json out.json]
"""
import argparse, gzip, json, os, statistics, sys, time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load_mnist(directory):
    for name in ("train-images-idx3-ubyte", "train-images.idx3-ubyte", "train-images-idx3-ubyte.gz"):
        p = os.path.join(directory, name)
        if os.path.exists(p):
            return read_idx(p).astype(np.float32) / 255.0
    sys.exit(f"no MNIST train images in {directory}")


def dense(widths):
    layers, sizes = [nn.Flatten()], [784] + widths
    for i in range(len(widths)):
        layers += [nn.Linear(sizes[i], sizes[i + 1]), nn.ReLU()]
    back = widths[::-1][1:] + [784]
    prev = widths[-1]
    for i, w in enumerate(back):
        layers.append(nn.Linear(prev, w))
        if i < len(back) - 1:
            layers.append(nn.ReLU())
        prev = w
    return nn.Sequential(*layers)   # logits; the sigmoid is folded into the loss


def conv():
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True),
        nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), nn.Upsample(scale_factor=2),
        nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), nn.Upsample(scale_factor=2),
        nn.Conv2d(8, 16, 3), nn.ReLU(), nn.Upsample(scale_factor=2),
        nn.Conv2d(16, 1, 3, padding=1), nn.Flatten())


PRESETS = {
    "dense32": (lambda: dense([32]), 256),
    "deep": (lambda: dense([128, 64, 32]), 256),
    "mlp256": (lambda: dense([256, 32]), 64),
    "conv": (conv, 128),
}


def init(model):
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)


def run(preset, images, epochs, graphs):
    build, batch = PRESETS[preset]
    torch.manual_seed(0)
    model = build().cuda()
    init(model)
    n = images.shape[0]
    steps = n // batch
    conv_input = preset.startswith("conv")
    x_static = torch.empty((batch, 1, 28, 28) if conv_input else (batch, 784), device="cuda")
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7, capturable=graphs)
    flat = images.view(n, -1)
    loss_sum = torch.zeros((), device="cuda")

    def step():
        out = model(x_static)
        loss = F.binary_cross_entropy_with_logits(out, x_static.view(batch, -1))
        opt.zero_grad(set_to_none=False)
        loss.backward()
        opt.step()
        loss_sum.add_(loss.detach())

    order = torch.empty(n, dtype=torch.long, device="cuda")
    counter = torch.zeros((), dtype=torch.long, device="cuda")
    graph = None
    if graphs:
        s = torch.cuda.Stream()
        s.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(s):
            for _ in range(3):      # warm-up on a side stream, as the CUDA-graphs docs require
                x_static.copy_(flat[:batch].view_as(x_static))
                step()
        torch.cuda.current_stream().wait_stream(s)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            idx = order[:steps * batch].view(steps, batch)
            rows = idx.index_select(0, counter.view(1)).view(batch)
            x_static.copy_(flat.index_select(0, rows).view_as(x_static))
            step()
            counter.add_(1)
    times, losses = [], []
    for _ in range(epochs):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        order.copy_(torch.randperm(n, device="cuda"))
        loss_sum.zero_()
        counter.zero_()
        for s_i in range(steps):
            if graph is not None:
                graph.replay()
            else:
                x_static.copy_(flat.index_select(0, order[s_i * batch:(s_i + 1) * batch]).view_as(x_static))
                step()
        mean_loss = loss_sum.item() / steps    # the one sync per epoch
        times.append(time.perf_counter() - t0)
        losses.append(mean_loss)
    return times, losses


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--mnist", required=True)
    p.add_argument("--presets", default="dense32,deep,conv")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--json")
    args = p.parse_args()
    if not torch.cuda.is_available():
        sys.exit("torch.cuda is not available: run this on the GPU machine")
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    images = torch.from_numpy(load_mnist(args.mnist)).cuda()
    print(f"# PyTorch {torch.__version__} on {torch.cuda.get_device_name()}: one epoch of MNIST (60k), dataset on the GPU\n")
    print("| preset | mode | epoch (s), median of later epochs | first epoch (s) | train BCE (last epoch) |")
    print("|---|---|---:|---:|---:|")
    records = []
    for preset in args.presets.split(","):
        for graphs in (False, True):
            times, losses = run(preset, images, args.epochs, graphs)
            steady = statistics.median(times[1:]) if len(times) > 1 else times[0]
            mode = "cuda-graph" if graphs else "eager"
            print(f"| {preset} | {mode} | {steady:.3f} | {times[0]:.3f} | {losses[-1]:.4f} |")
            records.append(dict(preset=preset, mode=mode, epoch_seconds=steady, first_epoch=times[0], losses=losses))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(device=torch.cuda.get_device_name(), torch=torch.__version__, rows=records), f, indent=1)


if __name__ == "__main__":
    main()
