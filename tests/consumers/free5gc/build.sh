#!/usr/bin/env bash
# Builds the free5GC config validator (free5GC's own pkg/factory of each NF) to
# ${1:-<repo>/build/bin/free5gc-validate}. Modules come through the Go module proxy as
# go.sum pins them; the default GOMODCACHE/GOCACHE are used, as for the control plane, so
# a re-build takes seconds. Does nothing when the binary is newer than every source here.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
out="${1:-$repo/build/bin/free5gc-validate}"

if [[ -x "$out" && "${FORCE:-0}" != 1 ]] &&
   [[ -z "$(find "$here" \( -name '*.go' -o -name '*.yaml' -o -name go.mod -o -name go.sum -o -name build.sh \) -newer "$out" -print -quit)" ]]; then
  exit 0
fi
command -v go >/dev/null || { echo "free5gc build.sh: go not found in PATH" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
echo "building free5gc-validate -> $out ..." >&2
cd "$here"
# No -trimpath: `go test` here shares the same compiled dependencies.
GOTOOLCHAIN=local GOFLAGS="${GOFLAGS:-} -mod=readonly" go build -o "$out.tmp" .
mv -f "$out.tmp" "$out"
