#!/usr/bin/python3
"""Markdown table from pytorch_ae.py --json files: summarize.py FILE.json..."""
import json
import sys

print("| preset | threads | samples/epoch | epoch | epoch s | samples/s | train loss | val loss | val MSE | load (1 min) |")
print("|---|---|---|---|---|---|---|---|---|---|")
for path in sys.argv[1:]:
    r = json.load(open(path))
    for m in r["epochs_metrics"]:
        print(f"| {r['model']} | {r['threads']} | {r['train_samples_per_epoch']} | {m['epoch']} | {m['epoch_seconds']:.2f} "
              f"| {m['samples_per_second']:.0f} | {r['loss']} {m['train_loss']:.4f} | {r['loss']} {m['val_loss']:.4f} "
              f"| {m['val_mse']:.5f} | {r['load_average_start'][0]:.1f} -> {m['load_average'][0]:.1f} |")
