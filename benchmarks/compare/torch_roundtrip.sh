#!/usr/bin/env bash
# Weights in and out, for every preset (CI runs this from .ci/run; needs python3-torch, python3-onnx and MNIST):
#   1. PyTorch builds the preset from its spec JSON (torch_rebuild.py, PyTorch's own init) and saves its state_dict
#      with safetensors names: GpuAe's (layers.N.weight) for every preset, and an nn.Sequential's (K.weight) for
#      the presets an nn.Sequential can hold (all but the VAEs);
#   2. `gpuae import --torch` turns each into a checkpoint, `gpuae encode` encodes the first MNIST test images,
#      and the codes must equal PyTorch's encoder output (max abs diff <= TOL);
#   3. torch_rebuild.py rebuilds the imported checkpoint from its metadata alone and loads it with strict=True,
#      and a trained checkpoint (with optimizer state) too;
#   4. `gpuae export --onnx` writes model/encoder/decoder.onnx and onnx.checker.check_model (full check) passes on each.
# Usage: torch_roundtrip.sh [PRESET|SPEC.json...]   (default: every preset and specs/torch-options.json). GPUAE=path/to/gpuae overrides ./gpuae.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
read -ra gpuae <<< "${GPUAE:-./gpuae}"   # a command line, e.g. "dotnet src/GpuAe.Cli/bin/Release/net10.0/GpuAe.Cli.dll"
tol=${TOL:-1e-5}
# Debian's python3-torch/python3-onnx live under /usr/bin/python3 (a pyenv shim named python3 may come first on PATH).
python=${PYTHON:-/usr/bin/python3}
count=64
export OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
presets=("$@")
[[ ${#presets[@]} -gt 0 ]] || mapfile -t presets < <("${gpuae[@]}" presets | awk -F'│' 'NF > 3 { gsub(/ /, "", $2); if ($2 ~ /^[a-z][a-z0-9-]*$/ && $2 != "model") print $2 }')
[[ ${#presets[@]} -gt 0 ]] || { echo "torch_roundtrip: no presets found in 'gpuae presets'" >&2; exit 1; }
# and by default a spec of PyTorch's options (explicit padding, dilation, rectangular kernels, ceil-mode pools,
# avg-pool, bilinear upsampling, parameterised activation layers, conv-transpose output_padding)
[[ $# -gt 0 ]] || presets+=(benchmarks/compare/specs/torch-options.json)

compare() {  # compare A.npy B.npy WHAT
  "$python" - "$1" "$2" "$3" "$tol" <<'PY'
import sys, numpy as np
a, b, what, tol = np.load(sys.argv[1]), np.load(sys.argv[2]), sys.argv[3], float(sys.argv[4])
if a.shape != b.shape:
    sys.exit(f"FAIL {what}: shapes {a.shape} vs {b.shape}")
diff = float(np.abs(a.astype(np.float64) - b).max())
print(f"{'ok  ' if diff <= tol else 'FAIL'} {what}: {a.shape[0]} codes of {a.shape[1]}, max abs diff {diff:.3g} (tolerance {tol})")
sys.exit(0 if diff <= tol else 1)
PY
}

failed=0
for preset in "${presets[@]}"; do
  dir="$work/$(basename "$preset" .json)"
  mkdir -p "$dir"
  if [[ $preset == *.json ]]; then cp "$preset" "$dir/spec.json"; else "${gpuae[@]}" presets --json "$preset" > "$dir/spec.json"; fi
  namings=(gpuae)
  grep -q '"vae_latent"' "$dir/spec.json" || namings+=(sequential)
  for naming in "${namings[@]}"; do
    run="$dir/run-$naming"
    flag=(); [[ $naming == sequential ]] && flag=(--sequential)
    "$python" benchmarks/compare/torch_rebuild.py --spec "$dir/spec.json" --init-seed 7 --save-state-dict "$dir/$naming.safetensors" \
      "${flag[@]}" --encode $count --codes "$dir/torch-codes.npy" >/dev/null
    "${gpuae[@]}" import --torch "$dir/$naming.safetensors" --model "$preset" --out "$run" >/dev/null
    "${gpuae[@]}" encode --from "$run" --backend cpu --count $count >/dev/null
    compare "$dir/torch-codes.npy" "$run/codes.npy" "$preset ($naming names): gpuae import + encode vs PyTorch's encoder" || failed=1
  done
  "$python" benchmarks/compare/torch_rebuild.py "$dir/run-gpuae/model.safetensors" >/dev/null || { echo "FAIL $preset: strict rebuild of the imported checkpoint"; failed=1; }
  "${gpuae[@]}" export --onnx --from "$dir/run-gpuae" >/dev/null
  "$python" - "$dir/run-gpuae" "$preset" <<'PY' || failed=1
import sys, onnx
folder, preset = sys.argv[1], sys.argv[2]
for name in ("model.onnx", "encoder.onnx", "decoder.onnx"):
    model = onnx.load(f"{folder}/{name}")
    onnx.checker.check_model(model, full_check=True)
    assert model.opset_import[0].version >= 17, model.opset_import
print(f"ok   {preset}: model.onnx, encoder.onnx, decoder.onnx pass onnx.checker.check_model (full_check, onnx {onnx.__version__})")
PY
done

# A trained checkpoint holds optimizer.* tensors besides the weights: the rebuild leaves them out and loads strictly.
trained="$work/trained"
"${gpuae[@]}" train --model conv-transpose --backend cpu --epochs 1 --train-samples 256 --out "$trained" >/dev/null
"$python" benchmarks/compare/torch_rebuild.py "$trained/model.safetensors" >/dev/null && echo "ok   trained conv-transpose checkpoint (with optimizer state): strict rebuild" \
  || { echo "FAIL trained checkpoint: strict rebuild"; failed=1; }
exit $failed
