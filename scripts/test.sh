#!/usr/bin/env bash
# Runs every secprov test: unit tests (release and ASan/UBSan builds), then the
# integration tests against a real kube-apiserver started from tests/controlplane.
# Installs what it needs first; safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

# What the trees and caches take, after each stage: CI's disk is small, and a full disk fails
# a late stage (the image build) with no clue which stage used it up.
disk() {
  local dirs=(build build-asan)
  command -v go >/dev/null && dirs+=("$(go env GOCACHE)" "$(go env GOMODCACHE)")
  echo "==> disk after $1: $(df -h --output=avail "$root" | tail -1 | tr -d ' ') free;" \
    "$(du -sh "${dirs[@]}" 2>/dev/null | awk '{ printf "%s %s  ", $2, $1 }')"
}

scripts/install-deps.sh
scripts/build.sh release
disk "the release build"
scripts/build.sh sanitize
disk "the ASan/UBSan build"

echo "==> unit tests (ASan/UBSan)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 LSAN_OPTIONS=suppressions="$root/tests/lsan.supp" \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan -L unit --output-on-failure -j "$(nproc)"
# Nothing else uses the sanitizer tree; its gigabyte or so is better spent on the images.
# (A re-run builds it again; developers keep their own sanitizer tree.)
rm -rf build-asan
disk "the ASan/UBSan unit tests"

echo "==> unit and integration tests (release, real control plane)"
# The integration fixture starts the control plane once per suite under build/it
# (or reuses one that is running there) and stops what it started.
export SECPROV_ROOT="$root"
ctest --test-dir build --output-on-failure --timeout 900
disk "the release tests"

# Images (issue 10): the Dockerfile built for real with mmdebstrap + buildah (no Docker engine),
# then the images' own binaries run from their filesystems against a control plane
# (tests/image/run.sh). A separate step, not a CTest: it needs the images built first, root,
# and several minutes, which a plain `ctest` run by a developer should not pay.
echo "==> OCI images (scripts/image.sh) and their test (tests/image/run.sh)"
image_start=$SECONDS
if [[ "$(id -u)" -eq 0 ]]; then scripts/image.sh; fi  # mmdebstrap and buildah chroot need root
tests/image/run.sh  # skips with a message when not root or without buildah
disk "the images"
awk -v s=$((SECONDS - image_start)) 'BEGIN { printf "==> images built and tested in %.1f min\n", s / 60 }'

echo "==> benchmark at a small N (keeps scripts/bench.sh working; no timing is checked)"
scripts/bench.sh 50 --steady-seconds 5 --drift-samples 5
