#!/usr/bin/env bash
# Builds kubectl from the same Kubernetes release as the control plane into build/bin/kubectl
# (for machines without one), reporting that release (`kubectl version`). Safe to re-run;
# skipped when up to date. Prints progress every 20 s while go builds.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="${SECPROV_KUBECTL_BIN:-$repo/build/bin/kubectl}"
# shellcheck source=lib.sh
source "$here/lib.sh"
k8s_version="$(k8s_version "$here")"
mkdir -p "$(dirname "$out")"
if [[ -x "$out" && "${FORCE:-0}" != 1 && "$out" -nt "$here/go.sum" && "$out" -nt "$here/cmd/kubectl/main.go" &&
      "$out" -nt "$here/lib.sh" && "$out" -nt "$here/build-kubectl.sh" ]] &&
   [[ "$("$out" version --client 2>/dev/null)" == *"Client Version: $k8s_version"* ]]; then
  echo "kubectl is up to date: $out" >&2; exit 0
fi
command -v go >/dev/null || { echo "build-kubectl.sh: go not found in PATH" >&2; exit 1; }
start=$(date +%s)
echo "building kubectl ($k8s_version) -> $out ..." >&2
cd "$here"
CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS="${GOFLAGS:-} -mod=readonly" \
  go_build_with_progress kubectl -trimpath -buildvcs=false \
  -ldflags "-s -w $(k8s_version_ldflags "$k8s_version")" -o "$out.tmp" ./cmd/kubectl
mv -f "$out.tmp" "$out"
echo "built $out in $(( $(date +%s) - start ))s" >&2
