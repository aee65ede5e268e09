#!/usr/bin/env bash
# Installs nvcc (Debian's nvidia-cuda-toolkit 11.8, component non-free) and its host compiler g++-11, so the
# build compiles every kernels/cuda/*.cu to PTX and checks the checked-in kernels/cuda/ptx/*.ptx against it
# (a compile error or a stale .ptx fails the build; see kernels/cuda/README.md). No GPU needed.
# Called by .ci/run as root (Debian 12 bookworm). Idempotent; ~2 minutes on a fresh machine.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

if command -v nvcc >/dev/null 2>&1 && command -v g++-11 >/dev/null 2>&1; then
    echo "nvcc already installed: $(nvcc --version | tail -2 | head -1)"
    exit 0
fi

sources=/etc/apt/sources.list.d/gpuae-nonfree.sources
if [ ! -f "$sources" ]; then
    cat > "$sources" <<'SOURCES'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: contrib non-free
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends nvidia-cuda-toolkit g++-11 >/dev/null
nvcc --version | tail -2 | head -1
