#!/usr/bin/env bash
# One-epoch time per preset, GpuAe (CPU backend) next to the PyTorch CPU peer, alternating on the same
# machine in one run so both see the same load. Prints a markdown table (steady-state = best of epochs 2..E).
# Usage: benchmarks/compare/side_by_side.sh [EPOCHS=2] [PRESET...]
#   needs: Debian python3-torch (/usr/bin/python3), the MNIST cache, a Release build of src/GpuAe.Cli.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); root=$(cd "$here/../.." && pwd)
epochs=${1:-2}; shift || true
presets=("$@"); [ ${#presets[@]} -gt 0 ] || presets=(dense32 deep mlp256 deep3 deep-rmsprop conv conv-dense)
out=$(mktemp -d)
dotnet build "$root/src/GpuAe.Cli" -c Release -v q -nologo >/dev/null
cli="$root/src/GpuAe.Cli/bin/Release/net10.0/GpuAe.Cli.dll"
echo "| preset | GpuAe epoch 1 s | GpuAe best s | PyTorch epoch 1 s | PyTorch best s | best ratio (PyTorch / GpuAe) | GpuAe val loss | PyTorch val loss | load avg |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
for m in "${presets[@]}"; do
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  dotnet "$cli" train --model "$m" --backend cpu --epochs "$epochs" --out "$out/$m-gpuae" >/dev/null
  /usr/bin/python3 "$here/pytorch_ae.py" --model "$m" --epochs "$epochs" --threads 2 --json "$out/$m-torch.json" >/dev/null
  /usr/bin/python3 - "$m" "$out/$m-gpuae/metrics.json" "$out/$m-torch.json" "$load" <<'PY'
import json, sys
m, ours, theirs, load = sys.argv[1], json.load(open(sys.argv[2]))["epochs"], json.load(open(sys.argv[3]))["epochs_metrics"], sys.argv[4]
def best(e): return min(x["epoch_seconds"] for x in (e[1:] or e))
print(f"| {m} | {ours[0]['epoch_seconds']:.2f} | {best(ours):.2f} | {theirs[0]['epoch_seconds']:.2f} | {best(theirs):.2f} | "
      f"{best(theirs) / best(ours):.2f}x | {ours[-1]['val_loss']:.4f} | {theirs[-1]['val_loss']:.4f} | {load} |")
PY
done
