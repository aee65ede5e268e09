# Thin wrapper over the dotnet CLI; all build logic lives in MSBuild (Directory.Build.props, the .csproj files).
#   ./build.ps1            build (Release)
#   ./build.ps1 test       run the test suite
#   ./build.ps1 train ...  run `gpuae train ...`
#   ./build.ps1 bench ...  run the BenchmarkDotNet project
#   ./build.ps1 pack       make the NuGet packages (four libraries, the gpuae tool) in artifacts/packages
param([string]$Task = "build", [Parameter(ValueFromRemainingArguments = $true)][string[]]$Rest)
$ErrorActionPreference = "Stop"
Set-Location $PSScriptRoot
switch ($Task) {
    "build" { dotnet build GpuAe.sln -c Release @Rest }
    "test"  { dotnet test GpuAe.sln -c Release @Rest }
    "train" { dotnet run --project src/GpuAe.Cli -c Release -- train @Rest }
    "bench" { dotnet run --project benchmarks/GpuAe.Benchmarks -c Release -- @Rest }
    "pack"  {
        foreach ($p in "GpuAe", "GpuAe.Backends.Cpu", "GpuAe.Backends.OpenCL", "GpuAe.Backends.Cuda", "GpuAe.Cli") {
            dotnet pack "src/$p/$p.csproj" -c Release -o artifacts/packages @Rest
            if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
        }
    }
    default { throw "unknown task '$Task' (build | test | train | bench | pack)" }
}
exit $LASTEXITCODE
