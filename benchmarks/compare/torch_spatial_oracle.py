#!/usr/bin/env python3
"""PyTorch oracle for GpuAe's spatial layers (issue #11): Conv2d, ConvTranspose2d, MaxPool2d, AvgPool2d and
Upsample with PyTorch's options, on small odd-sized cases. For each case it writes the layer in GpuAe's spec JSON
dialect, the input x, the parameters (PyTorch layouts, which GpuAe shares), the forward output y, a random output
gradient dy, and the gradients dx, d(weight), d(bias) from autograd, all float32 (each printed as the shortest
decimal that reads back as the same float32).

    python3 benchmarks/compare/torch_spatial_oracle.py > tests/GpuAe.Tests/Layers/Fixtures/torch_spatial_oracle.json

tests/GpuAe.Tests/Layers/TorchSpatialOracleTests.cs compares GpuAe's CPU and OpenCL backends with the file.
Deterministic: a fixed seed, CPU, one thread.
"""
import json
import sys

import numpy
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(20261130)
torch.set_num_threads(1)


def conv_spec(filters, k, s, p, d, activation="linear", transpose=False, op=None):
    spec = {"type": "conv2d_transpose" if transpose else "conv2d", "filters": filters, "kernel": k[0],
            "activation": activation, "padding": "explicit", "stride": s[0],
            "kernel_w": k[1], "stride_w": s[1], "pad": p[0], "pad_w": p[1], "dilation": d[0], "dilation_w": d[1]}
    if op is not None:
        spec["output_padding"], spec["output_padding_w"] = op
    return spec


def pool_spec(kind, k, s, p, ceil, count_include_pad=None):
    spec = {"type": kind, "size": k[0], "padding": "explicit", "stride": s[0],
            "size_w": k[1], "stride_w": s[1], "pad": p[0], "pad_w": p[1], "ceil_mode": ceil}
    if count_include_pad is not None:
        spec["count_include_pad"] = count_include_pad
    return spec


def pair(v):
    return v if isinstance(v, tuple) else (v, v)


def case(name, spec, shape, module=None, forward=None):
    """Runs module (or forward(x)) on a random x of `shape` and backpropagates a random dy."""
    x = (torch.rand(shape) * 2 - 1).requires_grad_(True)
    params = list(module.parameters()) if module is not None else []
    y = forward(x) if forward is not None else module(x)
    dy = torch.rand(y.shape) * 2 - 1
    grads = torch.autograd.grad(y, [x] + params, dy)
    out = {"name": name, "layer": spec, "input_shape": list(shape), "x": flat(x), "y": flat(y), "dy": flat(dy), "dx": flat(grads[0])}
    if params:
        out["weight"], out["bias"] = flat(params[0]), flat(params[1])
        out["dweight"], out["dbias"] = flat(grads[1]), flat(grads[2])
    return out


def flat(t):
    # the shortest decimal that reads back as the same float32 (numpy's repr of a float32)
    return [float(repr(v)) for v in t.detach().reshape(-1).numpy().astype(numpy.float32)]


def conv(name, c, filters, k, s=1, p=0, d=1, shape=None, activation="linear"):
    k, s, p, d = pair(k), pair(s), pair(p), pair(d)
    m = nn.Conv2d(c, filters, k, stride=s, padding=p, dilation=d)
    act = {"linear": lambda v: v, "sigmoid": torch.sigmoid, "relu": torch.relu}[activation]
    return case(name, conv_spec(filters, k, s, p, d, activation), shape, m, lambda x: act(m(x)))


def conv_t(name, c, filters, k, s=1, p=0, op=0, d=1, shape=None):
    k, s, p, op, d = pair(k), pair(s), pair(p), pair(op), pair(d)
    m = nn.ConvTranspose2d(c, filters, k, stride=s, padding=p, output_padding=op, dilation=d)
    return case(name, conv_spec(filters, k, s, p, d, transpose=True, op=op), shape, m)


def maxpool(name, k, s=None, p=0, ceil=False, shape=None):
    k, p = pair(k), pair(p)
    s = pair(s) if s is not None else k
    return case(name, pool_spec("maxpool2d", k, s, p, ceil), shape,
                forward=lambda x: F.max_pool2d(x, k, s, p, ceil_mode=ceil))


def avgpool(name, k, s=None, p=0, ceil=False, count_include_pad=True, shape=None):
    k, p = pair(k), pair(p)
    s = pair(s) if s is not None else k
    return case(name, pool_spec("avgpool2d", k, s, p, ceil, count_include_pad), shape,
                forward=lambda x: F.avg_pool2d(x, k, s, p, ceil_mode=ceil, count_include_pad=count_include_pad))


def upsample(name, scale, mode, align=None, shape=None):
    sh, sw = pair(scale)
    spec = {"type": "upsample2d", "scale": sh}
    if sw != sh:
        spec["scale_w"] = sw
    if mode == "bilinear":
        spec["mode"], spec["align_corners"] = "bilinear", align
    return case(name, spec, shape, forward=lambda x: F.interpolate(x, scale_factor=(float(sh), float(sw)), mode=mode, align_corners=align))


def keras_same_transpose(name, c, filters, k, s, shape):
    """GpuAe's Keras convention: ConvTranspose2d(padding=0) keeping the leading H*stride rows and columns."""
    m = nn.ConvTranspose2d(c, filters, k, stride=s, padding=0)
    h, w = shape[2] * s, shape[3] * s
    spec = {"type": "conv2d_transpose", "filters": filters, "kernel": k, "activation": "linear", "padding": "same", "stride": s}
    return case(name, spec, shape, m, lambda x: m(x)[:, :, :h, :w])


CASES = [
    conv("conv 3x5 stride 2x1 pad 1x2 dilation 1x2", 3, 4, (3, 5), (2, 1), (1, 2), (1, 2), shape=(2, 3, 11, 13)),
    conv("conv 3x3 stride 2 valid on 7x7", 2, 3, 3, 2, 0, shape=(1, 2, 7, 7)),
    conv("conv 2x3 stride 3x2 pad 1x0 on primes", 1, 2, (2, 3), (3, 2), (1, 0), shape=(2, 1, 17, 7)),
    conv("conv 3x3 dilation 2 pad 2 sigmoid", 2, 2, 3, 1, 2, 2, shape=(1, 2, 5, 7), activation="sigmoid"),
    conv("conv 1x1 stride 2", 3, 5, 1, 2, 0, shape=(2, 3, 5, 6)),
    conv_t("conv_transpose 3x3 stride 2 pad 1 output_padding 1", 3, 2, 3, 2, 1, 1, shape=(2, 3, 7, 5)),
    conv_t("conv_transpose 2x4 stride 3x2 pad 0x1 output_padding 2x1 dilation 1x2", 2, 3, (2, 4), (3, 2), (0, 1), (2, 1), (1, 2), shape=(1, 2, 4, 5)),
    conv_t("conv_transpose 4x4 stride 2 pad 1", 2, 2, 4, 2, 1, 0, shape=(2, 2, 5, 3)),
    conv_t("conv_transpose 3x3 dilation 2 pad 2 output_padding 1 (output_padding >= stride)", 1, 2, 3, 1, 2, 1, 2, shape=(1, 1, 6, 5)),
    conv_t("conv_transpose 5x3 stride 1 pad 0", 2, 3, (5, 3), 1, 0, 0, shape=(1, 2, 3, 4)),
    keras_same_transpose("conv_transpose keras same 3x3 stride 2 (= padding 0, leading rows)", 2, 3, 3, 2, shape=(2, 2, 4, 5)),
    maxpool("maxpool 3 stride 2 pad 1 ceil", 3, 2, 1, True, shape=(2, 3, 8, 8)),
    maxpool("maxpool 2x3 ceil on primes", (2, 3), None, 0, True, shape=(1, 2, 7, 11)),
    maxpool("maxpool 2 stride 2 pad 1 ceil drops the window starting in padding", 2, 2, 1, True, shape=(1, 1, 5, 5)),
    maxpool("maxpool 3 stride 1 pad 1", 3, 1, 1, False, shape=(1, 2, 5, 6)),
    maxpool("maxpool 3x2 stride 2x1 pad 1x0 floor", (3, 2), (2, 1), (1, 0), False, shape=(2, 1, 9, 4)),
    avgpool("avgpool 3 stride 2 pad 1 ceil count_include_pad", 3, 2, 1, True, True, shape=(2, 2, 8, 8)),
    avgpool("avgpool 3 stride 2 pad 1 ceil exclude pad", 3, 2, 1, True, False, shape=(2, 2, 8, 8)),
    avgpool("avgpool 2x3 ceil overhang count_include_pad", (2, 3), None, 0, True, True, shape=(1, 2, 7, 11)),
    avgpool("avgpool 3 stride 2 pad 1 floor exclude pad", 3, 2, 1, False, False, shape=(1, 2, 13, 5)),
    avgpool("avgpool 2 stride 2 pad 1 ceil count_include_pad", 2, 2, 1, True, True, shape=(1, 1, 5, 5)),
    avgpool("avgpool 3x2 stride 1x2 pad 1x1 floor count_include_pad", (3, 2), (1, 2), (1, 1), False, True, shape=(1, 3, 4, 7)),
    upsample("bilinear x2", 2, "bilinear", False, shape=(2, 3, 5, 7)),
    upsample("bilinear x2 align_corners", 2, "bilinear", True, shape=(2, 3, 5, 7)),
    upsample("bilinear x3 from one row", 3, "bilinear", False, shape=(1, 2, 1, 4)),
    upsample("bilinear x3 align_corners one column", 3, "bilinear", True, shape=(1, 1, 4, 1)),
    upsample("bilinear x2x3", (2, 3), "bilinear", False, shape=(1, 1, 3, 5)),
    upsample("bilinear x2x3 align_corners", (2, 3), "bilinear", True, shape=(1, 2, 3, 5)),
    upsample("nearest x2x3", (2, 3), "nearest", None, shape=(1, 2, 3, 4)),
]

json.dump({"generator": f"benchmarks/compare/torch_spatial_oracle.py, torch {torch.__version__}", "cases": CASES}, sys.stdout)
sys.stdout.write("\n")
