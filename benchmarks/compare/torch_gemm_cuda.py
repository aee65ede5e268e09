#!/usr/bin/env python3
"""cuBLAS SGEMM (through torch.mm) on the shapes the GpuAe CUDA GEMM is benchmarked on.

The peer for `gpuae bench gemm --backend cuda`: same shapes, same timing rule (CUDA events around N
launches after warm-up, median of 5 repeats), FP32 with TF32 disabled unless --tf32.
Prints a Markdown table; --json writes one record per shape (benchmarks/results/cuda-gemm-*.json).

    python3 benchmarks/compare/torch_gemm_cuda.py [--tf32] [--json out.json]
"""
import argparse, json, statistics, sys

import torch

SQUARE = [256, 512, 1024, 2048, 4096]
# the autoencoders' shapes (batch 256): (m, n, k, transA, transB, what)
AE = [
    (256, 32, 784, False, False, "dense32 encoder fwd  X·W1"),
    (256, 784, 32, False, False, "dense32 decoder fwd  H·W2"),
    (256, 32, 784, False, True, "dense32 dH = dY·W2ᵀ"),
    (784, 32, 256, True, False, "dense32 dW1 = Xᵀ·dH"),
    (32, 784, 256, True, False, "dense32 dW2 = Hᵀ·dY"),
    (256, 128, 784, False, False, "deep layer 1 fwd"),
    (784, 128, 256, True, False, "deep dW1"),
    (16, 100352, 9, False, False, "conv1 (im2col) 16 x (128·28·28) x 9"),
]


def time_mm(a, b, transA, transB, iters):
    A = a.t() if transA else a
    B = b.t() if transB else b
    for _ in range(3):
        torch.mm(A, B)
    torch.cuda.synchronize()
    samples = []
    for _ in range(5):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(iters):
            torch.mm(A, B)
        end.record()
        end.synchronize()
        samples.append(start.elapsed_time(end) / iters * 1e-3)
    return statistics.median(samples)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--tf32", action="store_true", help="allow TF32 tensor cores (default: strict FP32)")
    p.add_argument("--json")
    args = p.parse_args()
    if not torch.cuda.is_available():
        sys.exit("torch.cuda is not available: run this on the GPU machine")
    torch.backends.cuda.matmul.allow_tf32 = args.tf32
    dev = torch.device("cuda")
    shapes = [(s, s, s, False, False, f"square {s}") for s in SQUARE] + AE
    rows = []
    print(f"# cuBLAS via torch.mm on {torch.cuda.get_device_name()} (torch {torch.__version__}, CUDA {torch.version.cuda}, "
          f"{'TF32' if args.tf32 else 'FP32'})\n")
    print("| shape | m | n | k | op | time (µs) | GFLOP/s |")
    print("|---|---:|---:|---:|---|---:|---:|")
    for m, n, k, ta, tb, what in shapes:
        a = torch.rand((k, m) if ta else (m, k), device=dev)
        b = torch.rand((n, k) if tb else (k, n), device=dev)
        iters = max(3, min(1000, int(2e10 / (2 * m * n * k + 1))))
        t = time_mm(a, b, ta, tb, iters)
        gflops = 2 * m * n * k / t / 1e9
        op = ("T" if ta else "N") + ("T" if tb else "N")
        rows.append(dict(shape=what, m=m, n=n, k=k, op=op, seconds=t, gflops=gflops, provider="cublas-torch",
                         precision="tf32" if args.tf32 else "fp32"))
        print(f"| {what} | {m} | {n} | {k} | {op} | {t * 1e6:.1f} | {gflops:.0f} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(device=torch.cuda.get_device_name(), torch=torch.__version__, rows=rows), f, indent=1)


if __name__ == "__main__":
    main()
