#!/usr/bin/env bash
# Epoch time of every preset on the CPU backend for two builds of GpuAe (before and after a change), alternating
# preset by preset so both see the same load. Prints a markdown table: steady-state epoch = best of epochs 2..E,
# shown per 10,000 training images so presets trained on a subset compare with full epochs.
# Usage: benchmarks/compare/before_after.sh BEFORE_CLI_DLL AFTER_CLI_DLL [EPOCHS=2] [TRAIN_SAMPLES=15360] [PRESET...]
#   e.g. git archive OLD | tar -x -C /tmp/old && dotnet build /tmp/old/src/GpuAe.Cli -c Release, then pass
#   /tmp/old/src/GpuAe.Cli/bin/Release/net10.0/GpuAe.Cli.dll and this tree's.
set -euo pipefail
before=$1 after=$2; shift 2
epochs=${1:-2}; shift || true
samples=${1:-15360}; shift || true
presets=("$@")
[ ${#presets[@]} -gt 0 ] || presets=(dense32 deep mlp256 deep3 deep-rmsprop sparse contractive vae vae2d conv conv-dense denoise conv-transpose)
out=$(mktemp -d)
echo "| preset | before s / 10k images | after s / 10k images | before / after | before val loss | after val loss | load avg |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | --- |"
for m in "${presets[@]}"; do
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  for side in before after; do
    dll=${!side}
    dotnet "$dll" train --model "$m" --backend cpu --epochs "$epochs" --train-samples "$samples" --seed 1 \
      --out "$out/$m-$side" >/dev/null
  done
  /usr/bin/python3 - "$m" "$out/$m-before/metrics.json" "$out/$m-after/metrics.json" "$samples" "$load" <<'PY'
import json, sys
m, b, a, samples, load = sys.argv[1], json.load(open(sys.argv[2]))["epochs"], json.load(open(sys.argv[3]))["epochs"], int(sys.argv[4]), sys.argv[5]
def per10k(e): return min(x["epoch_seconds"] for x in (e[1:] or e)) * 10000 / samples
print(f"| {m} | {per10k(b):.3f} | {per10k(a):.3f} | {per10k(b) / per10k(a):.2f}x | {b[-1]['val_loss']:.4f} | {a[-1]['val_loss']:.4f} | {load} |")
PY
done
rm -rf "$out"
