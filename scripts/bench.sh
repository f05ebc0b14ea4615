#!/usr/bin/env bash
# The benchmark of issue 12: scripts/bench.sh [N] [secprov-bench flags...]
#   N (default 1000) SecurityProfiles, TLS only, ECDSA P-256, on a FRESH local control plane
#   (build/bench/controlplane, wiped first). Prints a table and writes
#   build/bench/result-N.json. Examples:
#     scripts/bench.sh 1000
#     scripts/bench.sh 1000 --key-algorithm RSA-3072
#     scripts/bench.sh 1000 --operator-arg=--kube-api-qps=5 --operator-arg=--kube-api-burst=10
# Installs and builds what it needs (scripts/install-deps.sh, the release build). Results
# on the project machine: docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
n="${1:-1000}"
shift || true

build="${SECPROV_BUILD_DIR:-build}"  # the release build of scripts/build.sh
# SECPROV_BENCH_NO_BUILD=1: run what is built (a shared tree may be mid-edit);
# SECPROV_BENCH_OPERATOR: another operator binary (e.g. an older one, for a before/after).
if [[ -z "${SECPROV_BENCH_NO_BUILD:-}" ]]; then
  scripts/install-deps.sh >/dev/null
  if [[ -f "$build/build.ninja" ]]; then
    ninja -C "$build" secprov-bench secprov-operator >/dev/null
  else
    scripts/build.sh release
  fi
fi
operator="${SECPROV_BENCH_OPERATOR:-$build/operator/cmd/secprov-operator}"

dir="$root/build/bench"
cp_dir="$dir/controlplane"
mkdir -p "$dir"
tests/controlplane/stop.sh "$cp_dir" >/dev/null 2>&1 || true
rm -rf "$cp_dir"
trap 'tests/controlplane/stop.sh "$cp_dir" >/dev/null 2>&1 || true' EXIT
kubeconfig="$(tests/controlplane/start.sh "$cp_dir")"
k() { build/bin/kubectl --kubeconfig "$kubeconfig" "$@"; }

k apply --server-side -f crds/ >/dev/null
k wait --for=condition=Established --timeout=60s crd/securityprofiles.secprov.io crd/trustdomains.secprov.io >/dev/null
k create namespace secprov-system >/dev/null
k apply -f - >/dev/null <<'YAML'
apiVersion: secprov.io/v1alpha1
kind: TrustDomain
metadata:
  name: bench
spec:
  domain: 5gc.mnc001.mcc001.3gppnetwork.org
  country: FR
  organization: secprov benchmark
  ca:
    generate:
      keyAlgorithm: ECDSA-P256
YAML

echo "==> machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)," \
  "$(uname -r), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
"$build/tests/bench/secprov-bench" --profiles "$n" --kubeconfig "$kubeconfig" \
  --kubectl build/bin/kubectl --operator "$operator" \
  --trust-domain bench --work-dir "$dir" --controlplane-pid "$(cat "$cp_dir/controlplane.pid")" "$@"
