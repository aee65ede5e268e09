#!/usr/bin/env bash
# Builds libgpuae and runs its C tests: publishes src/GpuAe.Native with NativeAOT into native/build/libgpuae.so,
# makes reference runs with the gpuae command line (a 1-epoch dense32 checkpoint on the CPU and the codes
# `gpuae encode` writes from it; a 1-epoch run of dense32's spec file with another recipe), builds the C tests,
# examples and the C++ test with CMake and runs them with ctest (each test also under
# valgrind memcheck when valgrind is installed). Extra arguments go to `dotnet publish`, e.g.
#   bash native/build.sh -p:NvccExe=/nonexistent
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="$root/native/build"
mkdir -p "$build"

echo "== libgpuae: NativeAOT publish (minutes)"
# The symbol table stays (function names in a host's backtraces, and valgrind suppressions can name the .NET
# runtime's functions); the DWARF goes (valgrind 3.19 cannot read the debug file the SDK splits off).
# IlcInstructionSet=x86-64-v3 (AVX2, FMA: x86 CPUs since about 2015): the CPU backend's vectorised sums use FMA where
# the JIT finds it, so a library for the baseline ISA (no FMA) differs from `gpuae train` in last bits (val_mse); v3
# gives C#'s bits on such machines and still runs under valgrind (which has no AVX-512). For an older CPU pass
# -p:IlcInstructionSet=x86-64-v2 (then CPU results may differ from C#'s in last bits).
dotnet publish "$root/src/GpuAe.Native/GpuAe.Native.csproj" -r linux-x64 -c Release -nologo -v:q \
  -p:StripSymbols=false -p:IlcInstructionSet=x86-64-v3 -o "$build/publish" "$@"
strip --strip-debug -o "$build/libgpuae.so" "$build/publish/GpuAe.Native.so"

echo "== reference: gpuae train + encode on the CPU (the C test compares its codes bit for bit)"
# The library is compiled for x86-64-v3, so it has no AVX-512 GEMM (Avx512Sgemm needs 512-bit vectors): its CPU
# backend runs OpenBLAS for float GEMMs. The reference runs choose the same GEMM, which on an AVX-512 machine is not
# the command line's default.
export GPUAE_CPU_GEMM=openblas
reference="$build/reference"
rm -rf "$reference"
"$root/gpuae" train --model dense32 --backend cpu --epochs 1 --train-samples 2048 --seed 5 --out "$reference" >/dev/null
"$root/gpuae" encode --from "$reference" --backend cpu --count 300 >/dev/null
# A spec file and a recipe of its own (test_train_mnist trains the same through gpuae_model_create_spec + a JSON recipe).
rm -rf "$reference-recipe"
"$root/gpuae" presets --json dense32 > "$build/dense32.json"
"$root/gpuae" train --model "$build/dense32.json" --backend cpu --epochs 1 --train-samples 512 --batch 64 --lr 0.003 \
  --seed 9 --out "$reference-recipe" >/dev/null
# A CSV run with --scale minmax (test_scaling: the C API applies the stored scaling as gpuae encode does).
rm -rf "$reference-csv"
mkdir -p "$reference-csv"
awk 'BEGIN { print "a,b,c,d,e,f"; for (i = 0; i < 200; i++) { printf "%d", i % 37; for (j = 1; j < 6; j++) printf ",%.3f", ((i * 7 + j * 13) % 17) / 3.0 + j; print "" } }' \
  > "$build/table.csv"
"$root/gpuae" train --data "$build/table.csv" --scale minmax --backend cpu --epochs 1 --seed 3 --out "$reference-csv" >/dev/null
"$root/gpuae" encode --from "$reference-csv" --data "$build/table.csv" --backend cpu >/dev/null

echo "== C tests"
cmake -S "$root/native" -B "$build" -DGPUAE_REFERENCE_DIR="$reference" >/dev/null
cmake --build "$build" >/dev/null
ctest --test-dir "$build" --output-on-failure
