#!/usr/bin/env bash
# Checks that a bad nvcc never breaks a build outside PTX-check mode (issue #10): builds the CUDA backend
# with fake nvcc scripts first on PATH and looks at the exit code, the GPUAE001 warning and the checked-in PTX.
# A script rather than an xunit test: each case is a `dotnet build` of its own (MSBuild inside the test host,
# with the test build's own outputs locked, is fragile), and the cases must not run in parallel.
# Usage: bash .ci/nvcc-fallback-check.sh     (a minute or two: nine builds of one project)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
project=src/GpuAe.Backends.Cuda/GpuAe.Backends.Cuda.csproj
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
kernels=$(ls kernels/cuda/*.cu | wc -l)
ptx_before=$(sha256sum kernels/cuda/ptx/*.ptx)

# fake_nvcc NAME VERSION_LINE COMPILE_BODY: an nvcc whose --version prints VERSION_LINE (exit 1 if empty)
# and whose compile runs COMPILE_BODY with $out set to the -o argument.
fake_nvcc() {
  mkdir -p "$work/$1"
  cat > "$work/$1/nvcc" <<EOF
#!/usr/bin/env bash
if [[ "\$1" == --version ]]; then
  [[ -n "$2" ]] || { echo "nvcc: error while loading shared libraries" >&2; exit 1; }
  echo "Cuda compilation tools, $2"; exit 0
fi
out=; while [[ \$# -gt 0 ]]; do [[ "\$1" == -o ]] && { out=\$2; shift; }; shift; done
$3
EOF
  chmod +x "$work/$1/nvcc"
}

# build NAME [MSBUILD ARGS...]: builds the project with fake nvcc NAME first on PATH, outside CI;
# the log is in $work/NAME.log, the exit code in $rc.
build() {
  local name=$1; shift
  set +e
  env -u CI -u CUDA_PATH PATH="$work/$name:$PATH" dotnet build "$project" -c Release -nologo -tl:off -v:minimal \
    -p:GpuAePtxIntermediate="$work/ptx-$name/" "$@" > "$work/$name.log" 2>&1
  rc=$?
  set -e
}

fail() { echo "FAIL: $*"; echo "--- build log"; cat "$log"; exit 1; }
# distinct matching lines (the console logger repeats warnings in its summary)
count() { grep -e "$1" "$log" | sort -u | wc -l; }
# expect_ok NAME WARNINGS NVCC_LINES [TEXT]: the build passed with that many GPUAE001 warnings and
# "nvcc: ... -> PTX" lines, the log holds TEXT, and the checked-in PTX is unchanged.
expect_ok() {
  log="$work/$1.log"
  [[ $rc == 0 ]] || fail "$1: the build failed (exit $rc)"
  [[ $(count "warning GPUAE001") == "$2" ]] || fail "$1: expected $2 GPUAE001 warning(s)"
  [[ $(count "nvcc: kernels/cuda/.*\.cu -> PTX") == "$3" ]] || fail "$1: expected $3 'nvcc: ... -> PTX' line(s)"
  [[ -z "${4:-}" ]] || grep -q -e "$4" "$log" || fail "$1: the log does not say '$4'"
  [[ "$(sha256sum kernels/cuda/ptx/*.ptx)" == "$ptx_before" ]] || fail "$1: the checked-in kernels/cuda/ptx changed"
  echo "ok: $1"
}

fake_nvcc broken-version "" "exit 1"
fake_nvcc compile-error "release 11.8, V11.8.89" 'echo "kernel.cu(1): error: fake nvcc cannot compile" >&2; exit 1'
fake_nvcc garbage "release 11.8, V11.8.89" 'head -c 4096 /dev/urandom > "$out"'
fake_nvcc mismatch "release 11.8, V11.8.89" 'printf "//\n.version 7.8\n.target sm_70\n.address_size 64\n" > "$out"'
fake_nvcc other-release "release 12.4, V12.4.131" 'printf "//\n.version 8.4\n.target sm_70\n.address_size 64\n" > "$out"'

dotnet restore "$project" -v:q -nologo >/dev/null

# --version fails: one warning that names the way out, also under -warnaserror.
build broken-version -warnaserror
expect_ok broken-version 1 0 "GpuAeCompilePtx=false"
# The pinned release that cannot compile: one warning (not one per kernel), nvcc's words shown.
build compile-error
expect_ok compile-error 1 1 "fake nvcc cannot compile"
# The pinned release writing garbage: nothing copied over the checked-in PTX.
build garbage
expect_ok garbage 1 1 "not PTX"
# Another release is not asked to compile by default ...
build other-release
expect_ok other-release 0 0
# ... and when asked (a compile check), every kernel is compiled (one line each), nothing copied, no warning.
build other-release -p:GpuAeCompilePtx=true
expect_ok other-release 0 "$kernels"
# The opt-out: nvcc is not even asked.
build broken-version -p:GpuAeCompilePtx=false
expect_ok broken-version 0 0
# PTX-check mode (CI): the same failure is an error.
build compile-error -p:GpuAeCheckPtx=true
log="$work/compile-error.log"
[[ $rc != 0 ]] || fail "compile-error in PTX-check mode: the build passed"
grep -q "error : nvcc exited 1 on kernels/cuda/" "$log" || grep -q "error: nvcc exited 1 on kernels/cuda/" "$log" ||
  fail "compile-error in PTX-check mode: no error naming the kernel"
echo "ok: compile-error in PTX-check mode fails"
# PTX-check mode: PTX that differs from the checked-in file fails the build, every time (no fresh PTX is
# left behind to make the next build skip the comparison), and nothing is copied.
for attempt in 1 2; do
  build mismatch -p:GpuAeCheckPtx=true
  log="$work/mismatch.log"
  [[ $rc != 0 ]] || fail "mismatch in PTX-check mode (build $attempt): the build passed"
  grep -q "is not what nvcc 11.8 makes of kernels/cuda/" "$log" || fail "mismatch in PTX-check mode: no error naming the file"
  [[ "$(sha256sum kernels/cuda/ptx/*.ptx)" == "$ptx_before" ]] || fail "mismatch: the checked-in kernels/cuda/ptx changed"
done
echo "ok: a PTX mismatch in PTX-check mode fails, twice"
echo "nvcc fallback: all cases pass"
