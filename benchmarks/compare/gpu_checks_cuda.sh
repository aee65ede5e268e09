#!/usr/bin/env bash
# Everything the CUDA backend must prove on a GPU, in one run (see benchmarks/README.md, "GPU").
# Run on the GPU machine from the repository root, with .device/ packed beforehand by
#   ../shared/device/pack.sh src/GpuAe.Cli/GpuAe.Cli.csproj
# Writes logs and tables to benchmarks/results/gpu/; when $OUT is set (the device tool's return folder) it
# also packs them into $OUT/gpu-checks.tgz (the tool returns at most 8 files).
# Needs: the packed CLI (gpuae selftest / train / bench, all with --backend cuda), MNIST under
# $GPUAE_DATA_DIR (default .device/mnist), compute-sanitizer and PyTorch with CUDA on the machine.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
out=benchmarks/results/gpu
mkdir -p "$out"
source .device/env.sh
export GPUAE_DATA_DIR="${GPUAE_DATA_DIR:-$PWD/.device/mnist}"
gpuae() { dotnet .device/app/GpuAe.Cli/GpuAe.Cli.dll "$@"; }
status=0
step() { local name=$1; shift; echo "== $name"; "$@" >"$out/$name.log" 2>&1; local rc=$?; tail -n 25 "$out/$name.log"; [ $rc -eq 0 ] || { echo "!! $name failed ($rc)"; status=1; }; }

nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv > "$out/device.txt" 2>&1
cat "$out/device.txt"
step selftest-fp32 gpuae selftest --backend cuda
step selftest-tf32 gpuae selftest --backend cuda --precision tf32 --only Gemm
step memcheck  compute-sanitizer --tool memcheck  --error-exitcode 1 dotnet .device/app/GpuAe.Cli/GpuAe.Cli.dll selftest --backend cuda
step racecheck compute-sanitizer --tool racecheck --error-exitcode 1 dotnet .device/app/GpuAe.Cli/GpuAe.Cli.dll selftest --backend cuda
# vae, contractive and conv-transpose exercise the reparameterization/KL, penalty and channel-bias kernels in training
for model in dense32 conv vae contractive conv-transpose; do
  step "epoch-cpu-$model"  gpuae train -m "$model" --epochs 1 --seed 1 --backend cpu  -o "$out/run-cpu-$model"
  step "epoch-cuda-$model" gpuae train -m "$model" --epochs 1 --seed 1 --backend cuda -o "$out/run-cuda-$model"
  # weight gradients on the side stream must not change a bit; the epoch times show the overlap
  step "epoch-cuda-$model-1stream" gpuae train -m "$model" --epochs 1 --seed 1 --backend cuda --single-stream -o "$out/run-cuda-$model-1stream"
  step "streams-bitwise-$model" cmp "$out/run-cuda-$model/model.safetensors" "$out/run-cuda-$model-1stream/model.safetensors"
done
# denoising noise drawn inside a captured CUDA graph (random_fill_stepped) against the CPU's
step epoch-cpu-denoise  gpuae train -m dense32 --noise 0.5 --epochs 1 --seed 1 --backend cpu  -o "$out/run-cpu-denoise"
step epoch-cuda-denoise gpuae train -m dense32 --noise 0.5 --epochs 1 --seed 1 --backend cuda -o "$out/run-cuda-denoise"
# libgpuae on the caller's own CUDA context and stream (issue #9): native/examples/cuda_external_stream.c against the
# NativeAOT library built beforehand on the development machine (bash native/build.sh -> native/build/libgpuae.so)
cuda_home=${CUDA_HOME:-/usr/local/cuda}
if [ -f native/build/libgpuae.so ]; then
  step external-stream-build gcc -std=c99 -O2 -Inative/include -I"$cuda_home/include" native/examples/cuda_external_stream.c \
    -o "$out/cuda_external_stream" native/build/libgpuae.so -L"$cuda_home/lib64/stubs" -lcuda -lm -Wl,-rpath,"$PWD/native/build"
  step external-stream "$out/cuda_external_stream"
else
  echo "!! native/build/libgpuae.so missing (run bash native/build.sh first): external-stream check not run"; status=1
fi
step gemm-ours     gpuae bench gemm --backend cuda
step gemm-ours-tf32 gpuae bench gemm --backend cuda --precision tf32
step gemm-cublas      python3 benchmarks/compare/torch_gemm_cuda.py --json "$out/gemm-cublas.json"
step gemm-cublas-tf32 python3 benchmarks/compare/torch_gemm_cuda.py --tf32 --json "$out/gemm-cublas-tf32.json"
step epoch-ours  gpuae bench epoch --backend cuda --models dense32,deep,conv
step epoch-torch python3 benchmarks/compare/torch_ae_cuda.py --mnist "$GPUAE_DATA_DIR" --presets dense32,deep,conv --epochs 3 --json "$out/epoch-torch.json"
[ -n "${OUT:-}" ] && tar -czf "$OUT/gpu-checks.tgz" -C benchmarks/results gpu
exit $status
