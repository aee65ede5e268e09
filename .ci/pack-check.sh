#!/usr/bin/env bash
# Packs the NuGet packages into a local folder and uses them as a user would (issue #12):
#   - the four library packages carry the DLL, its XML docs, README.md and LICENSE, and the kernels inside the
#     assemblies (the OpenCL sources, the CUDA PTX);
#   - a fresh console project referencing GpuAe.Backends.Cpu from that folder builds and trains one epoch;
#   - the .NET tool GpuAe.Tool installs from that folder, and its `gpuae` lists the presets and trains one epoch.
# Usage: bash .ci/pack-check.sh [PACKAGE_DIR]   (default: a temporary folder, removed at the end)
# Needs MNIST in the cache (.ci/fetch-mnist.sh). The app and the tool restore into a fresh NuGet cache, so no
# older package of the same version can stand in for the new one (packing itself uses the usual cache).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
packages=$(realpath -m "${1:-$work/packages}")
mkdir -p "$packages"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
fresh_cache="$work/nuget-cache"
libraries=(GpuAe GpuAe.Backends.Cpu GpuAe.Backends.OpenCL GpuAe.Backends.Cuda)
version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' src/Directory.Build.props)
fail() { echo "FAIL: $*"; exit 1; }

echo "== dotnet pack (version $version) -> $packages"
for project in "${libraries[@]}" GpuAe.Cli; do
  dotnet pack "src/$project/$project.csproj" -c Release -o "$packages" -nologo -v:quiet
done

echo "== package contents"
for id in "${libraries[@]}"; do
  nupkg="$packages/$id.$version.nupkg"
  [[ -f "$nupkg" ]] || fail "$nupkg was not made"
  listing=$(unzip -Z1 "$nupkg")
  for entry in "lib/net10.0/$id.dll" "lib/net10.0/$id.xml" README.md LICENSE; do
    grep -qxF "$entry" <<< "$listing" || fail "$id.$version.nupkg has no $entry"
  done
  unzip -p "$nupkg" "$id.nuspec" | grep -q "<license type=\"expression\">MIT</license>" || fail "$id: no MIT licence in the nuspec"
  echo "ok: $id ($(du -k "$nupkg" | cut -f1) KiB)"
done
# The kernels travel as embedded resources; their names and a kernel entry must be in the DLL.
embedded() { # PACKAGE RESOURCE TEXT
  local dll="$work/$1.dll"
  unzip -p "$packages/$1.$version.nupkg" "lib/net10.0/$1.dll" > "$dll"
  grep -qaF "$2" "$dll" || fail "$1.dll does not embed $2"
  grep -qaF "$3" "$dll" || fail "$1.dll does not hold '$3'"
}
embedded GpuAe.Backends.OpenCL kernels/opencl/gemm.cl "__kernel"
embedded GpuAe.Backends.Cuda kernels/cuda/ptx/gemm.ptx ".entry gemm_f32_t128_nn"
echo "ok: .cl sources and PTX embedded"

echo "== a project of one's own, referencing GpuAe.Backends.Cpu $version from $packages"
app="$work/app"
mkdir -p "$app"
cat > "$app/App.csproj" <<EOF
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <ImplicitUsings>enable</ImplicitUsings>
    <RestoreAdditionalProjectSources>$packages</RestoreAdditionalProjectSources>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="GpuAe.Backends.Cpu" Version="$version" />
  </ItemGroup>
</Project>
EOF
# The README's example, with the training set cut to 2,000 samples.
cat > "$app/Program.cs" <<'EOF'
using GpuAe.Backends.Cpu;
using GpuAe.Data;
using GpuAe.Models;
using GpuAe.Training;

var (train, test) = Mnist.Load(MnistLocator.Locate(null, Console.WriteLine));
var preset = Presets.Get("dense32");
using var backend = new CpuBackend();
using var trainData = new DeviceDataset(backend, train.Subset(0, 2000));
using var testData = new DeviceDataset(backend, test);
using var trainer = new Trainer(backend, preset.Model, preset.Recipe, seed: 1);
var epoch = trainer.TrainEpoch(trainData, testData);
Console.WriteLine($"epoch {epoch.Epoch}: train {epoch.TrainLoss:F4}, validation {epoch.ValLoss:F4}");
EOF
(cd "$app" && NUGET_PACKAGES=$fresh_cache dotnet run -c Release -nologo -v:quiet) | tee "$work/app.log"
grep -q "^epoch 1: train 0\.[0-9]*, validation 0\.[0-9]*$" "$work/app.log" || fail "the example did not train an epoch"

echo "== dotnet tool install GpuAe.Tool $version from $packages"
NUGET_PACKAGES=$fresh_cache dotnet tool install GpuAe.Tool --version "$version" --tool-path "$work/tool" --add-source "$packages" >/dev/null
gpuae="$work/tool/gpuae"
"$gpuae" presets > "$work/presets.log"
for preset in dense32 vae2d conv-transpose; do grep -qw -e "$preset" "$work/presets.log" || fail "gpuae presets does not list $preset"; done
echo "ok: gpuae presets"
"$gpuae" train --model dense32 --epochs 1 --train-samples 2000 --backend cpu --out "$work/run"
for file in metrics.json model.safetensors; do
  [[ -s "$work/run/$file" ]] || fail "gpuae train wrote no $file"
done
echo "packages: all checks pass"
