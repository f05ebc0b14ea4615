#!/usr/bin/env bash
# Configures and builds secprov. Usage: scripts/build.sh [release|sanitize]
#   release  -> build/        (warnings are errors)
#   sanitize -> build-asan/   (ASan + UBSan, unit tests only)
# Both keep line tables only (-g1): enough for perf and sanitizer stack traces with file:line,
# and a quarter of the disk of full -g (the two trees took 7.3 GB with -g; CI's disk is small).
set -euo pipefail
cd "$(dirname "$0")/.."
flavour="${1:-release}"
jobs="$(nproc)"
case "$flavour" in
  release)
    cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" -DSECPROV_WERROR=ON >/dev/null
    ninja -C build -j "$jobs"
    ;;
  sanitize)
    cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1 \
      -DSECPROV_SANITIZE=ON \
      -DSECPROV_WERROR=ON >/dev/null
    # Only the unit tests run under the sanitizers; integration runs the release binary.
    ninja -C build-asan -j "$jobs" $(ninja -C build-asan -t targets all | grep -o '^unit_[a-z_]*' | sort -u)
    ;;
  *) echo "unknown flavour $flavour (release|sanitize)" >&2; exit 2 ;;
esac
