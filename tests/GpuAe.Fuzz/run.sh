#!/usr/bin/env bash
# Fuzzes every parser users feed files to (GpuAe.Fuzz --list) with AFL++ for SECONDS each (default 60), starting
# from the seeds in corpus/<target>/. Exits 1 if any input makes a parser throw anything but its documented error
# type (or hang), and prints each such input's path and exception. Installs afl++ (apt) and the SharpFuzz tool
# when missing. Works unattended as root (CI=true). Work files go to out/fuzz/ (ignored by git).
set -euo pipefail
seconds=${1:-60}
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="$root/out/fuzz"
tools="${XDG_CACHE_HOME:-$HOME/.cache}/gpuae/sharpfuzz-2.3.0"

if ! command -v afl-fuzz >/dev/null; then
    echo "== installing afl++ (apt)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends afl++ >/dev/null
fi
if [[ ! -x "$tools/sharpfuzz" ]]; then
    echo "== installing the SharpFuzz instrumenter (dotnet tool SharpFuzz.CommandLine 2.3.0)"
    dotnet tool install SharpFuzz.CommandLine --version 2.3.0 --tool-path "$tools" >/dev/null
fi

echo "== building the fuzz targets and instrumenting GpuAe.dll"
rm -rf "$work"
dotnet publish "$here/GpuAe.Fuzz.csproj" -c Release -o "$work/bin" -p:NvccExe=/nonexistent -nologo -v quiet
cp -r "$work/bin" "$work/replay"   # uninstrumented: replays print the parser's own stack trace
"$tools/sharpfuzz" "$work/bin/GpuAe.dll"
mkdir -p "$work/findings"
fuzz=(dotnet "$work/bin/GpuAe.Fuzz.dll")
replay=(dotnet "$work/replay/GpuAe.Fuzz.dll")

# The targets are a .NET program, not an afl-instrumented binary (SKIP_BIN_CHECK); CI machines have a shared CPU,
# a core-dump handler and no terminal (NO_AFFINITY, SKIP_CPUFREQ, I_DONT_CARE_ABOUT_MISSING_CRASHES, NO_UI);
# the runtime takes seconds to start under load (FORKSRV_INIT_TMOUT, ms).
export AFL_SKIP_BIN_CHECK=1 AFL_NO_AFFINITY=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
    AFL_NO_UI=1 AFL_FORKSRV_INIT_TMOUT=60000

failed=0
for target in $("${fuzz[@]}" --list); do
    echo "== fuzzing $target for ${seconds}s"
    out="$work/findings/$target"
    afl-fuzz -i "$here/corpus/$target" -o "$out" -V "$seconds" -t 5000 -m none -- "${fuzz[@]}" "$target" \
        >"$work/afl-$target.log" 2>&1 || { tail -n 30 "$work/afl-$target.log"; echo "afl-fuzz failed on $target"; exit 1; }
    stats="$out/default/fuzzer_stats"
    echo "   $(grep -E '^(execs_done|corpus_count|saved_crashes|saved_hangs) ' "$stats" | awk '{printf "%s=%s  ", $1, $3}')"
    for input in "$out"/default/crashes/id:*; do
        [[ -e "$input" ]] || continue
        echo "FUZZ CRASH ($target): $input"
        timeout 60 "${replay[@]}" "$target" "$input" || true   # prints the exception
        failed=1
    done
    # A hang is as often a timeout on a loaded machine as a real loop: it fails only if it hangs again.
    for input in "$out"/default/hangs/id:*; do
        [[ -e "$input" ]] || continue
        if ! timeout 60 "${replay[@]}" "$target" "$input"; then
            echo "FUZZ HANG ($target): $input"
            failed=1
        fi
    done
done
if [[ $failed != 0 ]]; then
    echo "fuzzing found inputs that crash or hang a parser (above); replay one with: dotnet out/fuzz/replay/GpuAe.Fuzz.dll TARGET FILE"
    exit 1
fi
echo "== fuzzing: no crashes"
