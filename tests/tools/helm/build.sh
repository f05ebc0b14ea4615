#!/usr/bin/env bash
# Builds helm from its Go module (the release go.mod requires) into build/bin/helm, for the
# chart tests (tests/integration/operator/helm_test.cpp). Safe to re-run; skipped when up to
# date. Prints progress every 20 s while go builds (see tests/controlplane/lib.sh).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
out="${SECPROV_HELM_BIN:-$repo/build/bin/helm}"
# shellcheck source=../../controlplane/lib.sh
source "$repo/tests/controlplane/lib.sh"

# The module versions go.mod pins: helm's own, and client-go's (the Kubernetes release helm
# assumes for .Capabilities when it has no cluster, as helm's Makefile derives it).
mod_version() { awk -v m="$1" '$1 == m { print $2; exit }' "$here/go.mod"; }
helm_version="$(mod_version helm.sh/helm/v3)"
client_go="$(mod_version k8s.io/client-go)"
[[ -n "$helm_version" && -n "$client_go" ]] || { echo "build.sh: versions not found in $here/go.mod" >&2; exit 1; }

mkdir -p "$(dirname "$out")"
if [[ -x "$out" && "${FORCE:-0}" != 1 && "$out" -nt "$here/go.sum" && "$out" -nt "$here/go.mod" &&
      "$out" -nt "$here/build.sh" ]] &&
   [[ "$("$out" version --template '{{.Version}}' 2>/dev/null)" == "$helm_version" ]]; then
  echo "helm is up to date: $out" >&2; exit 0
fi
command -v go >/dev/null || { echo "tests/tools/helm/build.sh: go not found in PATH" >&2; exit 1; }

# Same ldflags as helm's Makefile: without them `helm version` reports a bare "v3.22".
k8s_minor="${client_go#v0.}"
k8s_minor="${k8s_minor%%.*}"
ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$helm_version"
ldflags+=" -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
  ldflags+=" -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=$k8s_minor"
done

start=$(date +%s)
echo "building helm ($helm_version) -> $out ..." >&2
cd "$here"
CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS="${GOFLAGS:-} -mod=readonly" \
  go_build_with_progress helm -trimpath -buildvcs=false -ldflags "$ldflags" -o "$out.tmp" \
  helm.sh/helm/v3/cmd/helm
mv -f "$out.tmp" "$out"
echo "built $out in $(( $(date +%s) - start ))s" >&2
