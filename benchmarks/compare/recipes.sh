#!/usr/bin/env bash
# Trains presets with their recipes and collects the results table (benchmarks/results/recipes.md).
#   benchmarks/compare/recipes.sh [--backend B] [--out DIR] MODEL[:EPOCHS] ...
# EPOCHS overrides the preset's epoch count (write it down: the table shows the epochs actually run).
# The CLI is published once to a private folder, so rebuilding the tree while this runs changes nothing.
set -euo pipefail
cd "$(dirname "$0")/../.."
backend=cpu
out=runs/recipes
while [[ $# -gt 0 && $1 == --* ]]; do
  case $1 in
    --backend) backend=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[[ $# -gt 0 ]] || { echo "usage: $0 [--backend B] [--out DIR] MODEL[:EPOCHS] ..." >&2; exit 2; }
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
dotnet publish src/GpuAe.Cli -c Release -o "$bin" --nologo -v q >/dev/null
mkdir -p "$out"
for item in "$@"; do
  model=${item%%:*}
  epochs=()
  [[ $item == *:* ]] && epochs=(--epochs "${item#*:}")
  echo "== $model ${epochs[*]} ($(date -u +%H:%M:%S), load $(cut -d' ' -f1-3 /proc/loadavg))"
  rm -rf "${out:?}/$model"
  dotnet "$bin/GpuAe.Cli.dll" train --model "$model" --backend "$backend" "${epochs[@]}" --out "$out/$model" </dev/null
  cut -d' ' -f1-3 /proc/loadavg > "$out/$model/loadavg.txt"
done
