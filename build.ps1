# Thin wrapper over the dotnet CLI; all build logic lives in MSBuild (Directory.Build.props, the .csproj files).
#   ./build.ps1            build (Release)
#   ./build.ps1 test       run the test suite
#   ./build.ps1 train ...  run `gpuae train ...`
#   ./build.ps1 bench ...  run the BenchmarkDotNet project
param([string]$Task = "build", [Parameter(ValueFromRemainingArguments = $true)][string[]]$Rest)
$ErrorActionPreference = "Stop"
Set-Location $PSScriptRoot
switch ($Task) {
    "build" { dotnet build GpuAe.sln -c Release @Rest }
    "test"  { dotnet test GpuAe.sln -c Release @Rest }
    "train" { dotnet run --project src/GpuAe.Cli -c Release -- train @Rest }
    "bench" { dotnet run --project benchmarks/GpuAe.Benchmarks -c Release -- @Rest }
    default { throw "unknown task '$Task' (build | test | train | bench)" }
}
exit $LASTEXITCODE
