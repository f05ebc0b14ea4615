#!/usr/bin/env bash
# Builds the test control plane to <repo>/build/bin/secprov-controlplane.
# Safe to re-run: does nothing when the binary is newer than every source,
# go.mod and go.sum. Uses the default GOMODCACHE/GOCACHE so re-builds are
# fast (a cold build on 2 cores takes minutes). Set FORCE=1 to rebuild.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="${SECPROV_CONTROLPLANE_BIN:-$repo/build/bin/secprov-controlplane}"
k8s_version=v1.35.4 # keep in step with go.mod

if [[ -x "$out" && "${FORCE:-0}" != 1 ]] &&
   [[ -z "$(find "$here" -maxdepth 1 \( -name '*.go' -o -name go.mod -o -name go.sum -o -name build.sh \) -newer "$out" -print -quit)" ]]; then
  echo "secprov-controlplane is up to date: $out" >&2
  exit 0
fi

command -v go >/dev/null || { echo "build.sh: go not found in PATH" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
start=$(date +%s)
echo "building secprov-controlplane ($k8s_version) -> $out ..." >&2
cd "$here"
ver_pkg=k8s.io/component-base/version
minor=${k8s_version#v1.}; minor=${minor%%.*}
ldflags="-s -w -X $ver_pkg.gitVersion=$k8s_version -X $ver_pkg.gitMajor=1 -X $ver_pkg.gitMinor=$minor -X $ver_pkg.gitTreeState=clean"
GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -mod=readonly" \
  go build -trimpath -buildvcs=false -ldflags "$ldflags" -o "$out.tmp" .
mv -f "$out.tmp" "$out"
echo "built $out in $(( $(date +%s) - start ))s" >&2
