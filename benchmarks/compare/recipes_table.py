#!/usr/bin/python3
"""Markdown table of trained runs (the metrics.json that `gpuae train --out` writes): recipes_table.py RUN_DIR..."""
import json
import os
import statistics
import sys

print("| model | backend | epochs run (preset's) | train loss | val loss | val MSE / pixel | median epoch s | total train s | load (1/5/15 min) after | reference |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |")
for run in sys.argv[1:]:
    path = os.path.join(run, "metrics.json")
    if not os.path.exists(path):
        continue
    m = json.load(open(path))
    epochs = m["epochs"]
    if not epochs:
        continue
    last = epochs[-1]
    seconds = [e["epoch_seconds"] for e in epochs]
    load_file = os.path.join(run, "loadavg.txt")
    load = open(load_file).read().strip() if os.path.exists(load_file) else "-"
    val = last.get("val_loss")
    mse = last.get("val_mse")
    print(f"| {m['model']} | {m['backend']} | {last['epoch']} ({m.get('preset_epochs') or '-'}) | {last['train_loss']:.4f} "
          f"| {val:.4f} | {mse:.5f} | {statistics.median(seconds):.2f} | {sum(seconds):.0f} | {load} | {m.get('reference') or ''} |"
          if val is not None and mse is not None else
          f"| {m['model']} | {m['backend']} | {last['epoch']} | {last['train_loss']:.4f} | - | - | {statistics.median(seconds):.2f} | {sum(seconds):.0f} | {load} | |")
