#!/usr/bin/python3
"""Tabular anomaly detection on scikit-learn's Wisconsin breast-cancer table (issue #14, item 5a).

Protocol: 569 rows x 30 features, target 1 = benign (357 rows, the normal class), 0 = malignant (212, the anomalies).
Train on 250 benign rows, score the 107 held-out benign rows and all 212 malignant rows, ROC AUC and average precision
over those 319 rows. The split is GpuAe's (`gpuae anomaly --train-rows 250 --seed S`, the `split` column of its
scores.csv), so every method below sees exactly the same rows for each seed:

- GpuAe: `gpuae anomaly` with its default tabular model 30-16-4-16-30 (ReLU, linear code and output, MSE, Adam 1e-3,
  batch 32, 300 epochs, features standardised on the training rows), plus the recipe variants of --search;
- PyTorch AE of the same architecture and recipe (Glorot-uniform weights, zero biases and drop-last batches as GpuAe;
  and once more with PyTorch's default nn.Linear init and keep-last batches);
- PCA reconstruction error (k = 2), IsolationForest and One-Class SVM from scikit-learn (defaults), on the same
  standardised features.

Writes benchmarks/results/anomaly-breast-cancer.md (and .json) with the commands, date, machine and load.
Run from the repository root: /usr/bin/python3 benchmarks/compare/anomaly_breast_cancer.py [--seeds 1 2 3 4 5] [--search]
"""
import argparse
import csv
import json
import os
import platform
import subprocess
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import torch
from sklearn.datasets import load_breast_cancer
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.svm import OneClassSVM

CSV = "tests/data/breast_cancer.csv"
TRAIN_ROWS = 250
# recipe variants tried with --search: (name, extra gpuae anomaly options)
SEARCH = [
    ("30-16-8-16-30", ["--layers", "16,8"]),
    ("30-16-2-16-30", ["--layers", "16,2"]),
    ("30-8-30", ["--layers", "8"]),
    ("30-20-10-4-10-20-30", ["--layers", "20,10,4"]),
    ("30-64-16-64-30", ["--layers", "64,16"]),
    ("30-16-4-16-30, 100 epochs", ["--epochs", "100"]),
    ("30-16-4-16-30, 1000 epochs", ["--epochs", "1000"]),
    ("30-16-4-16-30, minmax + denoising 0.05", ["--scale", "minmax", "--noise", "0.05"]),
    ("30-16-4-16-30, minmax", ["--scale", "minmax"]),
]


def write_csv(path):
    """The table as a plain CSV with a header (feature names with underscores, then target); checks the shipped copy."""
    data = load_breast_cancer()
    names = [n.replace(" ", "_") for n in data.feature_names]
    lines = [",".join(names + ["target"])]
    lines += [",".join([repr(float(v)) for v in row] + [str(int(t))]) for row, t in zip(data.data, data.target)]
    text = "\n".join(lines) + "\n"
    if os.path.exists(path):
        with open(path) as f:
            if f.read() != text:
                sys.exit(f"{path} differs from scikit-learn's load_breast_cancer(); delete it to rewrite it")
    else:
        with open(path, "w") as f:
            f.write(text)
    return data.data.astype(np.float64), data.target


def gpuae(gpuae_cmd, seed, out, extra):
    """Runs gpuae anomaly; returns (split per row, score per row, anomaly.json, seconds, command)."""
    cmd = gpuae_cmd + ["anomaly", "--data", CSV, "--label-column", "target", "--normal-label", "1",
                       "--train-rows", str(TRAIN_ROWS), "--seed", str(seed), "--backend", "cpu", "--out", out] + extra
    start = time.time()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    seconds = time.time() - start
    with open(os.path.join(out, "scores.csv")) as f:
        rows = list(csv.DictReader(f))
    with open(os.path.join(out, "anomaly.json")) as f:
        summary = json.load(f)
    return [r["split"] for r in rows], np.array([float(r["score"]) for r in rows]), summary, seconds, " ".join(cmd)


def torch_ae(x_train, x_eval, seed, glorot=True, epochs=300, batch=32, lr=1e-3):
    """30-16-4-16-30: ReLU hidden layers, linear code and output, MSE, Adam; score = mean squared error per feature."""
    torch.manual_seed(seed)
    d = x_train.shape[1]
    layers = [torch.nn.Linear(d, 16), torch.nn.ReLU(), torch.nn.Linear(16, 4),
              torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, d)]
    model = torch.nn.Sequential(*layers)
    if glorot:
        for m in model:
            if isinstance(m, torch.nn.Linear):
                torch.nn.init.xavier_uniform_(m.weight)
                torch.nn.init.zeros_(m.bias)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    xt = torch.tensor(x_train, dtype=torch.float32)
    n = len(xt)
    steps = n // batch if glorot else (n + batch - 1) // batch  # GpuAe drops the last partial batch; PyTorch's DataLoader keeps it
    for _ in range(epochs):
        perm = torch.randperm(n)
        for s in range(steps):
            xb = xt[perm[s * batch:(s + 1) * batch]]
            loss = torch.nn.functional.mse_loss(model(xb), xb)
            opt.zero_grad()
            loss.backward()
            opt.step()
    with torch.no_grad():
        xe = torch.tensor(x_eval, dtype=torch.float32)
        return ((model(xe) - xe) ** 2).mean(dim=1).numpy().astype(np.float64)


def peers(x, split, seed):
    """ROC AUC and AP of the scikit-learn peers and the PyTorch AEs on GpuAe's split."""
    split = np.array(split)
    train, evaluated = split == "train", split != "train"
    mean, sd = x[train].mean(axis=0), x[train].std(axis=0)
    z = (x - mean) / np.where(sd > 0, sd, 1)
    zt, ze = z[train], z[evaluated]
    out = {}
    pca = PCA(n_components=2).fit(zt)
    out["PCA k=2"] = ((pca.inverse_transform(pca.transform(ze)) - ze) ** 2).mean(axis=1)
    out["IsolationForest"] = -IsolationForest(random_state=seed).fit(zt).decision_function(ze)
    out["One-Class SVM"] = -OneClassSVM().fit(zt).decision_function(ze)
    out["PyTorch AE (GpuAe's init, drop-last)"] = torch_ae(zt, ze, seed, glorot=True)
    out["PyTorch AE (PyTorch default init)"] = torch_ae(zt, ze, seed, glorot=False)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    ap.add_argument("--search", action="store_true", help="also run the recipe variants")
    ap.add_argument("--gpuae", default="./gpuae", help="the gpuae command (default: ./gpuae from this checkout)")
    ap.add_argument("--runs", default="runs/anomaly-breast-cancer")
    ap.add_argument("--out", default="benchmarks/results/anomaly-breast-cancer")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    load_before = os.getloadavg()
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    x, target = write_csv(CSV)
    gpuae_cmd = args.gpuae.split()
    results = {}  # method -> list of (auc, ap)
    commands, seconds = [], {}

    def add(name, scores, labels):
        results.setdefault(name, []).append((roc_auc_score(labels, scores), average_precision_score(labels, scores)))

    variants = [("GpuAe AE 30-16-4-16-30", [])] + ([(f"GpuAe {n}", e) for n, e in SEARCH] if args.search else [])
    for seed in args.seeds:
        split = None
        for name, extra in variants:
            out = os.path.join(args.runs, f"{name.replace(' ', '_').replace(',', '').replace('+', '')}-seed{seed}")
            s, scores, summary, secs, cmd = gpuae(gpuae_cmd, seed, out, extra)
            if split is None:
                split = s
            assert s == split, "gpuae's split changed between variants of one seed"
            evaluated = np.array(s) != "train"
            labels = (target[evaluated] == 0).astype(int)
            add(name, scores[evaluated], labels)
            auc = results[name][-1][0]
            assert abs(auc - summary["roc_auc"]) < 1e-9, f"{name}: sklearn AUC {auc} vs gpuae's {summary['roc_auc']}"
            seconds.setdefault(name, []).append(secs)
            if seed == args.seeds[0]:
                commands.append(cmd)
            print(f"seed {seed} {name}: ROC AUC {auc:.4f} ({secs:.1f} s)", flush=True)
        evaluated = np.array(split) != "train"
        labels = (target[evaluated] == 0).astype(int)
        for name, scores in peers(x, split, seed).items():
            add(name, scores, labels)
            print(f"seed {seed} {name}: ROC AUC {results[name][-1][0]:.4f}", flush=True)

    load_after = os.getloadavg()
    rows = []
    for name, values in results.items():
        a = np.array(values)
        rows.append({"method": name, "roc_auc_mean": a[:, 0].mean(), "roc_auc_sd": a[:, 0].std(ddof=1) if len(a) > 1 else 0.0,
                     "ap_mean": a[:, 1].mean(), "ap_sd": a[:, 1].std(ddof=1) if len(a) > 1 else 0.0,
                     "roc_auc_per_seed": a[:, 0].tolist(), "seconds_mean": float(np.mean(seconds[name])) if name in seconds else None})
    machine = f"{platform.node()}: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}"
    meta = {"started": started, "machine": machine, "load_before": load_before, "load_after": load_after, "seeds": args.seeds,
            "torch": torch.__version__, "sklearn": __import__("sklearn").__version__, "torch_threads": args.threads,
            "protocol": f"{CSV}: train on {TRAIN_ROWS} benign rows, evaluate on the 107 held-out benign + 212 malignant rows",
            "command": " ".join([sys.executable] + sys.argv), "gpuae_commands": commands, "results": rows}
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out + ".json", "w") as f:
        json.dump(meta, f, indent=2)
    with open(args.out + ".md", "w") as f:
        f.write("# Tabular anomaly detection: Wisconsin breast cancer (scikit-learn)\n\n")
        f.write(f"Generated by `{meta['command']}` on {started}.\n\n")
        f.write(f"Machine: {machine}; load average {load_before[0]:.1f} before, {load_after[0]:.1f} after (shared, loaded machine: "
                f"times are not quiet-machine timings; s per run is gpuae's wall time with .NET start-up). torch {meta['torch']} "
                f"({args.threads} thread), scikit-learn {meta['sklearn']}.\n\n")
        f.write(f"Protocol: {meta['protocol']}; the split is gpuae's for each seed, shared by every method. Features standardised "
                "on the training rows. Seeds " + ", ".join(map(str, args.seeds)) + ": mean ± standard deviation over seeds.\n\n")
        f.write("| method | ROC AUC | average precision | ROC AUC per seed | s per run |\n| --- | ---: | ---: | --- | ---: |\n")
        for r in rows:
            per = " ".join(f"{v:.3f}" for v in r["roc_auc_per_seed"])
            secs = f"{r['seconds_mean']:.1f}" if r["seconds_mean"] is not None else ""
            f.write(f"| {r['method']} | {r['roc_auc_mean']:.3f} ± {r['roc_auc_sd']:.3f} | {r['ap_mean']:.3f} ± {r['ap_sd']:.3f} | {per} | {secs} |\n")
        f.write("\nGpuAe commands (first seed):\n\n```sh\n" + "\n".join(commands) + "\n```\n")
    print(f"wrote {args.out}.md and {args.out}.json")


if __name__ == "__main__":
    main()
