#!/usr/bin/env bash
# Runs every secprov test: unit tests (release and ASan/UBSan builds), then the
# integration tests against a real kube-apiserver started from tests/controlplane.
# Installs what it needs first; safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

scripts/install-deps.sh
scripts/build.sh release
scripts/build.sh sanitize

echo "==> unit tests (ASan/UBSan)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 LSAN_OPTIONS=suppressions="$root/tests/lsan.supp" \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan -L unit --output-on-failure -j "$(nproc)"

echo "==> unit and integration tests (release, real control plane)"
# The integration fixture starts the control plane once per suite under build/it
# (or reuses one that is running there) and stops what it started.
export SECPROV_ROOT="$root"
ctest --test-dir build --output-on-failure --timeout 900

echo "==> benchmark at a small N (keeps scripts/bench.sh working; no timing is checked)"
scripts/bench.sh 50 --steady-seconds 5 --drift-samples 5
