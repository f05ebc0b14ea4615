#!/usr/bin/env bash
# Builds the test control plane to <repo>/build/bin/secprov-controlplane.
# Safe to re-run: does nothing when the binary is newer than every source,
# go.mod, go.sum and these scripts. Uses the default GOMODCACHE/GOCACHE so
# re-builds take seconds; a cold build (modules downloaded, about 2000 packages
# compiled) takes many minutes on 2 cores and prints progress every 20 s.
# Set FORCE=1 to rebuild.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="${SECPROV_CONTROLPLANE_BIN:-$repo/build/bin/secprov-controlplane}"
# shellcheck source=lib.sh
source "$here/lib.sh"
k8s_version="$(k8s_version "$here")"

if [[ -x "$out" && "${FORCE:-0}" != 1 ]] &&
   [[ -z "$(find "$here" -maxdepth 1 \( -name '*.go' -o -name go.mod -o -name go.sum -o -name build.sh -o -name lib.sh \) -newer "$out" -print -quit)" ]]; then
  echo "secprov-controlplane is up to date: $out" >&2
  exit 0
fi

command -v go >/dev/null || { echo "build.sh: go not found in PATH" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
start=$(date +%s)
echo "building secprov-controlplane ($k8s_version) -> $out ..." >&2
cd "$here"
GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -mod=readonly" \
  go_build_with_progress secprov-controlplane -trimpath -buildvcs=false \
  -ldflags "-s -w $(k8s_version_ldflags "$k8s_version")" -o "$out.tmp" .
mv -f "$out.tmp" "$out"
echo "built $out in $(( $(date +%s) - start ))s" >&2
